# SPDX-License-Identifier: Apache-2.0
"""corral-dispatcher with ZooKeeper (--zk), against a real master, agent
and ZooKeeper (scripts/zk-ensemble.sh):

- kill -9 with queued, running, retrying, finished and killed drivers,
  restart: same ids and states, the framework id reused, no duplicate
  launch, new ids continue the counter; a bad znode is skipped;
- two dispatchers: one leads, the standby refuses with 503 naming it; kill
  -9 the leader: the standby takes over with the same state;
- a paused leader whose session expired, and a dispatcher whose framework
  was torn down, exit non-zero with one line (no zombie);
- queue priorities (spark.mesos.dispatcher.queue.*): launch order by
  priority then submission, ties kept, unknown queues refused."""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import unittest

import test_dispatcher as td
from hacluster import SCRIPT as ZK_SCRIPT
from hacluster import ZooKeeper
from harness import (MULT, SANITIZER_MARKS, Cluster, Proc, http_json, run,
                     wait_for)

ZK_CONF = ["--conf", "spark.corral.dispatcher.zk.sessionTimeout=2s",
           "--conf", "spark.mesos.rejectOfferDuration=1s",
           "--conf", "spark.mesos.cluster.retry.wait.max=2"]
ZKCLI = "/usr/share/zookeeper/bin/zkCli.sh"


def req(port, method, path, body=None):
    st, _, out = http_json(method, "127.0.0.1", port, path, body)
    return st, json.loads(out) if out else None


def status(port, sid):
    st, r = req(port, "GET", "/v1/submissions/status/" + sid)
    assert st == 200, (st, r)
    return r


def create(port, args, **kw):
    st, r = req(port, "POST", "/v1/submissions/create",
                td.create_body(args, **kw))
    assert st == 200 and r["success"], (st, r)
    return r["submissionId"]


def kill(port, sid):
    st, r = req(port, "POST", "/v1/submissions/kill/" + sid)
    assert st == 200, (st, r)
    return r


def wait_state(port, sid, state, secs=30, pred=None):
    def ok():
        r = status(port, sid)
        return r if r.get("driverState") == state and \
            (pred is None or pred(r)) else None
    return wait_for(ok, secs, "%s to be %s" % (sid, state))


def is_ready(p):
    """The dispatcher p leads and takes submissions."""
    if not p.alive():
        return False
    try:
        st, r = req(p.port, "POST", "/v1/submissions/kill/none")
    except OSError:
        return False
    return st == 200 and r["message"] == "Cannot find driver"


def counter(sid):
    return int(sid.rsplit("-", 1)[1])


class ZkDispatcher(unittest.TestCase):
    cpus = 1
    conf = ZK_CONF

    def setUp(self):
        self.cluster = Cluster(
            agents=1, resources="cpus:%d;mem:8192;disk:1024" % self.cpus)
        self.disps = []
        try:
            self.zk = ZooKeeper(self.cluster.dir)
        except BaseException:
            self.cluster.close()
            raise
        self.zkurl = self.zk.connect + "/it"

    def tearDown(self):
        for p in self.disps:
            p.stop()
        bad = [p.output() for p in self.disps
               if any(m in p.output() for m in SANITIZER_MARKS)]
        self.zk.stop()
        self.cluster.close()
        self.assertFalse(bad, bad[:1])

    def start(self, name, extra=(), zk=True):
        wd = os.path.join(self.cluster.dir, name)
        os.makedirs(wd, exist_ok=True)
        args = list(self.conf) + list(extra)
        if zk:
            args += ["--zk", self.zkurl]
        p = td.start_dispatcher(
            wd, "mesos://127.0.0.1:%d" % self.cluster.master_port, args)
        p.name = name
        self.disps.append(p)
        self.cluster.procs.append(p)
        return p

    def leader(self, procs, secs=30):
        def one():
            ready = [p for p in procs if is_ready(p)]
            return ready[0] if len(ready) == 1 else None
        return wait_for(one, secs, "exactly one leading dispatcher")

    def frameworks(self):
        st = self.cluster.state()
        return [f for f in st["frameworks"] if f["name"] == "it-dispatcher"]

    def tasks(self, fw_id):
        st = self.cluster.state()
        return [t for f in st["frameworks"] if f["id"] == fw_id
                for t in f.get("tasks", [])]

    def zkcli(self, *cmd):
        if not os.path.exists(ZKCLI):
            self.skipTest("zkCli.sh not installed")
        r = subprocess.run([ZKCLI, "-server", self.zk.connect] + list(cmd),
                           capture_output=True, text=True, timeout=60 * MULT,
                           stdin=subprocess.DEVNULL)
        return r.stdout + r.stderr


class Persistence(ZkDispatcher):
    def test_kill9_restart_keeps_everything(self):
        d1 = self.start("d1")
        self.leader([d1])
        port = d1.port
        fin = create(port, ["-c", "true"], props={"spark.driver.cores": "0.1"})
        wait_state(port, fin, "FINISHED")
        running = create(port, ["-c", "sleep 600"],
                         props={"spark.driver.cores": "0.5"})
        wait_state(port, running, "RUNNING",
                   pred=lambda r: r.get("mesosTaskState") == "TASK_RUNNING")
        retrying = create(port, ["-c", "sleep 1; exit 3"],
                          props={"spark.driver.cores": "0.5",
                                 "spark.driver.supervise": "true"})
        wait_state(port, retrying, "RUNNING")
        # No room left: queued until the supervised one fails; its slot
        # then goes to this one while the failed one waits for its
        # back-off, and it stays RETRYING for lack of room.
        second = create(port, ["-c", "sleep 600"],
                        props={"spark.driver.cores": "0.5"})
        wait_for(lambda: status(port, retrying)["driverState"] ==
                 "RETRYING" and status(port, second)["driverState"] ==
                 "RUNNING", 40, "one retrying, one more running")
        queued = create(port, ["-c", "true"],
                        props={"spark.driver.cores": "100"})
        gone = create(port, ["-c", "true"],
                      props={"spark.driver.cores": "100"})
        self.assertEqual(kill(port, gone)["message"],
                         "Removed driver while it's still pending")
        ids = [fin, running, retrying, second, queued, gone]
        before = {s: status(port, s) for s in ids}
        fws = self.frameworks()
        self.assertEqual(len(fws), 1)
        fw_id = fws[0]["id"]

        self.assertEqual(d1.kill9(), -9)
        d2 = self.start("d2")
        self.leader([d2])
        port = d2.port
        after = {s: status(port, s) for s in ids}
        for s in ids:
            for k in ("driverState", "mesosTaskId", "success"):
                self.assertEqual(after[s].get(k), before[s].get(k),
                                 "%s %s: %s -> %s" % (s, k, before[s],
                                                      after[s]))
        self.assertEqual(after[fin]["mesosTaskState"], "TASK_FINISHED")
        self.assertEqual(after[gone]["driverState"], "NOT_FOUND")
        self.assertGreaterEqual(after[retrying]["retries"], 1)
        # The running drivers are reconciled, not relaunched.
        for s in (running, second):
            wait_for(lambda: status(port, s).get("mesosTaskState") ==
                     "TASK_RUNNING", 20, "%s reconciled" % s)
        fws = self.frameworks()
        self.assertEqual([(f["id"], f["active"]) for f in fws],
                         [(fw_id, True)])
        tasks = [t["id"] for t in self.tasks(fw_id)]
        self.assertEqual(sorted(tasks), sorted(set(tasks)), tasks)
        self.assertEqual(sorted(t for t in tasks if not t.startswith(
            retrying)), sorted([running, second]))
        # Ids stay unique across restarts.
        new = create(port, ["-c", "true"], props={"spark.driver.cores": "0.1"})
        self.assertGreater(counter(new), max(counter(s) for s in ids))
        self.assertEqual(kill(port, queued)["success"], True)

    def test_writes_survive_a_zookeeper_restart(self):
        """A create in flight while the ZooKeeper server restarts is sent
        again once the session reconnects, and then acknowledged."""
        # A client gives a session up after a quarter of its timeout
        # disconnected (src/zk/session.c): 10 s of grace for a JVM restart
        # of the server on a loaded machine (2.5 s was not always enough).
        d = self.start("d", ["--conf",
                             "spark.corral.dispatcher.zk.sessionTimeout=40s"])
        self.leader([d])
        subprocess.run(["bash", ZK_SCRIPT, "stop-node", self.zk.dir, "1"],
                       check=True, capture_output=True, timeout=60)
        res = {}

        def submit():
            res["r"] = req(d.port, "POST", "/v1/submissions/create",
                           td.create_body(["-c", "true"]))
        th = threading.Thread(target=submit)
        th.start()
        wait_for(lambda: "writes interrupted" in d.output(), 20,
                 "the create's write to fail over the outage")
        self.assertNotIn("r", res)  # not acknowledged without ZooKeeper
        subprocess.run(["bash", ZK_SCRIPT, "start-node", self.zk.dir, "1"],
                       check=True, capture_output=True, timeout=60)
        th.join(30 * MULT)
        st, r = res["r"]
        self.assertEqual((st, r["success"]), (200, True), r)
        wait_state(d.port, r["submissionId"], "FINISHED")
        self.assertTrue(d.alive())

    def test_bad_znode_is_skipped(self):
        d1 = self.start("d1")
        self.leader([d1])
        sid = create(d1.port, ["-c", "true"],
                     props={"spark.driver.cores": "100"})
        d1.kill9()
        base = "/it/spark_mesos_dispatcher/driverQueue/"
        self.zkcli("create", base + "driver-20000101000000-0001", "garbage")
        self.zkcli("create", base + "nonsense", "{}")
        d2 = self.start("d2")
        self.leader([d2])
        self.assertEqual(status(d2.port, sid)["driverState"], "QUEUED")
        self.assertEqual(status(d2.port, "driver-20000101000000-0001")
                         ["driverState"], "NOT_FOUND")
        out = d2.output()
        self.assertIn("ignoring the bad record driver-20000101000000-0001",
                      out)
        self.assertIn("ignoring the bad record nonsense", out)


class Election(ZkDispatcher):
    """With the zk:// form and a spark.deploy.zookeeper.dir of its own."""
    cpus = 2
    conf = ZK_CONF + ["--conf", "spark.deploy.zookeeper.dir=/disp/x"]

    def setUp(self):
        super().setUp()
        self.zkurl = "zk://" + self.zk.connect + "/it"

    def test_one_leads_standby_refuses_and_takes_over(self):
        a, b = self.start("a"), self.start("b")
        leader = self.leader([a, b])
        standby = b if leader is a else a
        st, r = req(standby.port, "POST", "/v1/submissions/create",
                    td.create_body(["-c", "true"]))
        self.assertEqual(st, 503)
        self.assertEqual(r["action"], "ErrorResponse")
        self.assertEqual(r["leaderAddress"], "127.0.0.1:%d" % leader.port)
        self.assertIn("mesos://127.0.0.1:%d" % leader.port, r["message"])
        for m, p in (("GET", "/v1/submissions/status/x"),
                     ("POST", "/v1/submissions/kill/x")):
            self.assertEqual(req(standby.port, m, p)[0], 503)
        run_id = create(leader.port, ["-c", "sleep 600"])
        fin = create(leader.port, ["-c", "true"])
        wait_state(leader.port, fin, "FINISHED")
        wait_state(leader.port, run_id, "RUNNING",
                   pred=lambda r: r.get("mesosTaskState") == "TASK_RUNNING")
        fws = self.frameworks()
        self.assertEqual(len(fws), 1)  # the standby never subscribed

        leader.kill9()
        new = self.leader([standby], secs=30)
        self.assertEqual(status(new.port, fin)["driverState"], "FINISHED")
        r = wait_state(new.port, run_id, "RUNNING")
        self.assertEqual(r["mesosTaskId"], run_id)
        self.assertEqual([f["id"] for f in self.frameworks()],
                         [fws[0]["id"]])
        sid = create(new.port, ["-c", "true"])
        wait_state(new.port, sid, "FINISHED")
        out = self.zkcli("ls", "/it/disp/x")
        for sub in ("driverQueue", "launchedDrivers", "retryList",
                    "finishedDrivers", "scheduler", "leader"):
            self.assertIn(sub, out)
        # A newcomer stands by behind the new leader.
        c = self.start("c")
        wait_for(lambda: req(c.port, "GET", "/v1/submissions/status/x")[1]
                 .get("leaderAddress") == "127.0.0.1:%d" % new.port, 20,
                 "the newcomer to name the leader")

    def test_paused_leader_exits(self):
        a, b = self.start("a"), self.start("b")
        leader = self.leader([a, b])
        standby = b if leader is a else a
        leader.send_signal(signal.SIGSTOP)
        try:
            self.leader([standby], secs=30)
        finally:
            leader.send_signal(signal.SIGCONT)
        rc = wait_for(lambda: leader.p.poll(), 30, "the old leader to exit")
        self.assertNotEqual(rc, 0)
        lines = [l for l in leader.output().splitlines()
                 if l.startswith("corral-dispatcher: exiting: ")]
        self.assertEqual(len(lines), 1, leader.output()[-3000:])

    def test_torn_down_framework_exits(self):
        d = self.start("d")
        self.leader([d])
        fw_id = self.frameworks()[0]["id"]
        st, _, _ = http_json("POST", "127.0.0.1", self.cluster.master_port,
                             "/api/v1", {"type": "TEARDOWN", "teardown": {
                                 "framework_id": {"value": fw_id}}})
        self.assertEqual(st, 200)
        rc = wait_for(lambda: d.p.poll(), 30, "the dispatcher to exit")
        self.assertNotEqual(rc, 0)
        self.assertIn("corral-dispatcher: exiting: ", d.output())
        # Restarted on the same state it refuses to become a zombie too.
        wd = os.path.join(self.cluster.dir, "d2")
        os.makedirs(wd)
        d2 = Proc("d2", [os.path.join(td.BIN, "corral-dispatcher"), "-h",
                         "127.0.0.1", "-p", "0", "--webui-port", "0",
                         "--master",
                         "mesos://127.0.0.1:%d" % self.cluster.master_port,
                         "--name", "it-dispatcher", "--zk", self.zkurl] +
                  self.conf, wd)
        self.disps.append(d2)
        rc = wait_for(lambda: d2.p.poll(), 30, "the restart to exit")
        self.assertNotEqual(rc, 0)
        self.assertIn("exiting: framework error: SUBSCRIBE refused",
                      d2.output())
        self.assertIn("Framework has been removed", d2.output())


class Priorities(ZkDispatcher):
    def test_priority_order_and_unknown_queue(self):
        d = self.start("d", ["--conf", "spark.mesos.dispatcher.queue.high=5",
                             "--conf", "spark.mesos.dispatcher.queue.low=1.5"])
        self.leader([d])
        order = os.path.join(self.cluster.dir, "order")
        blocker = create(d.port, ["-c", "sleep 600"],
                         props={"spark.driver.cores": "1"})
        wait_state(d.port, blocker, "RUNNING")
        names = [("L1", "low"), ("D1", None), ("H1", "high"),
                 ("H2", "high"), ("L2", "low"), ("D2", "default")]
        ids = []
        for name, q in names:
            props = {"spark.driver.cores": "1"}
            if q:
                props["spark.mesos.dispatcher.queue"] = q
            ids.append(create(d.port, ["-c", "echo %s >> %s" % (name, order)],
                              props=props))
        for sid in ids:
            self.assertEqual(status(d.port, sid)["driverState"], "QUEUED")
        self.assertEqual(status(d.port, ids[0])["queue"], "low")
        st, r = req(d.port, "POST", "/v1/submissions/create",
                    td.create_body(["-c", "true"], props={
                        "spark.mesos.dispatcher.queue": "nope"}))
        self.assertEqual(st, 400)
        self.assertIn("unknown queue 'nope'", r["message"])
        kill(d.port, blocker)
        for sid in ids:
            wait_state(d.port, sid, "FINISHED", secs=60)
        with open(order) as f:
            self.assertEqual(f.read().split(),
                             ["H1", "H2", "L1", "L2", "D1", "D2"])

    def test_bad_priority_refuses_to_start(self):
        wd = tempfile.mkdtemp(prefix="disp-bad-", dir=self.cluster.dir)
        r = subprocess.run(
            [os.path.join(td.BIN, "corral-dispatcher"), "--master",
             "mesos://127.0.0.1:1", "--conf",
             "spark.mesos.dispatcher.queue.x=high"],
            capture_output=True, text=True, timeout=30 * MULT, cwd=wd)
        self.assertEqual(r.returncode, 1)
        self.assertIn("queue 'x' must be a float", r.stderr)
        shutil.rmtree(wd, ignore_errors=True)


if __name__ == "__main__":
    run()
