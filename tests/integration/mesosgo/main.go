// SPDX-License-Identifier: Apache-2.0

// Command mesosgo is a third-party Mesos v1 framework written only against
// the public API of Debian's mesos-go v1 library (JSON codec). The
// integration test test_mesos_go.py builds it offline and runs it against
// corral-master to show that a stock mesos-go framework works unchanged.
//
// What it does, in order, all driven by events on the subscription:
//  1. SUBSCRIBE (user root, name mesos-go-compat, failover timeout 0).
//  2. On OFFERS: launch N command tasks (echo) plus one long-running
//     "sleeper" task with cpus/mem found in the offer (resources.Find);
//     after that, decline every further offer.
//  3. Acknowledge every status update that carries a uuid
//     (controller.AckStatusUpdates); never acknowledge the others.
//  4. When all N echo tasks are TASK_FINISHED and the sleeper is
//     TASK_RUNNING: explicit RECONCILE of one finished task, then, once it is
//     answered, implicit RECONCILE, which must report the sleeper running.
//  5. KILL the sleeper, wait for TASK_KILLED, wait until at least one
//     leftover offer was declined, then TEARDOWN.
//
// Events other than SUBSCRIBED, OFFERS, RESCIND, UPDATE and HEARTBEAT fail
// the run: with only command tasks upstream sends no FAILURE (a command
// executor's exit is not reported) and no ERROR. So does an update of a
// task after its terminal one (per-task updates arrive in order).
//
// On success it prints one line
//
//	RESULT finished=N reconciled=ok explicit=<state> implicit=<state> killed=1 declined=D acks=A
//
// and exits 0. Any unexpected event, failed call or the --timeout deadline
// prints "FAIL <reason>" and exits 1.
//
// Threading: controller.Run processes events on one goroutine and every
// handler runs there, so the framework state needs no locking. The
// deadline watchdog only prints and exits.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/encoding/codecs"
	"github.com/mesos/mesos-go/api/v1/lib/extras/scheduler/callrules"
	"github.com/mesos/mesos-go/api/v1/lib/extras/scheduler/controller"
	"github.com/mesos/mesos-go/api/v1/lib/extras/scheduler/eventrules"
	"github.com/mesos/mesos-go/api/v1/lib/extras/store"
	"github.com/mesos/mesos-go/api/v1/lib/httpcli"
	"github.com/mesos/mesos-go/api/v1/lib/httpcli/httpsched"
	"github.com/mesos/mesos-go/api/v1/lib/resources"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler/calls"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler/events"
)

const (
	phaseLaunching = iota // waiting for offers to place every task
	phaseRunning          // all launched, waiting for N finished + sleeper
	phaseExplicit         // explicit reconcile sent, awaiting its answer
	phaseImplicit         // implicit reconcile sent, awaiting the sleeper
	phaseKilling          // sleeper killed, awaiting TASK_KILLED
	phaseDone             // torn down
)

const sleeperID = "mesos-go-sleeper"

type framework struct {
	cli       calls.Caller
	fidStore  store.Singleton
	ntasks    int
	cancel    context.CancelFunc
	phase     int
	pending   []string          // task ids not yet launched
	agentOf   map[string]string // task id -> agent id
	finished  map[string]bool
	terminal  map[string][]byte // task id -> uuid of its terminal update
	sleeperUp bool
	explicit  string // task id reconciled explicitly
	explState string
	implState string
	declined  int
	acks      int
	result    string
	err       error
}

func newFramework(n int) *framework {
	fw := &framework{
		ntasks:   n,
		fidStore: store.NewInMemorySingleton(),
		agentOf:  map[string]string{},
		finished: map[string]bool{},
		terminal: map[string][]byte{},
	}
	for i := 0; i < n; i++ {
		fw.pending = append(fw.pending, fmt.Sprintf("mesos-go-task-%d", i))
	}
	fw.pending = append(fw.pending, sleeperID)
	return fw
}

// fail records the first failure and stops the controller.
func (fw *framework) fail(format string, args ...interface{}) error {
	if fw.err == nil {
		fw.err = fmt.Errorf(format, args...)
	}
	fw.cancel()
	return fw.err
}

func (fw *framework) call(ctx context.Context, c *scheduler.Call) error {
	if err := calls.CallNoData(ctx, fw.cli, c); err != nil {
		return fw.fail("%s call failed: %v", c.GetType(), err)
	}
	return nil
}

func taskWants() mesos.Resources {
	return mesos.Resources{
		resources.NewCPUs(0.1).Resource,
		resources.NewMemory(32).Resource,
	}
}

func commandFor(id string) string {
	if id == sleeperID {
		return "sleep 300"
	}
	return "echo hello-from-mesos-go " + id
}

// offers launches as many pending tasks as each offer holds and declines
// the offers it has no use for.
func (fw *framework) offers(ctx context.Context, e *scheduler.Event) error {
	for _, offer := range e.GetOffers().GetOffers() {
		remaining := mesos.Resources(offer.GetResources())
		var tasks []mesos.TaskInfo
		for len(fw.pending) > 0 {
			found := resources.Find(taskWants(), remaining...)
			if len(found) == 0 {
				break
			}
			id := fw.pending[0]
			fw.pending = fw.pending[1:]
			shell := true
			cmd := commandFor(id)
			tasks = append(tasks, mesos.TaskInfo{
				Name:      id,
				TaskID:    mesos.TaskID{Value: id},
				AgentID:   offer.AgentID,
				Resources: found,
				Command:   &mesos.CommandInfo{Shell: &shell, Value: &cmd},
			})
			fw.agentOf[id] = offer.AgentID.Value
			remaining.Subtract(found...)
		}
		if len(tasks) == 0 {
			// Refuse for a long time: a leftover offer is of no use.
			decline := calls.Decline(offer.ID).With(
				calls.RefuseSeconds(time.Hour))
			if err := fw.call(ctx, decline); err != nil {
				return err
			}
			fw.declined++
			log.Printf("declined offer %s", offer.ID.Value)
			continue
		}
		// refuse_seconds 0: the rest of the agent comes straight back as
		// a new offer, which the framework then declines explicitly.
		accept := calls.Accept(calls.OfferOperations{
			calls.OpLaunch(tasks...)}.WithOffers(offer.ID)).With(
			calls.RefuseSeconds(0))
		if err := fw.call(ctx, accept); err != nil {
			return err
		}
		log.Printf("launched %d task(s) on offer %s", len(tasks),
			offer.ID.Value)
	}
	if fw.phase == phaseLaunching && len(fw.pending) == 0 {
		fw.phase = phaseRunning
	}
	return fw.maybeFinish(ctx)
}

func isTerminal(s mesos.TaskState) bool {
	switch s {
	case mesos.TASK_FINISHED, mesos.TASK_FAILED, mesos.TASK_KILLED,
		mesos.TASK_LOST, mesos.TASK_ERROR, mesos.TASK_DROPPED,
		mesos.TASK_GONE, mesos.TASK_GONE_BY_OPERATOR:
		return true
	}
	return false
}

// update handles one status update (already acknowledged by the rule in
// front of it when it carried a uuid).
func (fw *framework) update(ctx context.Context, e *scheduler.Event) error {
	s := e.GetUpdate().GetStatus()
	id := s.GetTaskID().Value
	reason := "-"
	if s.Reason != nil {
		reason = s.Reason.String()
	}
	log.Printf("update %s %s reason=%s source=%s uuid=%t msg=%q", id,
		s.GetState(), reason, s.GetSource(), len(s.GetUUID()) > 0,
		s.GetMessage())
	if len(s.GetUUID()) > 0 {
		// AckStatusUpdates drops (and fails on) an update whose
		// ACKNOWLEDGE was refused, so this one was acknowledged.
		fw.acks++
	}
	if s.GetReason() == mesos.REASON_RECONCILIATION {
		return fw.reconciled(ctx, s)
	}
	if _, ok := fw.agentOf[id]; !ok {
		return fw.fail("update for unknown task %q", id)
	}
	st := s.GetState()
	// Updates of one task arrive in order: after its terminal update only
	// a redelivery of that same update may follow.
	if uuid, done := fw.terminal[id]; done {
		if !bytes.Equal(uuid, s.GetUUID()) {
			return fw.fail("task %s: %s after its terminal update", id, st)
		}
		return nil
	}
	if isTerminal(st) {
		fw.terminal[id] = s.GetUUID()
	}
	switch {
	case id == sleeperID && st == mesos.TASK_RUNNING:
		fw.sleeperUp = true
	case id == sleeperID && st == mesos.TASK_KILLED &&
		fw.phase == phaseKilling:
		fw.sleeperUp = false
	case st == mesos.TASK_FINISHED && id != sleeperID:
		fw.finished[id] = true
	case isTerminal(st):
		return fw.fail("task %s ended %s (%s): %s", id, st,
			s.GetReason(), s.GetMessage())
	}
	return fw.maybeFinish(ctx)
}

// reconciled checks one master-generated reconciliation answer.
func (fw *framework) reconciled(ctx context.Context, s mesos.TaskStatus) error {
	id := s.GetTaskID().Value
	if len(s.GetUUID()) > 0 {
		return fw.fail("reconciliation answer for %s carries a uuid", id)
	}
	if s.GetSource() != mesos.SOURCE_MASTER {
		return fw.fail("reconciliation answer for %s from %s", id,
			s.GetSource())
	}
	switch {
	case fw.phase == phaseExplicit && id == fw.explicit:
		fw.explState = s.GetState().String()
		fw.phase = phaseImplicit
		log.Printf("explicit reconcile answered: %s", fw.explState)
		return fw.call(ctx, calls.Reconcile())
	case fw.phase == phaseImplicit && id == sleeperID:
		if s.GetState() != mesos.TASK_RUNNING {
			return fw.fail("implicit reconcile: sleeper is %s",
				s.GetState())
		}
		fw.implState = s.GetState().String()
		fw.phase = phaseKilling
		log.Printf("implicit reconcile answered: %s", fw.implState)
		return fw.call(ctx, calls.Kill(sleeperID, fw.agentOf[sleeperID]))
	case fw.phase == phaseImplicit && fw.finished[id]:
		return fw.fail("implicit reconcile reported finished task %s", id)
	}
	return nil
}

// maybeFinish advances the run when its conditions are met.
func (fw *framework) maybeFinish(ctx context.Context) error {
	switch fw.phase {
	case phaseRunning:
		if len(fw.finished) < fw.ntasks || !fw.sleeperUp {
			return nil
		}
		ids := make([]string, 0, len(fw.finished))
		for id := range fw.finished {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		fw.explicit = ids[0]
		fw.phase = phaseExplicit
		return fw.call(ctx, calls.Reconcile(calls.ReconcileTasks(
			map[string]string{fw.explicit: fw.agentOf[fw.explicit]})))
	case phaseKilling:
		if fw.sleeperUp || fw.declined == 0 {
			return nil
		}
		// A fresh context: the run's own is cancelled right after.
		tctx, done := context.WithTimeout(context.Background(),
			10*time.Second)
		defer done()
		teardown := &scheduler.Call{Type: scheduler.Call_TEARDOWN}
		if err := fw.call(tctx, teardown); err != nil {
			return err
		}
		fw.phase = phaseDone
		fw.result = fmt.Sprintf("RESULT finished=%d reconciled=ok "+
			"explicit=%s implicit=%s killed=1 declined=%d acks=%d",
			len(fw.finished), fw.explState, fw.implState, fw.declined,
			fw.acks)
		fw.cancel()
	}
	return nil
}

func (fw *framework) handler() events.Handler {
	logged := eventrules.Rule(func(ctx context.Context, e *scheduler.Event,
		err error, ch eventrules.Chain) (context.Context, *scheduler.Event, error) {
		if e.GetType() != scheduler.Event_HEARTBEAT {
			log.Printf("event %s", e.GetType())
		}
		return ch(ctx, e, err)
	})
	return eventrules.New(
		logged,
		controller.LiftErrors(),
	).Handle(events.Handlers{
		scheduler.Event_SUBSCRIBED: eventrules.New(
			controller.TrackSubscription(fw.fidStore, 0)),
		scheduler.Event_OFFERS: events.HandlerFunc(fw.offers),
		scheduler.Event_UPDATE: controller.AckStatusUpdates(fw.cli).AndThen().
			HandleF(fw.update),
		scheduler.Event_RESCIND: events.HandlerFunc(
			func(context.Context, *scheduler.Event) error { return nil }),
		scheduler.Event_HEARTBEAT: events.NoopHandler,
	}.Otherwise(func(ctx context.Context, e *scheduler.Event) error {
		return fw.fail("unexpected event %s", e.GetType())
	}))
}

// wireLog prints every request and response line (--verbose).
func wireLog(f httpcli.DoFunc) httpcli.DoFunc {
	return func(req *http.Request) (*http.Response, error) {
		var body []byte
		if req.Body != nil {
			body, _ = io.ReadAll(req.Body)
			req.Body = io.NopCloser(bytes.NewReader(body))
		}
		log.Printf("> %s %s %v %s", req.Method, req.URL, req.Header, body)
		res, err := f(req)
		if err != nil {
			log.Printf("< error: %v", err)
		} else {
			log.Printf("< %s %v", res.Status, res.Header)
		}
		return res, err
	}
}

func main() {
	master := flag.String("master",
		"http://127.0.0.1:5050/api/v1/scheduler", "scheduler API URL")
	ntasks := flag.Int("tasks", 3, "number of echo tasks")
	timeout := flag.Duration("timeout", 60*time.Second, "overall deadline")
	verbose := flag.Bool("verbose", false, "log every HTTP exchange")
	flag.Parse()
	log.SetFlags(log.Lmicroseconds)
	log.SetPrefix("mesosgo: ")
	if *ntasks < 1 {
		fmt.Println("FAIL --tasks must be at least 1")
		os.Exit(1)
	}

	fw := newFramework(*ntasks)
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	fw.cancel = cancel
	defer cancel()
	watchdog := time.AfterFunc(*timeout+15*time.Second, func() {
		fmt.Println("FAIL watchdog: controller did not stop after the deadline")
		os.Exit(1)
	})
	defer watchdog.Stop()

	opts := []httpcli.Opt{
		httpcli.Endpoint(*master),
		httpcli.Codec(codecs.ByMediaType[codecs.MediaTypeJSON]),
		httpcli.Do(httpcli.With(httpcli.Timeout(10 * time.Second))),
	}
	if *verbose {
		opts = append(opts, httpcli.WrapDoer(wireLog))
	}
	sched := httpsched.NewCaller(httpcli.New(opts...))
	fw.cli = callrules.New(callrules.WithFrameworkID(
		store.GetIgnoreErrors(fw.fidStore))).Caller(sched)

	failover := 0.0
	info := &mesos.FrameworkInfo{
		User:            "root",
		Name:            "mesos-go-compat",
		FailoverTimeout: &failover,
	}
	// One subscription only: a broken stream is a failure, not a retry.
	tokens := make(chan struct{}, 1)
	tokens <- struct{}{}
	close(tokens)
	var subErr error
	err := controller.Run(ctx, info, fw.cli,
		controller.WithEventHandler(fw.handler()),
		controller.WithFrameworkID(store.GetIgnoreErrors(fw.fidStore)),
		controller.WithRegistrationTokens(tokens),
		controller.WithSubscriptionTerminated(func(e error) {
			if e != nil && subErr == nil {
				subErr = e
			}
		}))

	switch {
	case fw.err != nil:
		fmt.Println("FAIL " + fw.err.Error())
	case fw.phase == phaseDone:
		fmt.Println(fw.result)
		os.Exit(0)
	case ctx.Err() == context.DeadlineExceeded:
		fmt.Printf("FAIL deadline %s exceeded in phase %d "+
			"(finished=%d sleeper_up=%t declined=%d): %v\n", *timeout,
			fw.phase, len(fw.finished), fw.sleeperUp, fw.declined, subErr)
	default:
		msg := []string{}
		for _, e := range []error{err, subErr} {
			if e != nil {
				msg = append(msg, e.Error())
			}
		}
		fmt.Printf("FAIL subscription ended in phase %d: %s\n", fw.phase,
			strings.Join(msg, "; "))
	}
	os.Exit(1)
}
