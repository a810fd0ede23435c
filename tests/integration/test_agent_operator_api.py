# SPDX-License-Identifier: Apache-2.0
"""The agent's v1 operator API (POST /api/v1 on the agent,
mesos.v1.agent.Call): every implemented call's status and shape with a
running and a finished task, SET/GET_LOGGING_LEVEL, bad input (400, the
unknown type named), calls Corral does not implement (501), content
negotiation (405/400/415/406), 503 while executors re-register after an
agent restart, the agent's /metrics/snapshot and Prometheus /metrics, and
a client built on Debian's mesos-go v1 library (mesosgo_agent/main.go,
httpagent sender, JSON codec) that decodes every answer.

The mesos-go client is built offline in GOPATH mode as test_mesos_go.py
builds its framework; without golang-go and golang-github-mesos-mesos-go-dev
that test fails (it never skips).
"""
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import unittest

from harness import (MULT, Cluster, Scheduler, command_task, http_json, run,
                     wait_for)

HERE = os.path.dirname(os.path.abspath(__file__))
GO_SRC = os.path.join(HERE, "mesosgo_agent")
GOCODE = "/usr/share/gocode"

GETS = ["GET_HEALTH", "GET_FLAGS", "GET_VERSION", "GET_METRICS",
        "GET_LOGGING_LEVEL", "GET_STATE", "GET_CONTAINERS",
        "GET_FRAMEWORKS", "GET_EXECUTORS", "GET_TASKS", "GET_AGENT"]
TERMINAL = {"TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_LOST",
            "TASK_ERROR", "TASK_DROPPED", "TASK_GONE"}


def is_v1_resources(arr):
    return isinstance(arr, list) and all(
        "name" in r and "type" in r for r in arr)


def parse_prometheus(text):
    types, samples = {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split()
            types[name] = kind
        elif line and not line.startswith("#"):
            name, value = line.split()
            samples[name] = float(value)
    return types, samples


def agent_call(port, body, headers=None, path="/api/v1"):
    return http_json("POST", "127.0.0.1", port, path, body, headers)


def raw_post(port, path, body, headers):
    """A POST with exactly these headers (http_json adds Content-Type)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("POST", path, body=body, headers=headers)
    resp = conn.getresponse()
    out = resp.read()
    conn.close()
    return resp.status, out


def agent_get(port, type_):
    st, h, out = agent_call(port, {"type": type_})
    assert st == 200, (type_, st, out)
    assert h.get("content-type") == "application/json", (type_, h)
    j = json.loads(out)
    assert j["type"] == type_, j
    assert set(j) == {"type", type_.lower()}, j
    return j[type_.lower()]


def ids(entries, *path):
    """The {"value": id} at path in each entry, as strings."""
    out = []
    for e in entries:
        for k in path:
            e = e[k]
        out.append(e["value"])
    return out


def build_go_client(out_dir):
    """Build mesosgo_agent offline into out_dir; returns the binary."""
    go = shutil.which("go")
    if go is None or not os.path.isdir(os.path.join(
            GOCODE, "src/github.com/mesos/mesos-go/api/v1/lib")):
        raise AssertionError("install golang-go and "
                             "golang-github-mesos-mesos-go-dev "
                             "(scripts/install-deps.sh --gotest)")
    gopath = tempfile.mkdtemp(prefix="gopath-", dir=out_dir)
    env = dict(os.environ)
    env.update({"GO111MODULE": "off", "GOPATH": gopath + os.pathsep + GOCODE,
                "GOPROXY": "off", "GOFLAGS": "", "GOENV": "off",
                "CGO_ENABLED": "0", "HOME": out_dir})
    # Go's build cache is content-addressed and safe to share.
    env["GOCACHE"] = os.environ.get("CR_GOCACHE") or os.path.join(
        tempfile.gettempdir(), "corral-gocache-agentapi")
    binary = os.path.join(out_dir, "mesosgo_agent")
    p = subprocess.run([go, "build", "-o", binary, "."], cwd=GO_SRC, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=240 * MULT)
    if p.returncode != 0:
        raise AssertionError("go build failed (%d):\n%s" %
                             (p.returncode, p.stdout.decode(errors="replace")))
    return binary


class AgentOperatorApi(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster(agents=1)
        try:
            cls.port = cls.c.agents[0].port
            cls.s = Scheduler(cls.c.master_port, name="agent-api")
            offer = cls.s.offers()[0]
            cls.agent_id = offer["agent_id"]["value"]
            st, out = cls.s.launch(offer, [
                command_task(offer, "t-run", "sleep 120", cpus=0.25,
                             mem=48, labels={"labels": [
                                 {"key": "k", "value": "v"}]}),
                command_task(offer, "t-done", "true")])
            assert st == 202, out
            cls.s.update("t-run", states={"TASK_RUNNING"})
            final, _ = cls.s.wait_terminal("t-done")
            assert final["state"] == "TASK_FINISHED", final
        except BaseException:
            cls.c.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.s.call({"type": "TEARDOWN"})
        cls.s.close()
        cls.c.close()

    def call(self, body, headers=None, path="/api/v1"):
        return agent_call(self.port, body, headers, path)

    def get(self, type_):
        return agent_get(self.port, type_)

    def completed_tasks(self):
        """GET_TASKS once t-done's terminal update is acknowledged."""
        def done():
            t = self.get("GET_TASKS")
            return t if "t-done" in ids(t["completed_tasks"], "task_id") else None
        return wait_for(done, 10, "t-done among completed tasks")

    def completed_executors(self):
        """GET_EXECUTORS once t-done's executor has terminated."""
        def done():
            e = self.get("GET_EXECUTORS")
            return e if "t-done" in ids(e["completed_executors"],
                                        "executor_info", "executor_id") \
                else None
        return wait_for(done, 10, "t-done's executor among completed ones")

    def test_every_get_call(self):
        for t in GETS:
            self.get(t)
        # The libprocess-style prefix reaches the same API.
        st, h, out = self.call({"type": "GET_HEALTH"},
                               path="/slave(1)/api/v1")
        self.assertEqual(st, 200, out)
        self.assertEqual(json.loads(out)["get_health"], {"healthy": True})

    def test_small_calls(self):
        self.assertEqual(self.get("GET_HEALTH"), {"healthy": True})
        flags = {f["name"]: f["value"] for f in self.get("GET_FLAGS")["flags"]}
        self.assertEqual(flags["work_dir"],
                         os.path.join(self.c.dir, "agent0"))
        self.assertEqual(flags["master"], "127.0.0.1:%d" % self.c.master_port)
        v = self.get("GET_VERSION")["version_info"]
        self.assertTrue(v["version"])
        self.assertIsInstance(v["build_time"], (int, float))
        info = self.get("GET_AGENT")["agent_info"]
        self.assertEqual(info["id"], {"value": self.agent_id})
        self.assertEqual(info["hostname"], "127.0.0.1")
        self.assertTrue(is_v1_resources(info["resources"]))
        m = {x["name"]: x["value"] for x in self.get("GET_METRICS")["metrics"]}
        self.assertEqual(m["slave/registered"], 1)
        self.assertEqual(m["slave/tasks_running"], 1)
        self.assertEqual(m["slave/cpus_total"], 4)
        self.assertAlmostEqual(m["slave/cpus_used"], 0.25)
        self.assertEqual(m["slave/mem_used"], 48)
        self.assertIn("system/load_1min", m)
        st, _, out = self.call({"type": "GET_METRICS", "get_metrics": {
            "timeout": {"nanoseconds": 5000000000}}})
        self.assertEqual(st, 200, out)

    def test_frameworks_executors_tasks(self):
        fws = self.get("GET_FRAMEWORKS")
        self.assertEqual(set(fws), {"frameworks", "completed_frameworks"})
        mine = [f["framework_info"] for f in fws["frameworks"]
                if f["framework_info"]["id"]["value"] == self.s.framework_id]
        self.assertEqual(len(mine), 1)
        self.assertEqual(mine[0]["name"], "agent-api")

        tasks = self.completed_tasks()
        self.assertEqual(set(tasks), {"pending_tasks", "queued_tasks",
                                      "launched_tasks", "terminated_tasks",
                                      "completed_tasks"})
        self.assertEqual(tasks["pending_tasks"], [])
        run_ = [t for t in tasks["launched_tasks"]
                if t["task_id"]["value"] == "t-run"]
        self.assertEqual(len(run_), 1)
        t = run_[0]
        self.assertEqual(t["state"], "TASK_RUNNING")
        self.assertEqual(t["name"], "t-run")
        self.assertEqual(t["framework_id"], {"value": self.s.framework_id})
        self.assertEqual(t["agent_id"], {"value": self.agent_id})
        self.assertNotIn("executor_id", t)  # a command task
        self.assertTrue(is_v1_resources(t["resources"]))
        self.assertEqual(t["labels"], {"labels": [{"key": "k",
                                                   "value": "v"}]})
        self.assertEqual([s["state"] for s in t["statuses"]],
                         ["TASK_STARTING", "TASK_RUNNING"])
        done = [t for t in tasks["completed_tasks"]
                if t["task_id"]["value"] == "t-done"][0]
        self.assertEqual(done["state"], "TASK_FINISHED")
        self.assertEqual(done["statuses"][-1]["state"], "TASK_FINISHED")
        for lst in tasks.values():
            for x in lst:
                self.assertIn("task_id", x)
        # Every terminal task is in completed or terminated, never launched.
        for x in tasks["launched_tasks"] + tasks["queued_tasks"]:
            self.assertNotIn(x["state"], TERMINAL)

        e = self.completed_executors()
        self.assertEqual(set(e), {"executors", "completed_executors"})
        live = [x["executor_info"] for x in e["executors"]
                if x["executor_info"]["executor_id"]["value"] == "t-run"]
        self.assertEqual(len(live), 1)
        self.assertEqual(live[0]["framework_id"],
                         {"value": self.s.framework_id})
        self.assertIn("command", live[0])

    def test_containers(self):
        cs = self.get("GET_CONTAINERS")["containers"]
        mine = [c for c in cs if c["executor_id"]["value"] == "t-run"]
        self.assertEqual(len(mine), 1)
        c = mine[0]
        self.assertEqual(c["framework_id"], {"value": self.s.framework_id})
        self.assertIn("t-run", c["executor_name"])
        # The same container id /state shows for the executor.
        st = json.loads(self.c.get("/state", self.port)[2])
        ex = [x for f in st["frameworks"] for x in f["executors"]
              if x["id"] == "t-run"][0]
        self.assertEqual(c["container_id"], {"value": ex["container"]})
        self.assertEqual(c["container_status"]["container_id"],
                         c["container_id"])
        pid = c["container_status"]["executor_pid"]
        self.assertIn(pid, self.c.executor_pids())
        rs = c["resource_statistics"]
        self.assertGreater(rs["timestamp"], 0)
        self.assertAlmostEqual(rs["cpus_limit"], 0.25)
        self.assertEqual(rs["mem_limit_bytes"], 48 * 1024 * 1024)
        # The executor and its task's shell/sleep share the session.
        self.assertGreaterEqual(rs["processes"], 2)
        self.assertGreaterEqual(rs["threads"], rs["processes"])
        self.assertGreater(rs["mem_rss_bytes"], 0)
        self.assertGreaterEqual(rs["cpus_user_time_secs"], 0)
        self.assertGreaterEqual(rs["cpus_system_time_secs"], 0)

    def test_state_is_the_three_lists(self):
        self.completed_tasks()
        self.completed_executors()
        state = self.get("GET_STATE")
        self.assertEqual(set(state), {"get_tasks", "get_executors",
                                      "get_frameworks"})
        self.assertEqual(state["get_frameworks"], self.get("GET_FRAMEWORKS"))
        self.assertEqual(state["get_executors"], self.get("GET_EXECUTORS"))
        self.assertEqual(state["get_tasks"], self.get("GET_TASKS"))

    def test_logging_level(self):
        st, h, out = self.call({"type": "SET_LOGGING_LEVEL",
                                "set_logging_level": {
                                    "level": 1,
                                    "duration": {"nanoseconds": 60e9}}})
        self.assertEqual(st, 200, out)
        self.assertNotIn("content-type", h)
        self.assertEqual(out, b"")
        self.assertEqual(self.get("GET_LOGGING_LEVEL")["level"], 1)
        st, _, _ = self.call({"type": "SET_LOGGING_LEVEL",
                              "set_logging_level": {
                                  "level": 0,
                                  "duration": {"nanoseconds": 60e9}}})
        self.assertEqual(st, 200)
        self.assertEqual(self.get("GET_LOGGING_LEVEL")["level"], 0)
        # A short change reverts by itself.
        self.call({"type": "SET_LOGGING_LEVEL", "set_logging_level": {
            "level": 1, "duration": {"nanoseconds": 200e6}}})
        wait_for(lambda: self.get("GET_LOGGING_LEVEL")["level"] == 0, 10,
                 "the logging level to revert")

    def test_bad_input(self):
        bad = [(b"{", "Failed to parse"), (b"[]", "JSON object"),
               (b"", "Failed to parse"),
               ({"get_health": {}}, "Expecting 'type' to be present"),
               ({"type": 3}, "string"),
               ({"type": "NO_SUCH_CALL"}, "Unknown call type 'NO_SUCH_CALL'"),
               ({"type": "GET_AGENTS"}, "Unknown call type 'GET_AGENTS'"),
               ({"type": "SET_LOGGING_LEVEL"},
                "Expecting 'set_logging_level' to be present"),
               ({"type": "SET_LOGGING_LEVEL", "set_logging_level": {
                   "level": -1, "duration": {"nanoseconds": 1}}},
                "unsigned integer"),
               ({"type": "GET_METRICS", "get_metrics": {"timeout": {}}},
                "nanoseconds"),
               ({"type": "LIST_FILES"},
                "Expecting 'list_files' to be present")]
        for body, msg in bad:
            st, h, out = self.call(body)
            self.assertEqual(st, 400, (body, out))
            self.assertIn(msg, out.decode(), body)

    def test_unimplemented_calls(self):
        for body in ({"type": "UNKNOWN"},
                     {"type": "LIST_FILES", "list_files": {"path": "/"}},
                     {"type": "READ_FILE", "read_file": {"path": "/x",
                                                         "offset": 0}},
                     {"type": "GET_OPERATIONS"},
                     {"type": "GET_RESOURCE_PROVIDERS"},
                     {"type": "KILL_NESTED_CONTAINER",
                      "kill_nested_container": {
                          "container_id": {"value": "x"}}},
                     {"type": "PRUNE_IMAGES"}):
            st, _, out = self.call(body)
            self.assertEqual(st, 501, (body, out))
            self.assertIn(body["type"], out.decode())

    def test_content_negotiation(self):
        st, h, out = http_json("GET", "127.0.0.1", self.port, "/api/v1")
        self.assertEqual(st, 405)
        self.assertEqual(h["allow"], "POST")
        body = json.dumps({"type": "GET_HEALTH"}).encode()
        st, out = raw_post(self.port, "/api/v1", body, {})
        self.assertEqual(st, 400, out)
        self.assertIn(b"Content-Type", out)
        st, _, out = self.call(body,
                               {"Content-Type": "application/x-protobuf"})
        self.assertEqual(st, 415, out)
        self.assertEqual(self.call(body, {"Content-Type": "text/plain"})[0],
                         415)
        # Lenient on parameters and case, like the master.
        st, h, _ = self.call(body, {"Content-Type":
                                    "Application/JSON; charset=utf-8"})
        self.assertEqual(st, 200)
        for accept in ("text/html", "application/x-protobuf"):
            st, _, out = self.call(body, {"Accept": accept})
            self.assertEqual(st, 406, (accept, out))
        for accept in ("application/json", "*/*", "application/*",
                       "text/html, application/json;q=0.9"):
            st, h, _ = self.call(body, {"Accept": accept})
            self.assertEqual(st, 200, accept)
            self.assertEqual(h["content-type"], "application/json")
        # Bad input is reported before Accept is looked at (as upstream).
        self.assertEqual(self.call({"type": "NOPE"},
                                   {"Accept": "text/html"})[0], 400)

    def test_metrics_endpoints(self):
        self.completed_executors()
        st, h, body = self.c.get("/metrics/snapshot", self.port)
        self.assertEqual(st, 200)
        snap = json.loads(body)
        for name in ("slave/registered", "slave/uptime_secs",
                     "slave/frameworks_active", "slave/executors_running",
                     "slave/executors_registering",
                     "slave/executors_terminating",
                     "slave/executors_terminated", "slave/tasks_staging",
                     "slave/tasks_starting", "slave/tasks_running",
                     "slave/tasks_killing", "slave/tasks_finished",
                     "slave/tasks_failed", "slave/tasks_killed",
                     "slave/tasks_lost", "slave/cpus_total",
                     "slave/cpus_used", "slave/cpus_percent",
                     "slave/mem_total", "slave/disk_total",
                     "system/cpus_total"):
            self.assertIn(name, snap)
        self.assertEqual(snap["slave/frameworks_active"], 1)
        self.assertEqual(snap["slave/executors_running"], 1)
        self.assertEqual(snap["slave/mem_total"], 4096)
        wait_for(lambda: json.loads(self.c.get(
            "/metrics/snapshot", self.port)[2])["slave/tasks_finished"] == 1,
            10, "slave/tasks_finished")
        st, h, body = self.c.get("/metrics", self.port)
        self.assertEqual(st, 200)
        self.assertTrue(h["content-type"].startswith("text/plain"))
        types, samples = parse_prometheus(body.decode())
        self.assertEqual(set(samples),
                         {k.replace("/", "_") for k in snap})
        self.assertEqual(types["slave_tasks_finished"], "counter")
        self.assertEqual(types["slave_tasks_running"], "gauge")
        self.assertEqual(samples["slave_tasks_finished"], 1)
        self.assertEqual(samples["slave_registered"], 1)
        st, h, body = self.c.get("/metrics/snapshot?jsonp=cb", self.port)
        self.assertTrue(body.startswith(b"cb({"))

    def test_mesos_go_client(self):
        self.completed_tasks()
        self.completed_executors()
        binary = build_go_client(self.c.dir)
        p = subprocess.run([binary, "--agent",
                            "http://127.0.0.1:%d/api/v1" % self.port],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=60 * MULT)
        out = p.stdout.decode(errors="replace")
        self.assertEqual(p.returncode, 0, out + p.stderr.decode(
            errors="replace")[-4000:])
        m = re.search(r"^RESULT (.*)$", out, re.M)
        self.assertIsNotNone(m, out)
        got = dict(kv.split("=", 1) for kv in m.group(1).split())
        self.assertEqual(got["healthy"], "true")
        self.assertGreater(int(got["flags"]), 10)
        self.assertTrue(got["version"])
        self.assertGreater(int(got["metrics"]), 20)
        self.assertEqual(got["level"], "1")
        self.assertEqual(got["frameworks"], "1")
        self.assertEqual(got["executors"], "1")
        self.assertEqual(got["launched"], "t-run")
        self.assertEqual(got["state_launched"], "t-run")
        self.assertEqual(got["completed"], "t-done")
        self.assertEqual(got["containers"], "1")
        self.assertIn(int(got["pid"]), self.c.executor_pids())
        self.assertGreaterEqual(int(got["processes"]), 2)
        self.assertEqual(got["agent"], self.agent_id)
        self.assertEqual(self.get("GET_LOGGING_LEVEL")["level"], 0)


class Recovering(unittest.TestCase):
    def test_503_until_executors_reregister(self):
        c = Cluster(agents=1, master_flags=[
            "--agent_ping_timeout=1secs", "--max_agent_ping_timeouts=30"])
        stopped = []
        try:
            s = Scheduler(c.master_port, name="recovering",
                          failover_timeout=3600)
            offer = s.offers()[0]
            s.launch(offer, [command_task(offer, "t-rec", "sleep 300")])
            s.update("t-rec", states={"TASK_RUNNING"})
            # A stopped executor cannot re-subscribe: the restarted agent
            # waits for it (up to the timeout) and says so.
            pids = c.executor_pids()
            self.assertEqual(len(pids), 1)
            os.kill(pids[0], signal.SIGSTOP)
            stopped.append(pids[0])
            c.agents[0].kill9()
            p = c.start_agent(0, ["--executor_reregistration_timeout=15secs"])
            st, h, out = agent_call(p.port, {"type": "GET_HEALTH"})
            self.assertEqual(st, 503, out)
            self.assertIn(b"Agent has not finished recovery", out)
            os.kill(pids[0], signal.SIGCONT)
            stopped.clear()
            wait_for(lambda: agent_call(p.port, {"type": "GET_HEALTH"})[0] ==
                     200, 20, "the end of the agent's recovery")
            tasks = agent_get(p.port, "GET_TASKS")
            self.assertEqual(ids(tasks["launched_tasks"], "task_id"),
                             ["t-rec"])
            s.call({"type": "TEARDOWN"})
            s.close()
        finally:
            for pid in stopped:
                os.kill(pid, signal.SIGCONT)
            c.close()


if __name__ == "__main__":
    run()
