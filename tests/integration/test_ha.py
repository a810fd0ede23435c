# SPDX-License-Identifier: Apache-2.0
"""Leader election through a real ZooKeeper: exactly one leader, standbys
redirect, failover on kill -9, and a paused leader deposes itself."""
import json
import signal
import unittest

from hacluster import HACluster
from harness import Scheduler, http_json, run, wait_for


class Election(unittest.TestCase):
    def setUp(self):
        self.c = HACluster(masters=3)

    def tearDown(self):
        self.c.close()

    def post_subscribe(self, port):
        return http_json("POST", "127.0.0.1", port, "/api/v1/scheduler?x=1",
                         {"type": "SUBSCRIBE", "subscribe": {
                             "framework_info": {"user": "u", "name": "n"}}},
                         {"Accept": "application/json"}, timeout=2)

    def test_one_leader_and_standbys_redirect(self):
        leader = self.c.leader()
        lstate = json.loads(http_json("GET", "127.0.0.1", leader.port,
                                      "/master/state")[2])
        for p in self.c.masters:
            if p is leader:
                continue
            st, h, _ = self.post_subscribe(p.port)
            self.assertEqual(st, 307)
            self.assertEqual(h["location"], "//127.0.0.1:%d"
                             "/api/v1/scheduler?x=1" % leader.port)
            st, h, _ = http_json("GET", "127.0.0.1", p.port, "/redirect")
            self.assertEqual(st, 307)
            self.assertEqual(h["location"], "//127.0.0.1:%d" % leader.port)
            st, _, body = http_json("GET", "127.0.0.1", p.port,
                                    "/master/state")
            standby = json.loads(body)
            self.assertEqual(standby["leader"], lstate["pid"])
            self.assertEqual(standby["leader_info"]["port"], leader.port)
            self.assertNotIn("elected_time", standby)
        self.assertIn("elected_time", lstate)
        s = Scheduler(leader.port, name="on-leader")
        self.assertEqual(s.status, 200)
        s.close()

    def test_kill_leader_elects_another(self):
        old = self.c.leader()
        old.kill9()
        new = self.c.leader(exclude=old)
        self.assertNotEqual(new.port, old.port)
        s = Scheduler(new.port, name="after-failover")
        self.assertEqual(s.status, 200)
        s.close()
        for p in self.c.masters:
            if p.alive() and p is not new:
                self.assertEqual(self.post_subscribe(p.port)[0], 307)

    def test_paused_leader_deposes_itself(self):
        old = self.c.leader()
        s = Scheduler(old.port, name="fenced", failover_timeout=3600)
        self.assertEqual(s.status, 200)
        old.send_signal(signal.SIGSTOP)
        try:
            new = self.c.leader(exclude=old)
        finally:
            old.send_signal(signal.SIGCONT)
        # The old leader must notice, drop its streams and stand by.
        wait_for(lambda: self.c.metrics(old)["master/elected"] == 0, 20,
                 "the paused leader to stand down")
        s.next("__CLOSED__", secs=20)
        # Once its new session finds the leader it redirects to it (503
        # "No leader elected" until then).
        wait_for(lambda: self.post_subscribe(old.port)[0] == 307, 20,
                 "the deposed leader to redirect to the new one")
        self.assertEqual(self.c.leaders(), [new])
        st = json.loads(http_json("GET", "127.0.0.1", old.port,
                                  "/master/state")[2])
        self.assertEqual(st["frameworks"], [])
        s.close()


class NoLeader(unittest.TestCase):
    def test_standby_without_leader_answers_503(self):
        c = HACluster(masters=1)
        try:
            leader = c.leader()
            c.zk.stop()
            # With ZooKeeper gone the leader fences itself; nobody leads.
            wait_for(lambda: c.metrics(leader)["master/elected"] == 0, 20,
                     "the leader to stand down without ZooKeeper")
            st, _, body = http_json(
                "POST", "127.0.0.1", leader.port, "/api/v1/scheduler",
                {"type": "SUBSCRIBE"}, timeout=2)
            self.assertEqual(st, 503)
            self.assertIn(b"No leader", body)
        finally:
            c.close()


class LocalHA(unittest.TestCase):
    """`corral local --ha`: ZooKeeper, three masters and an agent that
    follows the leader; killing the leader hands over to a standby."""

    def test_local_ha_survives_leader_kill(self):
        import os
        import re
        import subprocess
        import tempfile
        from harness import BIN, Proc
        d = tempfile.mkdtemp(prefix="corral-lha-")
        ready = os.path.join(d, "ready")
        p = Proc("local", [os.path.join(BIN, "corral"), "local", "--ha",
                           "--agents", "1", "--port", "0", "--work_dir",
                           os.path.join(d, "c"), "--ready_file", ready], d)
        try:
            wait_for(lambda: os.path.exists(ready), 120, "local --ha")
            out = p.output()
            masters = re.findall(r"ha_master: 127.0.0.1:(\d+) pid (\d+)"
                                 r"( \(leader\))?", out)
            self.assertEqual(len(masters), 3, out)
            leader = [m for m in masters if m[2]][0]
            os.kill(int(leader[1]), signal.SIGKILL)

            def new_leader_with_agent():
                for port, _pid, _ in masters:
                    if port == leader[0]:
                        continue
                    st, _, body = http_json("GET", "127.0.0.1", int(port),
                                            "/metrics/snapshot")
                    m = json.loads(body)
                    if m["master/elected"] == 1 and \
                            m["master/slaves_active"] == 1:
                        return port
                return None
            port = wait_for(new_leader_with_agent, 60,
                            "a standby to lead with the agent back")
            out = subprocess.run(
                [os.path.join(BIN, "corral"), "execute", "--master",
                 "127.0.0.1:%s" % port, "--command", "echo ha-ok"],
                capture_output=True, text=True, timeout=60)
            self.assertEqual(out.stdout.strip(), "ha-ok", out.stderr)
        finally:
            p.send_signal(signal.SIGINT)
            rc = p.stop(secs=60)
            import shutil
            shutil.rmtree(d, ignore_errors=True)
        self.assertEqual(rc, 0)
        pids = [int(m[1]) for m in masters]
        for pid in pids:
            self.assertFalse(os.path.exists("/proc/%d" % pid) and
                             open("/proc/%d/stat" % pid).read().split()[2]
                             != "Z", "master %d still running" % pid)


class Flags(unittest.TestCase):
    def test_zk_needs_quorum(self):
        import subprocess
        import os
        from harness import BIN
        out = subprocess.run([os.path.join(BIN, "corral-master"),
                              "--zk=zk://127.0.0.1:1/x", "--port=0"],
                             capture_output=True, text=True, timeout=10)
        self.assertEqual(out.returncode, 1)
        self.assertIn("--quorum", out.stderr)
        self.assertEqual(len(out.stderr.strip().splitlines()), 1)
        out = subprocess.run([os.path.join(BIN, "corral-master"),
                              "--zk=nonsense://", "--quorum=1", "--port=0"],
                             capture_output=True, text=True, timeout=10)
        self.assertEqual(out.returncode, 1)
        self.assertIn("zk", out.stderr)


if __name__ == "__main__":
    run()
