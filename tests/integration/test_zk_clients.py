# SPDX-License-Identifier: Apache-2.0
"""Clients that follow the leading master through ZooKeeper: two real
masters contend under --zk on one real ZooKeeper server
(scripts/zk-ensemble.sh); an agent, `corral execute` (the scheduler
library) and the CLI's queries are given --master=zk://... (or a file://
holding it). The leader is killed with SIGKILL; once its ZooKeeper session
expires the standby takes over, and the agent re-registers with it (same
agent id, its running task reported) within the sub-second jitter window,
not after a multi-second backoff; a framework subscribed through
ZooKeeper re-subscribes to the new leader and sees its task finish.

Uses the HA tests' cluster (hacluster.py)."""
import json
import os
import signal
import subprocess
import time
import unittest

from hacluster import HACluster
from harness import (BIN, MULT, SANITIZER_MARKS, Proc, executor_pids,
                     http_json, read_port, run, sanitizer_reports, wait_for)

CORRAL = os.path.join(BIN, "corral")


def corral(*args, secs=60):
    e = dict(os.environ)
    e.pop("CORRAL_MASTER", None)
    r = subprocess.run([CORRAL] + list(args), capture_output=True,
                       text=True, env=e, stdin=subprocess.DEVNULL,
                       timeout=secs * MULT)
    bad = [m for m in SANITIZER_MARKS if m in r.stderr]
    if bad:
        raise AssertionError("sanitizer report from corral %s:\n%s"
                             % (" ".join(args), r.stderr[-20000:]))
    return r


def get_json(port, path):
    try:
        st, _, body = http_json("GET", "127.0.0.1", port, path, timeout=5)
    except OSError:
        return None
    return json.loads(body) if st == 200 else None


class ZkClients(unittest.TestCase):
    def setUp(self):
        # The masters' ZooKeeper session is 2 s: a killed leader's node
        # lives that long.
        self.c = HACluster(masters=0, master_flags=[
            "--agent_ping_timeout=1secs", "--max_agent_ping_timeouts=30"])
        self.addCleanup(self.cleanup)
        self.dir = self.c.dir
        self.url = self.c.zk.url()
        self.url_file = os.path.join(self.dir, "master.zk")
        with open(self.url_file, "w") as f:
            f.write(self.url + "\n")

    def cleanup(self):
        for pid in executor_pids(self.dir):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        reports = sanitizer_reports(self.dir)
        self.c.close()
        if reports:
            raise AssertionError("sanitizer report:\n" + reports[-20000:])

    # -- processes ------------------------------------------------------------
    def start_master(self, i):
        m = self.c.start_master(i)
        wait_for(lambda: get_json(m.port, "/master/state") is not None, 10,
                 m.name + " to serve")
        return m

    def leads(self, m):
        st = get_json(m.port, "/master/state")
        return st is not None and "elected_time" in st

    def wait_leader(self, m, secs=20):
        def check():
            if not m.alive():
                raise AssertionError("%s exited:\n%s" % (m.name, m.output()))
            return self.leads(m)
        wait_for(check, secs, m.name + " to lead")

    def start_agent(self, name, master, extra=()):
        ready = os.path.join(self.dir, name + ".port")
        p = Proc(name, [os.path.join(BIN, "corral-agent"), "--ip=127.0.0.1",
                        "--port=0", "--ready_file=" + ready,
                        "--master=" + master,
                        "--work_dir=" + os.path.join(self.dir, name),
                        "--resources=cpus:4;mem:2048;disk:2048",
                        "--zk_session_timeout=4secs"] + list(extra),
                 self.dir)
        self.c.procs.append(p)
        p.port = read_port(ready, p)
        return p

    def agents_of(self, m):
        st = get_json(m.port, "/master/state")
        return [] if st is None else st["slaves"]

    def agent_registered(self, m, agent_id=None):
        for a in self.agents_of(m):
            if a.get("active") and (agent_id is None or a["id"] == agent_id):
                return a
        return None

    def masters(self):
        m1 = self.start_master(0)
        self.wait_leader(m1)  # m1 first, so it is the one that leads
        m2 = self.start_master(1)
        self.assertFalse(self.leads(m2))
        return m1, m2

    # -- tests ----------------------------------------------------------------
    def test_agent_and_cli_follow_the_leader(self):
        m1, m2 = self.masters()
        # The default --registration_backoff_factor (1secs): the failover
        # below must not wait for its backoff.
        agent = self.start_agent("agent0", self.url)
        a = wait_for(lambda: self.agent_registered(m1), 20,
                     "the agent to register with master1")
        agent_id = a["id"]
        self.assertFalse(self.agents_of(m2), "a standby has no agents")

        # The CLI resolves the leader (zk:// and file:// forms).
        r = corral("agents", "--master", self.url, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual([x["id"] for x in json.loads(r.stdout)], [agent_id])
        r = corral("execute", "--master", self.url, "--name", "zk-hi",
                   "--command", "echo hi from zk", "--quiet")
        self.assertEqual((r.returncode, r.stdout), (0, "hi from zk\n"),
                         r.stderr)
        r = corral("ps", "--master", "file://" + self.url_file, "--all",
                   "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("zk-hi", [t["id"] for t in json.loads(r.stdout)])

        # A task that keeps running across the failover.
        trigger = os.path.join(self.dir, "finish-now")
        ex = Proc("execute", [CORRAL, "execute", "--master", self.url,
                              "--name", "zk-long", "--connect_timeout",
                              "30secs", "--command",
                              "while [ ! -e %s ]; do sleep 0.05; done; "
                              "echo survived" % trigger], self.dir)
        self.c.procs.append(ex)

        def running():
            for f in get_json(m1.port, "/master/state")["frameworks"]:
                for t in f["tasks"]:
                    if t["id"] == "zk-long" and t["state"] == "TASK_RUNNING":
                        return True
            return False
        wait_for(running, 30, "zk-long to run on master1")

        # The leader dies; master2 takes over once master1's session
        # expires; the agent re-registers with it, same id, reporting
        # its task.
        m1.kill9()
        self.wait_leader(m2, 30)
        elected = time.monotonic()
        wait_for(lambda: self.agent_registered(m2, agent_id), 10,
                 "the agent to re-register with master2")
        took = time.monotonic() - elected
        # Jitter window 0.5 s (+ ZooKeeper notification + one round
        # trip); a backoff after the failed retries to master1 would be
        # 1-4 s.
        self.assertLess(took, 1.5 * MULT, "re-registration took %.2fs" % took)
        st = get_json(m2.port, "/master/state")
        self.assertIn("zk-long", json.dumps(st),
                      "the re-registering agent reports its task")
        self.assertIn("leading master is", agent.output())

        # The framework re-subscribed to master2: the task's end reaches
        # it there, and `corral execute` prints the output and exits 0.
        open(trigger, "w").close()
        rc = ex.p.wait(timeout=60 * MULT)
        out = ex.output()
        self.assertEqual(rc, 0, out)
        self.assertIn("survived", out)

        # The CLI finds the new leader too.
        r = corral("agents", "--master", self.url, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual([x["id"] for x in json.loads(r.stdout)], [agent_id])
        r = corral("execute", "--master", "file://" + self.url_file,
                   "--command", "echo again", "--quiet")
        self.assertEqual((r.returncode, r.stdout), (0, "again\n"), r.stderr)

    def test_no_leader_then_a_leader(self):
        # An agent and a query started before any master exists wait for
        # one; the agent registers as soon as a master is elected.
        agent = self.start_agent("agent0", "file://" + self.url_file)
        r = corral("agents", "--master", self.url, "--json", secs=30)
        self.assertEqual(r.returncode, 2)
        self.assertIn("no leading master", r.stderr)
        self.assertTrue(agent.alive())
        m1 = self.start_master(0)
        self.wait_leader(m1)
        elected = time.monotonic()
        wait_for(lambda: self.agent_registered(m1), 10,
                 "the agent to register with master1")
        self.assertLess(time.monotonic() - elected, 1.5 * MULT)

    def test_bad_zk_urls(self):
        for bad in ("zk://", "zk://127.0.0.1:2181/a/../b",
                    "file://" + os.path.join(self.dir, "missing")):
            r = corral("agents", "--master", bad)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn("--master", r.stderr)
            p = subprocess.run([os.path.join(BIN, "corral-agent"),
                                "--master=" + bad, "--work_dir=" +
                                os.path.join(self.dir, "bad")],
                               capture_output=True, text=True,
                               stdin=subprocess.DEVNULL, timeout=30 * MULT)
            self.assertEqual(p.returncode, 1, p.stderr)
            self.assertIn("--master", p.stderr)


if __name__ == "__main__":
    run()
