// SPDX-License-Identifier: Apache-2.0

// Command mesosgo_agent is an operator tool written only against the public
// API of Debian's mesos-go v1 library: it sends every agent operator call
// Corral implements through httpagent (JSON codec), decodes each answer
// into agent.Response with the library's own decoder and response-class
// checks (a singleton call must answer 200 with exactly application/json;
// SET_LOGGING_LEVEL, a no-data call, 200 without a Content-Type), and
// prints what it read. test_agent_operator_api.py builds it offline and
// runs it against corral-agent.
//
// On success it prints one line
//
//	RESULT healthy=true flags=F version=V metrics=M level=L frameworks=N
//	executors=E launched=<ids> completed=<ids> containers=C pid=P
//	processes=Q agent=<id> state_launched=<ids>
//
// (on one line) and exits 0. A failed call or decode prints
// "FAIL <reason>" and exits 1.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/agent"
	"github.com/mesos/mesos-go/api/v1/lib/agent/calls"
	"github.com/mesos/mesos-go/api/v1/lib/encoding/codecs"
	"github.com/mesos/mesos-go/api/v1/lib/httpcli"
	"github.com/mesos/mesos-go/api/v1/lib/httpcli/httpagent"
)

func fail(format string, args ...interface{}) {
	fmt.Printf("FAIL "+format+"\n", args...)
	os.Exit(1)
}

func taskIDs(tasks []mesos.Task) string {
	ids := []string{}
	for _, t := range tasks {
		ids = append(ids, t.GetTaskID().Value)
	}
	sort.Strings(ids)
	return strings.Join(ids, ",")
}

func main() {
	endpoint := flag.String("agent", "", "the agent's API URL, http://host:port/api/v1")
	flag.Parse()
	cli := httpcli.New(
		httpcli.Endpoint(*endpoint),
		httpcli.Codec(codecs.ByMediaType[codecs.MediaTypeJSON]),
		httpcli.Do(httpcli.With(httpcli.Timeout(10*time.Second))),
	)
	sender := httpagent.NewSender(cli.Send)
	ctx := context.Background()

	get := func(c *agent.Call) *agent.Response {
		resp, err := sender.Send(ctx, calls.NonStreaming(c))
		if err != nil {
			fail("%v: %v", c.GetType(), err)
		}
		defer resp.Close()
		var r agent.Response
		if err := resp.Decode(&r); err != nil {
			fail("%v: decode: %v", c.GetType(), err)
		}
		if r.GetType().String() != c.GetType().String() {
			fail("%v: answered as %v", c.GetType(), r.GetType())
		}
		return &r
	}

	healthy := get(calls.GetHealth()).GetGetHealth().GetHealthy()
	flags := get(calls.GetFlags()).GetGetFlags().GetFlags()
	vi := get(calls.GetVersion()).GetGetVersion().GetVersionInfo()
	version := vi.GetVersion()
	timeout := 5 * time.Second
	metrics := get(calls.GetMetrics(&timeout)).GetGetMetrics().GetMetrics()

	// A no-data call: the library checks there is no Content-Type.
	setLevel := func(level uint32) {
		c := calls.SetLoggingLevel(level, time.Minute)
		resp, err := sender.Send(ctx, calls.NonStreaming(c))
		if err != nil {
			fail("SET_LOGGING_LEVEL: %v", err)
		}
		if resp != nil {
			resp.Close()
		}
	}
	setLevel(1)
	level := get(calls.GetLoggingLevel()).GetGetLoggingLevel().GetLevel()
	setLevel(0)

	frameworks := get(calls.GetFrameworks()).GetGetFrameworks().GetFrameworks()
	executors := get(calls.GetExecutors()).GetGetExecutors().GetExecutors()
	tasks := get(calls.GetTasks()).GetGetTasks()
	containers := get(calls.GetContainers()).GetGetContainers().GetContainers()
	info := get(calls.GetAgent()).GetGetAgent().GetAgentInfo()
	state := get(calls.GetState()).GetGetState()

	pid, processes := uint32(0), uint32(0)
	if len(containers) > 0 {
		pid = containers[0].GetContainerStatus().GetExecutorPID()
		processes = containers[0].GetResourceStatistics().GetProcesses()
	}
	agentID := ""
	if info.GetID() != nil {
		agentID = info.GetID().Value
	}
	fmt.Printf("RESULT healthy=%v flags=%d version=%s metrics=%d level=%d "+
		"frameworks=%d executors=%d launched=%s completed=%s containers=%d "+
		"pid=%d processes=%d agent=%s state_launched=%s\n",
		healthy, len(flags), version, len(metrics), level, len(frameworks),
		len(executors), taskIDs(tasks.GetLaunchedTasks()),
		taskIDs(tasks.GetCompletedTasks()), len(containers), pid, processes,
		agentID, taskIDs(state.GetGetTasks().GetLaunchedTasks()))
}
