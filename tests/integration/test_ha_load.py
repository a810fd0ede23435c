# SPDX-License-Identifier: Apache-2.0
"""Failover under load, on three masters (--quorum=2, replicated-log
registry) over a real ZooKeeper:

- a framework keeps launching tasks while the leading master is killed
  with SIGKILL; it follows the new leader with its framework id, and every
  task launched before and after reaches exactly one terminal state (at
  least once delivery may repeat an update with the same uuid; a status
  with a new uuid is a new update), and no state seen and acknowledged
  before the failover is contradicted after it;
- one ZooKeeper node of three is killed under running masters: the same
  master keeps leading, tasks run, a new agent is admitted.

ZooKeeper is required (CI installs it): without it the tests fail."""
import json
import queue
import time
import unittest

from hacluster import HACluster
from harness import MULT, Scheduler, command_task, deadline, run, wait_for

TERMINAL = {"TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_LOST",
            "TASK_ERROR", "TASK_DROPPED", "TASK_GONE",
            "TASK_GONE_BY_OPERATOR"}
FLAGS = ["--agent_ping_timeout=1secs", "--max_agent_ping_timeouts=30"]


class Framework:
    """A framework that follows the leading master with its id and keeps
    the updates it saw, per task."""

    def __init__(self, c):
        self.c = c
        self.id = None
        self.updates = {}      # task id -> [(state, uuid, reason)]
        self.launched = []
        self.agent_of = {}     # task id -> agent id, from its updates
        self.s = None
        self.connect(c.leader())

    def connect(self, master):
        self.master = master
        # Acknowledge an update only once it is recorded below: the master
        # forgets a task whose terminal update is acknowledged, and a
        # reconciliation of it would then rightly answer TASK_LOST.
        self.s = Scheduler(master.port, name="load", failover_timeout=600,
                           framework_id=self.id, auto_ack=False)
        assert self.s.status == 200, (self.s.status,
                                      getattr(self.s, "error", ""))
        self.id = self.s.framework_id

    def pump(self, secs):
        """Handle events for up to secs; returns the offers seen, or None
        when the stream broke."""
        offers = []
        end = time.monotonic() + secs
        while time.monotonic() < end:
            try:
                ev = self.s.events.get(timeout=0.05)
            except queue.Empty:
                if offers:
                    return offers
                continue
            if ev["type"] == "__CLOSED__":
                return None
            if ev["type"] == "UPDATE":
                st = ev["update"]["status"]
                tid = st["task_id"]["value"]
                self.updates.setdefault(tid, []).append(
                    (st["state"], st.get("uuid"), st.get("reason")))
                if "agent_id" in st and st.get("uuid"):
                    self.agent_of[tid] = st["agent_id"]["value"]
                    try:
                        self.s.ack(st)
                    except (AssertionError, OSError):
                        pass  # the leader is gone: the next one resends
            elif ev["type"] == "OFFERS":
                offers += ev["offers"]["offers"]
        return offers

    def launch(self, offer, n):
        def have(name):
            return sum(r["scalar"]["value"] for r in offer["resources"]
                       if r["name"] == name)
        # Only what fits (0.1 cpus, 16 MB each); the rest is declined.
        n = min(n, int(have("cpus") / 0.1 + 1e-9), int(have("mem") / 16))
        if n == 0:
            self.s.call({"type": "DECLINE", "decline": {
                "offer_ids": [offer["id"]],
                "filters": {"refuse_seconds": 0}}})
            return 202
        tasks = []
        for _ in range(n):
            tid = "t%03d" % len(self.launched)
            self.launched.append(tid)
            tasks.append(command_task(offer, tid, "sleep 0.3", cpus=0.1,
                                      mem=16))
        st, out = self.s.launch(offer, tasks, filters={"refuse_seconds": 0})
        return st

    def reconcile(self, ids):
        """Explicit reconciliation; the agent is named when an update told
        it (as frameworks do), not otherwise."""
        tasks = []
        for t in ids:
            e = {"task_id": {"value": t}}
            if t in self.agent_of:
                e["agent_id"] = {"value": self.agent_of[t]}
            tasks.append(e)
        self.s.call({"type": "RECONCILE", "reconcile": {"tasks": tasks}})

    def terminal_states(self, tid):
        return {s for s, _, _ in self.updates.get(tid, []) if s in TERMINAL}

    def pending(self):
        return [t for t in self.launched if not self.terminal_states(t)]


class LaunchThroughFailover(unittest.TestCase):
    def test_every_task_ends_exactly_once(self):
        c = HACluster(masters=3, master_flags=FLAGS)
        self.addCleanup(c.close)
        leader = c.leader()
        for i in range(2):
            c.start_agent("agent%d" % i)
        wait_for(lambda: sum(1 for a in c.state(leader)["slaves"]
                             if a["active"]) == 2, 20, "two agents")
        fw = Framework(c)
        self.addCleanup(lambda: fw.s.close())

        # Launch until the leader dies, then through the failover.
        killed_at = None
        before_kill = set()
        end = deadline(90)
        while len(fw.launched) < 60 and time.monotonic() < end:
            offers = fw.pump(1.0)
            if offers is None:
                # The stream broke (the leader died): follow the new one.
                fw.s.close()
                new = c.leader(exclude=leader, secs=30)
                wait_for(lambda: self._try_connect(fw, new), 30,
                         "the framework to re-subscribe")
                # Ask about everything not yet ended.
                fw.reconcile(fw.pending())
                continue
            for o in offers:
                fw.launch(o, 3)
            if killed_at is None and len(fw.launched) >= 24:
                before_kill = {t for t in fw.launched
                               if fw.terminal_states(t)}
                acked_before = {t: fw.terminal_states(t) for t in before_kill}
                leader.kill9()
                killed_at = len(fw.launched)
        self.assertIsNotNone(killed_at, "the leader was never killed")
        self.assertGreater(len(fw.launched), killed_at,
                           "no task launched after the failover")

        # Every task ends; stragglers are reconciled now and then.
        def all_ended():
            if fw.pump(0.5) is None:
                return False
            left = fw.pending()
            if left:
                fw.reconcile(left)
            return not left
        wait_for(all_ended, 60 * MULT, "every task to end")

        for t in fw.launched:
            states = fw.terminal_states(t)
            self.assertEqual(len(states), 1, (t, fw.updates.get(t)))
            # One terminal update per task (redeliveries share a uuid);
            # reconciliation answers carry no uuid and repeat the state.
            uuids = {u for s, u, r in fw.updates[t]
                     if s in TERMINAL and u is not None}
            self.assertLessEqual(len(uuids), 1, (t, fw.updates[t]))
        for t, states in acked_before.items():
            self.assertEqual(fw.terminal_states(t), states, t)
        finished = [t for t in fw.launched
                    if fw.terminal_states(t) == {"TASK_FINISHED"}]
        after = [t for t in fw.launched[killed_at:] if t in finished]
        self.assertTrue(after, "no task launched after the failover ran")
        # A task lost in the failover can only be one whose launch the dead
        # leader had not passed on yet.
        lost = [t for t in fw.launched if t not in finished]
        self.assertLessEqual(len(lost), 6, {t: fw.updates[t] for t in lost})

    @staticmethod
    def _try_connect(fw, master):
        try:
            fw.connect(master)
            return True
        except (AssertionError, OSError):
            return False


class ZooKeeperNodeLoss(unittest.TestCase):
    def test_one_zookeeper_node_of_three_dies(self):
        c = HACluster(masters=3, zk_nodes=3, master_flags=FLAGS)
        self.addCleanup(c.close)
        leader = c.leader()
        c.start_agent("agent0")
        wait_for(lambda: c.active_agent(leader), 20, "agent0")
        s = Scheduler(leader.port, name="zk")
        self.addCleanup(s.close)
        offer = s.offers()[0]
        s.launch(offer, [command_task(offer, "before", "true")])
        self.assertEqual(s.wait_terminal("before")[0]["state"],
                         "TASK_FINISHED")

        c.zk.stop_node(1)
        # Service goes on: a task runs, a new agent is admitted (a
        # registry write), and leadership never moved.
        offer = self._unused_offer(s, offer)
        s.launch(offer, [command_task(offer, "during", "true")])
        self.assertEqual(s.wait_terminal("during")[0]["state"],
                         "TASK_FINISHED")
        c.start_agent("agent1")
        wait_for(lambda: len([a for a in c.state(leader)["slaves"]
                              if a["active"]]) == 2, 20, "agent1")
        self.assertEqual(c.leaders(), [leader])
        self.assertTrue(all(p.alive() for p in c.masters))
        for p in c.masters:
            self.assertNotIn("EXPIRED", p.output(), p.name)
        self.assertEqual(json.loads(json.dumps(
            c.metrics(leader)))["master/elected"], 1)

    @staticmethod
    def _unused_offer(s, used):
        """The newest offer other than used: waiting for updates passes
        over OFFERS events (harness.Scheduler keeps them in seen)."""
        for ev in reversed(s.seen):
            if ev["type"] == "OFFERS":
                for o in ev["offers"]["offers"]:
                    if o["id"] != used["id"]:
                        return o
        return s.offers()[0]


if __name__ == "__main__":
    run()
