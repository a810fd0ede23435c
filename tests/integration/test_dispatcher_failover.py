# SPDX-License-Identifier: Apache-2.0
"""The dispatcher through a master failover (issue 4 with the HA work):
three masters (--quorum=2, replicated-log registry) over a real
ZooKeeper, agents and a dispatcher that find the leader through
mesos://zk://. With a driver running, one finished and one waiting for
room, the leading master is killed with SIGKILL: the dispatcher follows
the new leader with the same framework, the running driver keeps running
(launched once) and finishes, the queued one is launched afterwards, and
the finished one stays finished. ZooKeeper is required (CI installs it)."""
import os
import unittest

import test_dispatcher as td
from hacluster import HACluster
from harness import run, wait_for
from test_dispatcher_ha import create, is_ready, status

FLAGS = ["--agent_ping_timeout=1secs", "--max_agent_ping_timeouts=30"]


def state_of(port, sid):
    return status(port, sid).get("driverState")


class MasterFailover(unittest.TestCase):
    def test_drivers_survive_a_master_failover(self):
        c = HACluster(masters=3, master_flags=FLAGS)
        self.addCleanup(c.close)
        leader = c.leader()
        c.start_agent("agent0", extra=["--resources=cpus:1;mem:2048"])
        wait_for(lambda: c.active_agent(leader), 20, "agent0")
        wd = os.path.join(c.dir, "dispatcher")
        os.makedirs(wd)
        disp = td.start_dispatcher(
            wd, "mesos://" + c.zk.url(),
            ["--conf", "spark.mesos.rejectOfferDuration=1s"])
        c.procs.append(disp)
        port = disp.port

        wait_for(lambda: is_ready(disp), 30, "the dispatcher to subscribe")
        done = create(port, ["-c", "true"], props={"spark.driver.cores": "0.1"})
        wait_for(lambda: state_of(port, done) == "FINISHED", 30, "done")
        # The gate file lets the running driver end when the test says so.
        gate = os.path.join(c.dir, "gate")
        running = create(port, ["-c", "while [ ! -e %s ]; do sleep 0.1; "
                                      "done" % gate],
                         props={"spark.driver.cores": "0.6"})
        wait_for(lambda: status(port, running).get("mesosTaskState") ==
                 "TASK_RUNNING", 30, "the driver to run")
        waiting = create(port, ["-c", "true"],
                         props={"spark.driver.cores": "0.6"})
        self.assertEqual(state_of(port, waiting), "QUEUED")
        fw = [f["id"] for f in c.state(leader)["frameworks"]
              if f["name"] == "it-dispatcher"]
        self.assertEqual(len(fw), 1)

        leader.kill9()
        new = c.leader(exclude=leader, secs=30)
        # The dispatcher re-subscribes to the new leader with its framework
        # id, and the agent brings the running driver back.
        def back():
            fws = [f for f in c.state(new)["frameworks"]
                   if f["name"] == "it-dispatcher" and f["active"]]
            tasks = [t for f in fws for t in f.get("tasks", [])]
            return fws and tasks
        wait_for(back, 40, "the dispatcher and its driver on the new leader")
        self.assertEqual([f["id"] for f in c.state(new)["frameworks"]
                          if f["name"] == "it-dispatcher"], fw)
        self.assertTrue(disp.alive())
        self.assertEqual(state_of(port, running), "RUNNING")
        self.assertEqual(state_of(port, waiting), "QUEUED")
        self.assertEqual(state_of(port, done), "FINISHED")

        open(gate, "w").close()
        wait_for(lambda: state_of(port, running) == "FINISHED", 30,
                 "the running driver to finish")
        wait_for(lambda: state_of(port, waiting) == "FINISHED", 30,
                 "the queued driver to run after it")
        # Each driver ran once: one sandbox per driver on the agent.
        runs = {}
        for root, dirs, _ in os.walk(os.path.join(c.dir, "agent0",
                                                  "slaves")):
            if os.path.basename(root) == "executors":
                for d in dirs:
                    runs[d] = runs.get(d, 0) + len(os.listdir(
                        os.path.join(root, d, "runs"))) - 1  # minus latest
        for sid in (done, running, waiting):
            self.assertEqual(runs.get(sid), 1, (sid, runs))


if __name__ == "__main__":
    run()
