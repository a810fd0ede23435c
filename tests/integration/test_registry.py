# SPDX-License-Identifier: Apache-2.0
"""The registry in the replicated log, on three masters with --zk and
--quorum=2 over a real ZooKeeper (scripts/zk-ensemble.sh):

- the elected master recovers the log before it serves, admits a new agent
  by committing it, and after kill -9 the new leader knows the agent, which
  re-registers with its id, while a zombie agent id is refused;
- with two of three masters dead the survivor does not serve (503) and
  exits within --registry_fetch_timeout naming the replicas and --quorum;
  restarted, the masters serve again with the registry intact;
- a paused (deposed) leader commits nothing after its successor's election;
- a replica whose disk was wiped catches up and votes again;
- an agent missing after a failover is marked unreachable after
  --agent_reregister_timeout, and admitted again when it comes back.

ZooKeeper is required (CI installs it): without it the tests fail."""
import json
import os
import shutil
import signal
import unittest

from hacluster import HACluster
from harness import MULT, http_json, run, wait_for

# Short registry timeouts keep the no-quorum case fast.
FLAGS = ["--registry_fetch_timeout=3secs", "--registry_store_timeout=3secs",
         "--agent_ping_timeout=1secs", "--max_agent_ping_timeouts=30",
         "--weights=dev=2"]
WEIGHTS = [{"role": "dev", "weight": 2.0}]


def post_subscribe(port):
    return http_json("POST", "127.0.0.1", port, "/api/v1/scheduler",
                     {"type": "SUBSCRIBE", "subscribe": {
                         "framework_info": {"user": "u", "name": "n"}}},
                     {"Accept": "application/json"}, timeout=2)


class Registry(unittest.TestCase):
    def setUp(self):
        self.c = HACluster(masters=3, master_flags=FLAGS)
        self.addCleanup(self.c.close)

    # -- helpers --------------------------------------------------------------
    def admitted(self, leader):
        return {a["id"] for a in self.c.registry(leader)["admitted"]}

    def wait_active(self, leader, agent_id=None, secs=20):
        return wait_for(lambda: self.c.active_agent(leader, agent_id), secs,
                        "agent %s active on the leader" % agent_id)

    def leader_with_agent(self, name="agent0"):
        leader = self.c.leader()
        self.c.start_agent(name)
        agent = self.wait_active(leader)
        return leader, agent["id"]

    def zombie_work_dir(self, agent_id):
        """An agent work_dir whose checkpoint names agent_id."""
        wd = os.path.join(self.c.dir, "zombie")
        meta = os.path.join(wd, "meta", "slaves")
        os.makedirs(os.path.join(meta, agent_id))
        with open(os.path.join(meta, agent_id, "slave.info"), "w") as f:
            f.write("{}")
        os.symlink(agent_id, os.path.join(meta, "latest"))
        return wd

    def test_reconcile_waits_for_an_admitted_agent(self):
        """After a failover, a task on an admitted agent that has not
        re-registered yet gets no reconciliation answer (not a false
        TASK_LOST); once the agent is back the task is reported."""
        from harness import Scheduler, command_task
        leader, aid = self.leader_with_agent()
        s = Scheduler(leader.port, name="rec", failover_timeout=3600)
        offer = s.offers()[0]
        s.launch(offer, [command_task(offer, "t-rec", "sleep 300")])
        s.update("t-rec", states={"TASK_RUNNING"})
        fid = s.framework_id
        s.close()
        agent = self.c.agents["agent0"]
        agent.kill9()
        leader.kill9()
        new = self.c.leader(exclude=leader)
        s2 = Scheduler(new.port, name="rec", failover_timeout=3600,
                       framework_id=fid)
        # Calls are answered in order: the second answer proves the first
        # task was deliberately left unanswered.
        s2.call({"type": "RECONCILE", "reconcile": {"tasks": [
            {"task_id": {"value": "t-rec"}, "agent_id": {"value": aid}},
            {"task_id": {"value": "t-other"},
             "agent_id": {"value": "no-such-agent"}}]}})
        other = s2.reconciled("t-other")
        self.assertEqual(other["state"], "TASK_LOST")
        self.assertFalse([e for e in s2.seen if e["type"] == "UPDATE" and
                          e["update"]["status"]["task_id"]["value"] ==
                          "t-rec"])
        self.c.start_agent("agent0")
        self.wait_active(new, aid)
        s2.call({"type": "RECONCILE", "reconcile": {"tasks": [
            {"task_id": {"value": "t-rec"}, "agent_id": {"value": aid}}]}})
        self.assertEqual(s2.reconciled("t-rec")["state"], "TASK_RUNNING")
        s2.call({"type": "TEARDOWN"})
        s2.close()

    # -- (a) + (b) ------------------------------------------------------------
    def test_recover_admit_failover_and_zombie(self):
        leader, aid = self.leader_with_agent()
        m = self.c.metrics(leader)
        self.assertEqual(m["registrar/log/recovered"], 1)
        self.assertGreater(m["registrar/state_store_ms"], 0)
        self.assertGreater(m["registrar/registry_size_bytes"], 0)
        self.assertEqual(self.admitted(leader), {aid})
        # --weights seeded the empty registry on the first election.
        wait_for(lambda: self.c.registry(leader)["weights"] == WEIGHTS, 10,
                 "the weights to be committed")
        for p in self.c.masters:
            if p is not leader:  # standbys vote too (a third replica may
                # still be finishing its initialisation: wait for it)
                wait_for(lambda: self.c.metrics(p)[
                    "registrar/log/recovered"] == 1, 20,
                    "%s's replica to vote" % p.name)

        leader.kill9()
        new = self.c.leader(exclude=leader)
        self.assertEqual(self.admitted(new), {aid})
        self.assertEqual(self.c.registry(new)["weights"], WEIGHTS)
        self.wait_active(new, aid)
        self.assertGreaterEqual(
            self.c.metrics(new)["master/slave_reregistrations"], 1)

        zombie = self.c.start_agent(
            "zombie", work_dir=self.zombie_work_dir(leader.name + "-S77"),
            wait=False)  # refused at once, maybe before it says it listens
        wait_for(lambda: not zombie.alive(), 20, "the zombie agent to exit")
        self.assertEqual(zombie.p.returncode, 1)
        self.assertIn("Agent is not in the registry", zombie.output())
        self.assertEqual(self.admitted(new), {aid})
        self.assertIsNone(self.c.active_agent(new, leader.name + "-S77"))

    # -- (c) ------------------------------------------------------------------
    def test_no_quorum_exits_then_recovers(self):
        leader, aid = self.leader_with_agent()
        survivor = [p for p in self.c.masters if p is not leader][0]
        dead = [p for p in self.c.masters if p is not survivor]
        for p in dead:
            p.kill9()
        # Elected once the dead leader's session expires, the survivor
        # recovers: 503 until it gives up.
        def recovering():
            if not survivor.alive():
                return "exited"
            try:
                st, _, body = post_subscribe(survivor.port)
            except OSError:
                return None
            return st == 503 and b"not finished recovery" in body
        self.assertEqual(wait_for(recovering, 20, "the survivor to recover"),
                         True)
        self.assertEqual(self.c.metrics(survivor)["master/elected"], 0)
        wait_for(lambda: not survivor.alive(), 3 + 10,
                 "the survivor to give up within --registry_fetch_timeout")
        self.assertEqual(survivor.p.returncode, 1)
        lines = [ln for ln in survivor.output().splitlines()
                 if ln.startswith("corral-master: registry recovery failed")]
        self.assertEqual(len(lines), 1, survivor.output()[-3000:])
        line = lines[0]
        self.assertIn("--registry_fetch_timeout", line)
        self.assertIn("--quorum=2", line)
        for p in self.c.masters:
            self.assertIn("127.0.0.1:%d" % p.port, line)

        # Bring every master back on its port: the registry is intact.
        for i, p in enumerate(list(self.c.masters)):
            self.c.start_master(i, port=p.port)
        new = self.c.leader(secs=30)
        self.assertEqual(self.admitted(new), {aid})
        self.wait_active(new, aid, secs=30)

    def test_operator_config_survives_failover(self):
        """Weights, quotas, reservations and maintenance set through the
        operator API are in the registry: the next leader has them all."""
        leader, aid = self.leader_with_agent()

        def op(p, body):
            st, _, out = http_json("POST", "127.0.0.1", p.port, "/api/v1",
                                   body, {"Accept": "application/json"})
            return st, out

        res = [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 1},
                "reservations": [{"type": "DYNAMIC", "role": "dev"}]}]
        calls = [
            {"type": "UPDATE_WEIGHTS", "update_weights": {"weight_infos": [
                {"role": "ops", "weight": 3}]}},
            {"type": "UPDATE_QUOTA", "update_quota": {"quota_configs": [
                {"role": "dev", "limits": {"mem": {"value": 512}}}]}},
            {"type": "RESERVE_RESOURCES", "reserve_resources": {
                "agent_id": {"value": aid}, "resources": res}},
            {"type": "UPDATE_MAINTENANCE_SCHEDULE",
             "update_maintenance_schedule": {"schedule": {"windows": [{
                 "machine_ids": [{"hostname": "elsewhere"}],
                 "unavailability": {"start": {"nanoseconds": 5}}}]}}},
            {"type": "START_MAINTENANCE", "start_maintenance": {
                "machines": [{"hostname": "elsewhere"}]}},
        ]
        for body in calls:
            st, out = op(leader, body)
            self.assertIn(st, (200, 202), (body["type"], out))
        gets = ["GET_WEIGHTS", "GET_QUOTA", "GET_MAINTENANCE_SCHEDULE",
                "GET_MAINTENANCE_STATUS"]

        def answers(p):
            return [json.loads(op(p, {"type": g})[1]) for g in gets]
        before = answers(leader)
        leader.kill9()
        new = self.c.leader(exclude=leader)
        self.assertEqual(answers(new), before)
        self.assertEqual(before[3]["get_maintenance_status"]["status"][
            "down_machines"], [{"hostname": "elsewhere"}])
        # The agent re-registers and its reservation is applied again.
        self.wait_active(new, aid)
        agents = json.loads(op(new, {"type": "GET_AGENTS"})[1])[
            "get_agents"]["agents"]
        total = [a["total_resources"] for a in agents
                 if a["agent_info"]["id"]["value"] == aid][0]
        self.assertEqual(sum(r["scalar"]["value"] for r in total
                             if r["name"] == "cpus" and
                             r.get("reservations")), 1.0, total)

    # -- (d) ------------------------------------------------------------------
    def test_deposed_leader_commits_nothing(self):
        old, aid = self.leader_with_agent()
        old_id = self.c.state(old)["id"]
        old.send_signal(signal.SIGSTOP)
        try:
            # Its subscription may reach the paused leader first.
            self.c.start_agent("agent1")
            new = self.c.leader(exclude=old)
        finally:
            old.send_signal(signal.SIGCONT)
        new_id = self.c.state(new)["id"]

        def old_stood_down():
            try:
                return self.c.metrics(old)["master/elected"] == 0
            except OSError:
                return not old.alive()
        wait_for(old_stood_down, 20, "the deposed leader to stand down")
        # agent1 ends up admitted by the new leader, never by the old one.
        b = wait_for(lambda: [a for a in self.c.state(new)["slaves"]
                              if a["id"] != aid and a.get("active")],
                     30, "agent1 to register with the new leader")
        self.assertTrue(b[0]["id"].startswith(new_id), b[0]["id"])
        ids = self.admitted(new)
        self.assertEqual(ids, {aid, b[0]["id"]})
        self.assertFalse([i for i in ids - {aid} if i.startswith(old_id)])
        self.assertEqual(self.c.leaders(), [new])
        if not old.alive():
            self.assertIn("no longer the writer", old.output())

    # -- (e) ------------------------------------------------------------------
    def test_wiped_replica_catches_up(self):
        leader, aid = self.leader_with_agent()
        i, wiped = [(i, p) for i, p in enumerate(self.c.masters)
                    if p is not leader][0]
        other = [p for p in self.c.masters
                 if p is not leader and p is not wiped][0]
        self.assertEqual(wiped.stop(), 0)
        shutil.rmtree(os.path.join(self.c.work_dir(i), "replicated_log"))
        wiped = self.c.start_master(i, port=wiped.port)
        wait_for(lambda: self.c.metrics(wiped)["registrar/log/recovered"] ==
                 1, 20, "the wiped replica to catch up")
        # Without the other standby every write needs the wiped replica.
        other.kill9()
        self.c.start_agent("agent1")
        wait_for(lambda: len(self.admitted(leader)) == 2, 20 + 3 * MULT,
                 "a second agent admitted with the wiped replica's vote")
        self.assertIn(aid, self.admitted(leader))
        self.assertEqual(self.c.leaders(), [leader])


class Unreachable(unittest.TestCase):
    def test_missing_agent_marked_unreachable_then_readmitted(self):
        c = HACluster(masters=3, master_flags=FLAGS + [
            "--agent_reregister_timeout=2secs"])
        self.addCleanup(c.close)
        leader = c.leader()
        agent = c.start_agent("agent0")
        aid = wait_for(lambda: c.active_agent(leader), 20, "agent0")["id"]
        latest = os.path.join(c.dir, "agent0", "meta", "slaves", "latest")
        wait_for(lambda: os.path.islink(latest) and
                 os.readlink(latest) == aid, 10, "agent0 to checkpoint its id")
        agent.kill9()  # its checkpointed id stays in its work_dir
        leader.kill9()
        new = c.leader(exclude=leader)
        # Not back within --agent_reregister_timeout: unreachable.
        wait_for(lambda: [a["id"] for a in c.registry(new)["unreachable"]] ==
                 [aid], 10, "the missing agent to be marked unreachable")
        self.assertEqual(c.metrics(new)["master/slaves_unreachable"], 1)
        self.assertEqual(c.state(new)["unreachable_slaves"], 1)
        # It may come back (unlike a gone agent): admitted again.
        c.start_agent("agent0")
        wait_for(lambda: c.active_agent(new, aid), 20, "agent0 back")
        reg = c.registry(new)
        self.assertEqual(([a["id"] for a in reg["admitted"]],
                          reg["unreachable"]), ([aid], []))

    def test_removal_limit_exits_instead_of_marking(self):
        """--recovery_agent_removal_limit: a new leader that would mark
        more than the limit of the registry's agents unreachable exits
        (a supervisor restarts it) and marks nobody."""
        c = HACluster(masters=3, master_flags=FLAGS + [
            "--agent_reregister_timeout=3secs",
            "--recovery_agent_removal_limit=40%"])
        self.addCleanup(c.close)
        leader = c.leader()
        agents = [c.start_agent("agent%d" % i) for i in range(2)]
        wait_for(lambda: len(self._active(c, leader)) == 2, 20, "two agents")
        agents[0].kill9()
        leader.kill9()
        new = c.leader(exclude=leader)
        # Bring the old leader's replica back so that a quorum remains when
        # the new leader exits.
        c.start_master(c.masters.index(leader), port=leader.port)
        wait_for(lambda: not new.alive(), 20,
                 "the new leader to exit at the removal limit")
        self.assertEqual(new.p.returncode, 1)
        self.assertIn("1 of 2 registry agents did not re-register",
                      new.output())
        self.assertIn("--recovery_agent_removal_limit=40%", new.output())
        # Nothing was written off: the next leader recovers a registry in
        # which agent0 is still admitted (had it been marked unreachable,
        # only agent1 would be expected and it would serve on), so it stops
        # at the limit too.
        nxt = [p for p in c.masters if p.alive() and p.port != leader.port]
        self.assertEqual(len(nxt), 1)
        wait_for(lambda: not nxt[0].alive(), 30,
                 "the next leader to exit at the removal limit")
        self.assertIn("1 of 2 registry agents did not re-register",
                      nxt[0].output())

    @staticmethod
    def _active(c, p):
        return [a for a in c.state(p).get("slaves", []) if a.get("active")]


if __name__ == "__main__":
    run()
