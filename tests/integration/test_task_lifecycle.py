# SPDX-License-Identifier: Apache-2.0
"""Command tasks end to end: kill with a grace period (SIGTERM, then
SIGKILL when it runs out, a second kill shortening it, teardown), and the
fetcher (file:// URIs made executable or extracted into the sandbox, a
missing URI failing the launch, a fetch that hangs)."""
import json
import os
import signal
import socket
import tarfile
import time
import unittest

from harness import MULT, Cluster, Scheduler, command_task, run, wait_for


def group_members(pgid):
    """Live processes in process group pgid (from /proc)."""
    out = []
    for d in os.listdir("/proc"):
        try:
            with open("/proc/%s/stat" % d) as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if fields[0] != "Z" and int(fields[2]) == pgid:
            out.append(int(d))
    return out


class TaskLifecycle(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster(agents=1)

    @classmethod
    def tearDownClass(cls):
        cls.c.close()

    def setUp(self):
        self.s = Scheduler(self.c.master_port, name=self._testMethodName,
                           capabilities=["TASK_KILLING_STATE"])
        self.offer = self.s.offers()[0]

    def tearDown(self):
        self.s.call({"type": "TEARDOWN"})
        self.s.close()

    def launch(self, task_id, cmd, **extra):
        st, out = self.s.launch(self.offer,
                                [command_task(self.offer, task_id, cmd,
                                              **extra)])
        self.assertEqual(st, 202, out)

    def kill(self, task_id, grace_secs=None):
        body = {"task_id": {"value": task_id},
                "agent_id": self.offer["agent_id"]}
        if grace_secs is not None:
            body["kill_policy"] = {"grace_period": {
                "nanoseconds": int(grace_secs * 1e9)}}
        st, out = self.s.call({"type": "KILL", "kill": body})
        self.assertEqual(st, 202, out)

    def sandbox(self, task_id):
        """The task's sandbox directory, from the agent's /state."""
        port = self.c.agents[0].port
        st = json.loads(self.c.get("/state", port)[2])
        for fw in st["frameworks"] + st["completed_frameworks"]:
            if fw["id"] != self.s.framework_id:
                continue
            for ex in fw["executors"] + fw["completed_executors"]:
                if ex["id"] == task_id:
                    return ex["directory"]
        raise AssertionError("no sandbox for " + task_id)

    def read(self, task_id, name):
        with open(os.path.join(self.sandbox(task_id), name), "rb") as f:
            return f.read().decode(errors="replace")

    # -- kill ----------------------------------------------------------------
    def test_kill_grace_period_escalates_to_sigkill(self):
        # The shell ignores SIGTERM after noting it; only SIGKILL stops it.
        cmd = ("trap 'echo got-term; sleep 100' TERM; echo $$ > pgid; "
               "echo ready; while :; do sleep 0.05; done")
        self.launch("t-grace", cmd)
        self.s.update("t-grace", states={"TASK_RUNNING"})
        wait_for(lambda: "ready" in self.read("t-grace", "stdout"), 10,
                 "the task to install its trap")
        start = time.monotonic()
        self.kill("t-grace", grace_secs=1)
        final, seen = self.s.wait_terminal("t-grace")
        took = time.monotonic() - start
        self.assertEqual(final["state"], "TASK_KILLED")
        self.assertEqual(seen[-2:], ["TASK_KILLING", "TASK_KILLED"])
        self.assertIn("got-term", self.read("t-grace", "stdout"))
        # SIGKILL came after the 1s grace period, not at once nor at the
        # default 3s.
        self.assertGreaterEqual(took, 0.9)
        self.assertLess(took, 2.9 * MULT)
        self.assertIn("Killed", final.get("message", ""))
        # The whole process group went, the trap's sleep included.
        pgid = int(self.read("t-grace", "pgid"))
        self.assertEqual(group_members(pgid), [])

    def test_second_kill_with_shorter_grace_escalates_sooner(self):
        cmd = ("trap 'echo got-term' TERM; echo ready; "
               "while :; do sleep 0.05; done")
        self.launch("t-rekill", cmd)
        self.s.update("t-rekill", states={"TASK_RUNNING"})
        wait_for(lambda: "ready" in self.read("t-rekill", "stdout"), 10,
                 "the task to install its trap")
        self.kill("t-rekill", grace_secs=600)
        self.s.update("t-rekill", states={"TASK_KILLING"})
        wait_for(lambda: "got-term" in self.read("t-rekill", "stdout"), 10,
                 "SIGTERM to reach the task")
        start = time.monotonic()
        self.kill("t-rekill", grace_secs=0)
        final, _ = self.s.wait_terminal("t-rekill")
        self.assertEqual(final["state"], "TASK_KILLED")
        self.assertLess(time.monotonic() - start, 2 * MULT)

    def test_task_kill_policy_applies_without_one_in_the_call(self):
        cmd = ("trap 'echo got-term' TERM; echo ready; "
               "while :; do sleep 0.05; done")
        self.launch("t-policy", cmd, kill_policy={
            "grace_period": {"nanoseconds": 200000000}})
        self.s.update("t-policy", states={"TASK_RUNNING"})
        wait_for(lambda: "ready" in self.read("t-policy", "stdout"), 10,
                 "the task to install its trap")
        start = time.monotonic()
        self.kill("t-policy")
        final, _ = self.s.wait_terminal("t-policy")
        self.assertEqual(final["state"], "TASK_KILLED")
        self.assertIn("got-term", self.read("t-policy", "stdout"))
        # 0.2s from the TaskInfo, not the 3s default.
        self.assertLess(time.monotonic() - start, 2 * MULT)

    def test_kill_plain_task_dies_on_sigterm_promptly(self):
        self.launch("t-term", "sleep 300")
        self.s.update("t-term", states={"TASK_RUNNING"})
        start = time.monotonic()
        self.kill("t-term", grace_secs=30)
        final, _ = self.s.wait_terminal("t-term")
        self.assertEqual(final["state"], "TASK_KILLED")
        self.assertLess(time.monotonic() - start, 2 * MULT)
        self.assertIn("Terminated", final.get("message", ""))

    # -- fetcher -------------------------------------------------------------
    def test_fetch_executable_file_and_extract_tarball(self):
        src = os.path.join(self.c.dir, "fetch-src")
        os.makedirs(src)
        script = os.path.join(src, "hello.sh")
        with open(script, "w") as f:
            f.write("#!/bin/sh\necho script-says-$1\n")
        os.chmod(script, 0o644)  # the fetcher must make it executable
        payload = os.path.join(src, "payload")
        os.makedirs(os.path.join(payload, "sub"))
        with open(os.path.join(payload, "sub", "data.txt"), "w") as f:
            f.write("from-the-tarball\n")
        tgz = os.path.join(src, "bundle.tar.gz")
        with tarfile.open(tgz, "w:gz") as t:
            t.add(payload, arcname="payload")
        cmd = ("./hello.sh hi && cat payload/sub/data.txt && "
               "test -f bundle.tar.gz")
        uris = [{"value": "file://" + script, "executable": True},
                {"value": "file://" + tgz, "extract": True}]
        self.launch("t-fetch", cmd, command={"shell": True, "value": cmd,
                                             "uris": uris})
        final, _ = self.s.wait_terminal("t-fetch")
        self.assertEqual(final["state"], "TASK_FINISHED",
                         final.get("message"))
        out = self.read("t-fetch", "stdout")
        self.assertIn("script-says-hi\n", out)
        self.assertIn("from-the-tarball\n", out)

    def test_fetch_missing_uri_fails_the_launch(self):
        missing = os.path.join(self.c.dir, "no-such-file")
        cmd = {"shell": True, "value": "true",
               "uris": [{"value": "file://" + missing}]}
        self.launch("t-nofetch", "true", command=cmd)
        final, seen = self.s.wait_terminal("t-nofetch")
        self.assertEqual(final["state"], "TASK_FAILED")
        self.assertEqual(final["reason"], "REASON_CONTAINER_LAUNCH_FAILED")
        self.assertEqual(final["source"], "SOURCE_AGENT")
        self.assertIn(missing, final.get("message", ""))
        self.assertNotIn("TASK_RUNNING", seen)


class Teardown(unittest.TestCase):
    def test_teardown_kills_a_task_that_ignores_sigterm(self):
        c = Cluster(agents=1,
                    agent_flags=["--executor_shutdown_grace_period=1secs"])
        self.addCleanup(c.close)
        s = Scheduler(c.master_port, name="teardown")
        self.addCleanup(s.close)
        offer = s.offers()[0]
        cmd = ("trap 'echo got-term' TERM; echo $$ > pgid; "
               "while :; do sleep 0.05; done")
        s.launch(offer, [command_task(offer, "t-td", cmd)])
        s.update("t-td", states={"TASK_RUNNING"})
        st = json.loads(c.get("/state", c.agents[0].port)[2])
        sandbox = st["frameworks"][0]["executors"][0]["directory"]
        pgfile = os.path.join(sandbox, "pgid")

        def pgid():
            try:
                with open(pgfile) as f:
                    return int(f.read())
            except (OSError, ValueError):
                return None
        pg = wait_for(pgid, 10, "the task to write its pgid")
        start = time.monotonic()
        self.assertEqual(s.call({"type": "TEARDOWN"})[0], 202)
        wait_for(lambda: group_members(pg) == [], 10,
                 "the task's process group to be killed")
        self.assertLess(time.monotonic() - start, 3 * MULT)
        with open(os.path.join(sandbox, "stdout")) as f:
            self.assertIn("got-term", f.read())  # SIGTERM came first


class StuckFetch(unittest.TestCase):
    """A fetch that never completes must neither delay a kill nor keep the
    agent from stopping."""

    def setUp(self):
        self.c = Cluster(agents=1)
        self.addCleanup(self.c.close)
        # A server that accepts and never answers: the fetch hangs.
        self.srv = socket.socket()
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(4)
        self.addCleanup(self.srv.close)
        self.s = Scheduler(self.c.master_port, name="stuck")
        self.addCleanup(self.s.close)
        self.offer = self.s.offers()[0]
        cmd = {"shell": True, "value": "true", "uris": [{
            "value": "http://127.0.0.1:%d/never.tar.gz"
                     % self.srv.getsockname()[1]}]}
        st, _ = self.s.launch(self.offer, [command_task(
            self.offer, "t-stuck", "true", command=cmd)])
        self.assertEqual(st, 202)
        self.srv.settimeout(10 * MULT)
        self.conn, _ = self.srv.accept()  # the fetcher is connected
        self.addCleanup(self.conn.close)

    def test_kill_during_fetch(self):
        self.s.call({"type": "KILL", "kill": {
            "task_id": {"value": "t-stuck"},
            "agent_id": self.offer["agent_id"]}})
        final, seen = self.s.wait_terminal("t-stuck", secs=5)
        self.assertEqual(final["state"], "TASK_KILLED")
        self.assertEqual(final["reason"], "REASON_TASK_KILLED_DURING_LAUNCH")
        self.assertNotIn("TASK_RUNNING", seen)

    def test_agent_stops_promptly_during_fetch(self):
        agent = self.c.agents[0]
        start = time.monotonic()
        agent.send_signal(signal.SIGTERM)
        agent.p.wait(timeout=20 * MULT)
        self.assertEqual(agent.p.returncode, 0)
        self.assertLess(time.monotonic() - start, 3 * MULT)
        # The restarted agent settles the launch it left half-done.
        self.c.start_agent(0)
        final, seen = self.s.wait_terminal("t-stuck", secs=20)
        self.assertIn(final["state"], ("TASK_FAILED", "TASK_LOST"))
        self.assertNotIn("TASK_RUNNING", seen)


if __name__ == "__main__":
    run()
