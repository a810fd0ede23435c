# SPDX-License-Identifier: Apache-2.0
"""The v1 scheduler API against a real master and agent: wire details,
task lifecycles, validation, reconciliation and filters."""
import json
import re
import unittest

from harness import Cluster, Scheduler, command_task, http_json, run


class SchedulerApi(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster(agents=1)

    @classmethod
    def tearDownClass(cls):
        cls.c.close()

    def setUp(self):
        self.scheds = []

    def tearDown(self):
        for s in self.scheds:
            if getattr(s, "status", 0) == 200:
                s.call({"type": "TEARDOWN"})
            s.close()

    def sched(self, **kw):
        s = Scheduler(self.c.master_port, **kw)
        self.scheds.append(s)
        return s

    def post(self, body, headers=None, raw=None, ctype="application/json"):
        h = {"Content-Type": ctype} if ctype else {}
        h.update(headers or {})
        data = raw if raw is not None else json.dumps(body).encode()
        return http_json("POST", "127.0.0.1", self.c.master_port,
                         "/api/v1/scheduler", data, h)

    # -- wire details --------------------------------------------------------
    def test_subscribe_stream_headers_and_first_events(self):
        s = self.sched(name="wire")
        self.assertEqual(s.status, 200)
        self.assertEqual(s.resp.getheader("Content-Type"), "application/json")
        self.assertEqual(len(s.stream_id), 36)
        self.assertTrue(s.framework_id.startswith(
            self.c.state()["id"] + "-"))
        sub = s.seen[0]["subscribed"]
        self.assertEqual(sub["heartbeat_interval_seconds"], 15)
        self.assertIn("master_info", sub)
        self.assertEqual(s.next()["type"], "HEARTBEAT")

    def test_malformed_calls_get_4xx(self):
        st, h, _ = http_json("GET", "127.0.0.1", self.c.master_port,
                             "/api/v1/scheduler")
        self.assertEqual(st, 405)
        self.assertEqual(h.get("allow"), "POST")
        self.assertEqual(self.post(None, raw=b"{}", ctype=None)[0], 400)
        self.assertEqual(self.post(None, raw=b"{not json")[0], 400)
        self.assertEqual(self.post(None, raw=b"[1,2]")[0], 400)
        self.assertEqual(self.post({"type": "SUBSCRIBE"},
                                   ctype="application/x-protobuf")[0], 415)
        self.assertEqual(self.post({"type": "SUBSCRIBE", "subscribe": {
            "framework_info": {"name": "no-user"}}})[0], 400)
        self.assertEqual(self.post({"type": "SUBSCRIBE", "subscribe": {
            "framework_info": {"user": "u", "name": "n"}}},
            {"Mesos-Stream-Id": "x"})[0], 400)
        self.assertEqual(self.post({"type": "DECLINE"})[0], 400)
        self.assertEqual(self.post({"type": "DECLINE", "framework_id": {
            "value": "nope"}}, {"Mesos-Stream-Id": "x"})[0], 400)
        s = self.sched(name="streamid")
        st, body = s.call({"type": "REVIVE"}, stream_id="wrong")
        self.assertEqual(st, 400)
        self.assertIn(b"didn't match", body)
        st, _ = s.call({"type": "NO_SUCH_CALL"})
        self.assertEqual(st, 501)
        st, _ = s.call({"type": "REVIVE"})
        self.assertEqual(st, 202)

    # -- task lifecycles -----------------------------------------------------
    def test_task_finishes(self):
        s = self.sched(name="ok")
        offer = s.offers()[0]
        st, _ = s.launch(offer, [command_task(offer, "t-ok", "echo hi")])
        self.assertEqual(st, 202)
        final, seen = s.wait_terminal("t-ok")
        self.assertEqual(final["state"], "TASK_FINISHED")
        self.assertEqual(seen[-2:], ["TASK_RUNNING", "TASK_FINISHED"])
        self.assertEqual(final["source"], "SOURCE_EXECUTOR")
        self.assertEqual(len(final["uuid"]), 24)

    def test_task_fails_with_exit_status(self):
        s = self.sched(name="fail")
        offer = s.offers()[0]
        s.launch(offer, [command_task(offer, "t-fail", "exit 3")])
        final, _ = s.wait_terminal("t-fail")
        self.assertEqual(final["state"], "TASK_FAILED")
        self.assertIn("3", final.get("message", ""))

    def test_kill_running_task(self):
        s = self.sched(name="kill")
        offer = s.offers()[0]
        s.launch(offer, [command_task(offer, "t-kill", "sleep 300")])
        s.update("t-kill", states={"TASK_RUNNING"})
        st, _ = s.call({"type": "KILL", "kill": {
            "task_id": {"value": "t-kill"}, "agent_id": offer["agent_id"]}})
        self.assertEqual(st, 202)
        final, _ = s.wait_terminal("t-kill")
        self.assertEqual(final["state"], "TASK_KILLED")

    def test_kill_unknown_task_answers_lost(self):
        s = self.sched(name="kill-unknown")
        s.call({"type": "KILL", "kill": {"task_id": {"value": "ghost"}}})
        st = s.update("ghost")
        self.assertEqual(st["state"], "TASK_LOST")
        self.assertNotIn("uuid", st)

    def test_launch_group(self):
        s = self.sched(name="group")
        offer = s.offers()[0]
        role = offer["allocation_info"]["role"]
        res = [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1},
                "allocation_info": {"role": role}},
               {"name": "mem", "type": "SCALAR", "scalar": {"value": 32},
                "allocation_info": {"role": role}}]
        tasks = []
        for i in range(2):
            t = command_task(offer, "g-%d" % i, "echo group %d" % i)
            tasks.append(t)
        call = {"type": "ACCEPT", "accept": {
            "offer_ids": [offer["id"]],
            "operations": [{"type": "LAUNCH_GROUP", "launch_group": {
                "executor": {"type": "DEFAULT",
                             "executor_id": {"value": "grp-exec"},
                             "framework_id": {"value": s.framework_id},
                             "resources": res},
                "task_group": {"tasks": tasks}}}]}}
        self.assertEqual(s.call(call)[0], 202)
        for i in range(2):
            final, _ = s.wait_terminal("g-%d" % i)
            self.assertEqual(final["state"], "TASK_FINISHED")

    # -- validation ----------------------------------------------------------
    def test_unknown_offer_drops_tasks(self):
        s = self.sched(name="bad-offer")
        offer = s.offers()[0]
        fake = dict(offer, id={"value": "no-such-offer"})
        s.launch(fake, [command_task(offer, "t-lost", "true")])
        st = s.update("t-lost")
        self.assertEqual(st["state"], "TASK_LOST")
        self.assertEqual(st["reason"], "REASON_INVALID_OFFERS")

    def test_invalid_tasks_get_task_error(self):
        s = self.sched(name="invalid")
        offer = s.offers()[0]
        big = command_task(offer, "t-big", "true", cpus=10000)
        dup1 = command_task(offer, "t-dup", "sleep 30")
        dup2 = command_task(offer, "t-dup", "sleep 30")
        both = command_task(offer, "t-both", "true")
        both["executor"] = {"executor_id": {"value": "e"},
                            "command": {"value": "true"}}
        s.launch(offer, [big, dup1, dup2, both])
        errors = {}
        for _ in range(3):
            st = s.update(states={"TASK_ERROR"})
            errors[st["task_id"]["value"]] = st["reason"]
        self.assertEqual(set(errors), {"t-big", "t-dup", "t-both"})
        self.assertEqual(set(errors.values()), {"REASON_TASK_INVALID"})
        s.update("t-dup", states={"TASK_RUNNING"})

    # -- reconciliation and offers ------------------------------------------
    def test_reconcile_explicit_and_implicit(self):
        s = self.sched(name="reconcile")
        offer = s.offers()[0]
        s.launch(offer, [command_task(offer, "t-rec", "sleep 300")])
        s.update("t-rec", states={"TASK_RUNNING"})
        s.call({"type": "RECONCILE", "reconcile": {"tasks": [
            {"task_id": {"value": "t-rec"}},
            {"task_id": {"value": "t-unknown"}}]}})
        a = s.reconciled("t-rec")
        b = s.reconciled("t-unknown")
        self.assertEqual(a["state"], "TASK_RUNNING")
        self.assertEqual(a["reason"], "REASON_RECONCILIATION")
        self.assertNotIn("uuid", a)
        self.assertEqual(b["state"], "TASK_LOST")
        s.call({"type": "RECONCILE", "reconcile": {"tasks": []}})
        c = s.reconciled("t-rec")
        self.assertEqual(c["reason"], "REASON_RECONCILIATION")

    def test_decline_then_revive_reoffers(self):
        s = self.sched(name="decline")
        offer = s.offers()[0]
        st, _ = s.call({"type": "DECLINE", "decline": {
            "offer_ids": [offer["id"]],
            "filters": {"refuse_seconds": 3600}}})
        self.assertEqual(st, 202)
        s.call({"type": "REVIVE"})
        again = s.offers()[0]
        self.assertEqual(again["agent_id"], offer["agent_id"])
        self.assertNotEqual(again["id"], offer["id"])

    def test_state_shows_framework_and_task(self):
        s = self.sched(name="stateful")
        offer = s.offers()[0]
        s.launch(offer, [command_task(offer, "t-state", "sleep 300")])
        s.update("t-state", states={"TASK_RUNNING"})
        st = self.c.state()
        fw = [f for f in st["frameworks"] if f["id"] == s.framework_id][0]
        task = [t for t in fw["tasks"] if t["id"] == "t-state"][0]
        self.assertEqual(task["state"], "TASK_RUNNING")
        self.assertEqual(task["slave_id"], offer["agent_id"]["value"])
        self.assertAlmostEqual(task["resources"]["cpus"], 0.1)
        self.assertEqual(len(st["slaves"]), 1)


PROM_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)"
                         r"(\{[^}]*\})? (-?[0-9.eE+-]+|NaN|[+-]Inf)$")
PROM_TYPE = re.compile(r"^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) "
                       r"(counter|gauge|histogram|summary|untyped)$")


def parse_prometheus(text):
    """A strict reader of the text exposition format: every line is a
    TYPE comment, a sample of a declared metric, or empty."""
    types, samples = {}, {}
    for line in text.split("\n"):
        if not line:
            continue
        m = PROM_TYPE.match(line)
        if m:
            assert m.group(1) not in types, "duplicate TYPE " + line
            types[m.group(1)] = m.group(2)
            continue
        m = PROM_SAMPLE.match(line)
        assert m, "bad exposition line: %r" % line
        assert m.group(1) in types, "sample before its TYPE: " + line
        samples[m.group(1)] = float(m.group(3))
    return types, samples


class Metrics(unittest.TestCase):
    def test_snapshot_and_prometheus_agree(self):
        c = Cluster(agents=1)
        try:
            s = Scheduler(c.master_port, name="metrics")
            offer = s.offers()[0]
            s.launch(offer, [command_task(offer, "t-m", "true")])
            s.wait_terminal("t-m")
            st, h, body = c.get("/metrics/snapshot")
            self.assertEqual(st, 200)
            snap = json.loads(body)
            self.assertEqual(snap["master/elected"], 1)
            self.assertEqual(snap["master/tasks_finished"], 1)
            self.assertEqual(snap["master/slaves_active"], 1)
            self.assertGreater(snap["master/cpus_total"], 0)
            st, h, body = c.get("/metrics")
            self.assertEqual(st, 200)
            self.assertTrue(h["content-type"].startswith("text/plain"))
            types, samples = parse_prometheus(body.decode())
            self.assertEqual(types["master_tasks_finished"], "counter")
            self.assertEqual(samples["master_tasks_finished"], 1)
            self.assertEqual(len(samples), len(snap))
            s.call({"type": "TEARDOWN"})
            s.close()
        finally:
            c.close()


class RoleWhitelist(unittest.TestCase):
    """The deprecated --roles whitelist still refuses unlisted roles."""

    def test_unlisted_role_is_refused(self):
        c = Cluster(agents=0, master_flags=["--roles=dev,prod"])
        try:
            ok = Scheduler(c.master_port, name="dev", roles=["dev"])
            self.assertEqual(ok.status, 200)

            def update(**changes):
                info = {"id": {"value": ok.framework_id}, "user": "root",
                        "name": "dev", "roles": ["dev"], "checkpoint": True,
                        "capabilities": [{"type": "MULTI_ROLE"}]}
                info.update(changes)
                return ok.call({"type": "UPDATE_FRAMEWORK",
                                "update_framework": {"framework_info": info}})
            st, body = update(roles=["ops"])
            self.assertEqual(st, 400)
            self.assertIn(b"--roles", body)
            self.assertEqual(update(principal="someone-else")[0], 400)
            self.assertEqual(update(checkpoint=False)[0], 400)
            self.assertEqual(update(roles=["prod"])[0], 200)
            ok.close()
            bad = Scheduler(c.master_port, name="ops", roles=["ops"])
            self.assertEqual(bad.status, 400)
            self.assertIn(b"--roles", bad.error)
            bad.close()
            star = Scheduler(c.master_port, name="star")
            self.assertEqual(star.status, 200)
            star.close()
        finally:
            c.close()


if __name__ == "__main__":
    run()
