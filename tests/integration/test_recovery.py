# SPDX-License-Identifier: Apache-2.0
"""Failures that must not lose tasks or updates: scheduler disconnects
within and beyond failover_timeout, agent kill -9 and restart with a
running task, master restart."""
import json
import os
import signal
import unittest

from harness import Cluster, Scheduler, command_task, run, wait_for


def task_state(cluster, fw_id, task_id):
    for f in cluster.state()["frameworks"]:
        if f["id"] == fw_id:
            for t in f["tasks"]:
                if t["id"] == task_id:
                    return t["state"]
    return None


class Recovery(unittest.TestCase):
    def setUp(self):
        self.c = Cluster(agents=1, master_flags=[
            "--agent_ping_timeout=1secs", "--max_agent_ping_timeouts=30"])

    def tearDown(self):
        self.c.close()

    def test_scheduler_failover_within_timeout_keeps_tasks(self):
        s = Scheduler(self.c.master_port, name="fo", failover_timeout=3600)
        offer = s.offers()[0]
        s.launch(offer, [command_task(offer, "t-fo", "sleep 300")])
        s.update("t-fo", states={"TASK_RUNNING"})
        fid = s.framework_id
        s.close()
        wait_for(lambda: not [f for f in self.c.state()["frameworks"]
                              if f["id"] == fid and f["connected"]], 10,
                 "framework to be disconnected")
        s2 = Scheduler(self.c.master_port, name="fo", failover_timeout=3600,
                       framework_id=fid)
        self.assertEqual(s2.framework_id, fid)
        self.assertEqual(task_state(self.c, fid, "t-fo"), "TASK_RUNNING")
        s2.call({"type": "KILL", "kill": {"task_id": {"value": "t-fo"}}})
        final, _ = s2.wait_terminal("t-fo")
        self.assertEqual(final["state"], "TASK_KILLED")
        s2.call({"type": "TEARDOWN"})
        s2.close()

    def test_scheduler_gone_beyond_timeout_is_torn_down(self):
        s = Scheduler(self.c.master_port, name="gone", failover_timeout=0.5)
        offer = s.offers()[0]
        s.launch(offer, [command_task(offer, "t-gone", "sleep 300")])
        s.update("t-gone", states={"TASK_RUNNING"})
        fid = s.framework_id
        s.close()
        wait_for(lambda: fid in [f["id"] for f in
                                 self.c.state()["completed_frameworks"]],
                 15, "framework removal")
        self.assertIsNone(task_state(self.c, fid, "t-gone"))
        # The agent killed the task: its sandbox process is gone.
        agent = self.c.agents[0]
        def task_gone():
            st = json.loads(self.c.get("/state", agent.port)[2])
            return all(not ex.get("tasks") for fw in st["frameworks"]
                       for ex in fw["executors"])
        wait_for(task_gone, 20, "agent to kill the framework's task")

    def test_agent_restart_keeps_running_task(self):
        s = Scheduler(self.c.master_port, name="agent-restart",
                      failover_timeout=3600)
        offer = s.offers()[0]
        s.launch(offer, [command_task(offer, "t-ar", "sleep 300")])
        s.update("t-ar", states={"TASK_RUNNING"})
        agent = self.c.agents[0]
        agent.kill9()
        self.c.start_agent(0)
        agent_id = offer["agent_id"]["value"]
        wait_for(lambda: [a for a in self.c.state()["slaves"]
                          if a["id"] == agent_id and a["active"]], 20,
                 "agent to re-register with its id")
        self.assertEqual(task_state(self.c, s.framework_id, "t-ar"),
                         "TASK_RUNNING")
        s.call({"type": "KILL", "kill": {"task_id": {"value": "t-ar"}}})
        final, seen = s.wait_terminal("t-ar")
        self.assertEqual(final["state"], "TASK_KILLED")
        self.assertEqual(seen.count("TASK_KILLED"), 1)
        s.call({"type": "TEARDOWN"})
        s.close()

    def test_master_restart_agent_and_framework_come_back(self):
        s = Scheduler(self.c.master_port, name="master-restart",
                      failover_timeout=3600)
        offer = s.offers()[0]
        s.launch(offer, [command_task(offer, "t-mr", "sleep 300")])
        s.update("t-mr", states={"TASK_RUNNING"})
        fid = s.framework_id
        port = self.c.master_port
        self.c.master.kill9()
        s.close()
        self.c.start_master(port=port)
        wait_for(lambda: len(self.c.state()["slaves"]) == 1, 30,
                 "agent to re-register with the new master")
        self.assertEqual(task_state(self.c, fid, "t-mr"), "TASK_RUNNING")
        s2 = Scheduler(port, name="master-restart", failover_timeout=3600,
                       framework_id=fid)
        s2.call({"type": "RECONCILE", "reconcile": {"tasks": [
            {"task_id": {"value": "t-mr"}}]}})
        self.assertEqual(s2.reconciled("t-mr")["state"],
                         "TASK_RUNNING")
        s2.call({"type": "KILL", "kill": {"task_id": {"value": "t-mr"}}})
        final, _ = s2.wait_terminal("t-mr")
        self.assertEqual(final["state"], "TASK_KILLED")
        s2.call({"type": "TEARDOWN"})
        s2.close()


    def test_failover_to_new_instance_reoffers(self):
        """A second instance subscribing with the id while the first is
        still connected takes over, and the first one's offers come back
        to the new one instead of staying stuck."""
        s = Scheduler(self.c.master_port, name="fo2", failover_timeout=3600)
        s.offers()
        s2 = Scheduler(self.c.master_port, name="fo2", failover_timeout=3600,
                       framework_id=s.framework_id)
        self.assertEqual(s.next("ERROR")["error"]["message"],
                         "Framework failed over")
        self.assertTrue(s2.offers())
        s2.call({"type": "TEARDOWN"})
        s.close()
        s2.close()

    def test_torn_down_framework_stays_gone(self):
        s = Scheduler(self.c.master_port, name="gone2", failover_timeout=3600)
        offer = s.offers()[0]
        s.launch(offer, [command_task(offer, "t-g2", "sleep 300")])
        s.update("t-g2", states={"TASK_RUNNING"})
        fid = s.framework_id
        self.c.agents[0].kill9()
        st, _ = s.call({"type": "TEARDOWN"})
        self.assertEqual(st, 202)
        s.close()
        # Re-subscribing with a removed id is refused.
        again = Scheduler(self.c.master_port, name="gone2",
                          framework_id=fid)
        self.assertEqual(again.status, 403)
        again.close()
        # The agent comes back with the task still running: the master
        # tells it to shut the framework down instead of adopting it.
        agent = self.c.start_agent(0)
        def killed_on_agent():
            st = json.loads(self.c.get("/state", agent.port)[2])
            return not any(ex.get("tasks") for fw in st["frameworks"]
                           for ex in fw["executors"])
        wait_for(killed_on_agent, 30, "the agent to kill the task")
        self.assertNotIn(fid, [f["id"] for f in
                               self.c.state()["frameworks"]])


class HungAgent(unittest.TestCase):
    """An agent that stops answering heartbeats while its connection stays
    open (here: SIGSTOP) is disconnected, then removed, and its tasks are
    reported lost."""

    def test_stopped_agent_is_removed(self):
        c = Cluster(agents=1, master_flags=["--agent_ping_timeout=1secs",
                                            "--max_agent_ping_timeouts=2"])
        agent = c.agents[0]
        try:
            s = Scheduler(c.master_port, name="hung")
            offer = s.offers()[0]
            s.launch(offer, [command_task(offer, "t-hung", "sleep 300")])
            s.update("t-hung", states={"TASK_RUNNING"})
            agent.send_signal(signal.SIGSTOP)
            lost = s.update("t-hung", secs=30, states={"TASK_LOST"})
            self.assertEqual(lost["reason"], "REASON_AGENT_REMOVED")
            self.assertEqual(c.state()["slaves"], [])
            s.call({"type": "TEARDOWN"})
            s.close()
        finally:
            agent.send_signal(signal.SIGCONT)
            c.close()


if __name__ == "__main__":
    run()
