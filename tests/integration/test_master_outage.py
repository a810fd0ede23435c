# SPDX-License-Identifier: Apache-2.0
"""Status updates survive the master being down: a task that finishes
while no master runs has its TASK_FINISHED delivered once the master is
back and the framework has re-subscribed, and acknowledging it removes the
task from the master's state."""
import json
import os
import signal
import unittest

from harness import Cluster, Scheduler, command_task, run, wait_for

TERMINAL = {"TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_LOST",
            "TASK_ERROR", "TASK_DROPPED", "TASK_GONE"}


class MasterOutage(unittest.TestCase):
    def setUp(self):
        self.c = Cluster(agents=1, master_flags=[
            "--agent_ping_timeout=1secs", "--max_agent_ping_timeouts=30"],
            agent_flags=["--registration_backoff_factor=100ms"])

    def tearDown(self):
        self.c.close()

    def agent_task(self, fid, tid):
        """(state, in completed_tasks) of the task in the agent's /state."""
        st = json.loads(self.c.get("/state", self.c.agents[0].port)[2])
        for fw in st["frameworks"] + st["completed_frameworks"]:
            if fw["id"] != fid:
                continue
            for ex in fw["executors"] + fw.get("completed_executors", []):
                for key in ("tasks", "completed_tasks"):
                    for t in ex.get(key, []):
                        if t["id"] == tid:
                            return t["state"], key == "completed_tasks"
        return None, False

    def master_task(self, fid, tid):
        """(active task entry or None, completed task entry or None)."""
        for f in self.c.state()["frameworks"]:
            if f["id"] == fid:
                active = [t for t in f["tasks"] if t["id"] == tid]
                done = [t for t in f["completed_tasks"] if t["id"] == tid]
                return (active[0] if active else None,
                        done[0] if done else None)
        return None, None

    def test_update_sent_while_master_down_arrives_once_after_restart(self):
        trigger = os.path.join(self.c.dir, "finish-now")
        s = Scheduler(self.c.master_port, name="outage",
                      failover_timeout=3600, auto_ack=False)
        fid = s.framework_id
        offer = s.offers()[0]
        cmd = "while [ ! -e %s ]; do sleep 0.02; done; echo done" % trigger
        s.launch(offer, [command_task(offer, "t-out", cmd)])
        while True:  # acknowledge up to RUNNING by hand
            st = s.update("t-out", ack=True)
            if st["state"] == "TASK_RUNNING":
                break
        port = self.c.master_port
        self.c.master.kill9()
        s.close()

        # The task finishes while there is no master.
        open(trigger, "w").close()
        wait_for(lambda: self.agent_task(fid, "t-out")[0] == "TASK_FINISHED",
                 15, "the agent to see the task finish")

        self.c.start_master(port=port)
        wait_for(lambda: [a for a in self.c.state()["slaves"]
                          if a["id"] == offer["agent_id"]["value"]
                          and a["active"]], 30,
                 "the agent to re-register with the new master")
        active, _ = self.master_task(fid, "t-out")
        self.assertIsNotNone(active, "the agent must report the task")
        self.assertEqual(active["state"], "TASK_FINISHED")

        s2 = Scheduler(port, name="outage", failover_timeout=3600,
                       framework_id=fid, auto_ack=False)
        try:
            self.assertEqual(s2.framework_id, fid)
            while True:
                # An acknowledgement sent just before the master died may
                # never have reached the agent: that update comes again.
                final = s2.update("t-out", secs=30)
                if final["state"] in TERMINAL:
                    break
                s2.ack(final)
            self.assertEqual(final["state"], "TASK_FINISHED")
            self.assertEqual(final["source"], "SOURCE_EXECUTOR")
            self.assertIn("uuid", final)
            # Not acknowledged yet: the master keeps the task.
            active, _ = self.master_task(fid, "t-out")
            self.assertIsNotNone(active)
            s2.ack(final)
            wait_for(lambda: self.master_task(fid, "t-out") [0] is None, 10,
                     "the acknowledged task to leave the master's tasks")
            _, done = self.master_task(fid, "t-out")
            self.assertEqual(done["state"], "TASK_FINISHED")
            wait_for(lambda: self.agent_task(fid, "t-out")[1], 10,
                     "the agent to complete the task")
            # Exactly one TASK_FINISHED by uuid, and no other terminal one.
            ups = [e["update"]["status"] for e in s2.seen
                   if e["type"] == "UPDATE"
                   and e["update"]["status"]["task_id"]["value"] == "t-out"]
            uuids = {u["uuid"] for u in ups if u["state"] in TERMINAL}
            self.assertEqual(uuids, {final["uuid"]})
        finally:
            s2.call({"type": "TEARDOWN"})
            s2.close()

    def test_framework_back_before_the_agent(self):
        trigger = os.path.join(self.c.dir, "finish-now")
        s = Scheduler(self.c.master_port, name="outage-2",
                      failover_timeout=3600)
        fid = s.framework_id
        offer = s.offers()[0]
        cmd = "while [ ! -e %s ]; do sleep 0.02; done; exit 3" % trigger
        s.launch(offer, [command_task(offer, "t-out2", cmd)])
        s.update("t-out2", states={"TASK_RUNNING"})
        port = self.c.master_port
        self.c.master.kill9()
        s.close()
        open(trigger, "w").close()
        wait_for(lambda: self.agent_task(fid, "t-out2")[0] == "TASK_FAILED",
                 15, "the agent to see the task fail")
        # Hold the agent back until the framework has re-subscribed.
        agent = self.c.agents[0]
        agent.send_signal(signal.SIGSTOP)
        try:
            self.c.start_master(port=port)
            s2 = Scheduler(port, name="outage-2", failover_timeout=3600,
                           framework_id=fid)
        finally:
            agent.send_signal(signal.SIGCONT)
        try:
            self.assertEqual(s2.framework_id, fid)
            final = s2.update("t-out2", secs=30, states=TERMINAL)
            self.assertEqual(final["state"], "TASK_FAILED")
            self.assertIn("3", final.get("message", ""))
            wait_for(lambda: self.master_task(fid, "t-out2")[1], 10,
                     "the acknowledged task to be completed in the master")
            self.assertIsNone(self.master_task(fid, "t-out2")[0])
        finally:
            s2.call({"type": "TEARDOWN"})
            s2.close()


if __name__ == "__main__":
    run()
