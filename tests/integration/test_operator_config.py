# SPDX-License-Identifier: Apache-2.0
"""The operator calls that change the configuration the registry keeps
(src/master/operator_config.c): UPDATE_WEIGHTS, GET/UPDATE_QUOTA,
RESERVE/UNRESERVE_RESOURCES, MARK_AGENT_GONE and maintenance
(UPDATE_MAINTENANCE_SCHEDULE, START/STOP_MAINTENANCE,
GET_MAINTENANCE_SCHEDULE/STATUS) on one master with real agents and a
real framework: answers and status codes as upstream, bad input 400,
changes that do not fit 409, and their effects on offers and agents.
(Their survival across a failover is in test_registry.py.)"""
import json
import os
import unittest

from harness import (Cluster, Scheduler, command_task, http_json, run,
                     wait_for)


def call(c, body):
    st, _, out = http_json("POST", "127.0.0.1", c.master_port, "/api/v1",
                           body, {"Accept": "application/json"})
    return st, (json.loads(out) if out and st == 200 and out[:1] == b"{"
                else out)


def get(c, type_):
    st, out = call(c, {"type": type_})
    assert st == 200, (type_, st, out)
    return out[type_.lower()]


def scalar(name, value, role=None):
    r = {"name": name, "type": "SCALAR", "scalar": {"value": value}}
    if role:
        r["reservations"] = [{"type": "DYNAMIC", "role": role,
                              "principal": "ops"}]
    return r


def agent_total(c, agent_id):
    for a in get(c, "GET_AGENTS")["agents"]:
        if a["agent_info"]["id"]["value"] == agent_id:
            return a["total_resources"]
    return None


def reserved_cpus(resources, role):
    return sum(r["scalar"]["value"] for r in resources
               if r["name"] == "cpus" and
               any(x.get("role") == role for x in r.get("reservations", [])))


class Weights(unittest.TestCase):
    def test_update_weights(self):
        c = Cluster(agents=0)
        self.addCleanup(c.close)
        st, out = call(c, {"type": "UPDATE_WEIGHTS", "update_weights": {
            "weight_infos": [{"role": "dev", "weight": 2.5},
                             {"role": "prod/web", "weight": 4}]}})
        self.assertEqual(st, 200, out)
        got = {w["role"]: w["weight"]
               for w in get(c, "GET_WEIGHTS")["weight_infos"]}
        self.assertEqual(got, {"dev": 2.5, "prod/web": 4})
        for bad in ([{"role": "dev", "weight": 0}],
                    [{"role": "dev", "weight": -1}],
                    [{"role": "*", "weight": 1}],
                    [{"role": "a//b", "weight": 1}],
                    [{"weight": 1}], "x"):
            st, out = call(c, {"type": "UPDATE_WEIGHTS", "update_weights": {
                "weight_infos": bad}})
            self.assertEqual(st, 400, (bad, out))
        st, _ = call(c, {"type": "UPDATE_WEIGHTS"})
        self.assertEqual(st, 400)


class Quota(unittest.TestCase):
    def test_update_and_get_quota(self):
        c = Cluster(agents=1)
        self.addCleanup(c.close)
        cfg = {"role": "dev", "guarantees": {"cpus": {"value": 1}},
               "limits": {"cpus": {"value": 2}, "mem": {"value": 1024}}}
        st, out = call(c, {"type": "UPDATE_QUOTA", "update_quota": {
            "quota_configs": [cfg]}})
        self.assertEqual(st, 200, out)
        status = get(c, "GET_QUOTA")["status"]
        self.assertEqual(len(status["configs"]), 1)
        got = status["configs"][0]
        self.assertEqual(got["role"], "dev")
        self.assertEqual(got["guarantees"], {"cpus": {"value": 1.0}})
        self.assertEqual(got["limits"]["mem"], {"value": 1024.0})
        self.assertEqual(status["infos"][0]["guarantee"][0]["name"], "cpus")

        # A limit caps what the role is offered: 2 of the agent's 4 cpus.
        s = Scheduler(c.master_port, name="q", roles=["dev"])
        self.addCleanup(s.close)
        offer = s.offers()[0]
        cpus = sum(r["scalar"]["value"] for r in offer["resources"]
                   if r["name"] == "cpus")
        self.assertEqual(cpus, 2.0)

        bad = [
            {"role": "dev", "guarantees": {"cpus": {"value": 3}},
             "limits": {"cpus": {"value": 2}}},            # g > l
            {"role": "*", "limits": {"cpus": {"value": 1}}},
            {"role": "dev", "limits": {"ports": {"value": 1}}},
            {"role": "dev", "limits": {"cpus": {"value": -1}}},
            {"role": "dev", "limits": {"cpus": 1}},
        ]
        for b in bad:
            st, out = call(c, {"type": "UPDATE_QUOTA", "update_quota": {
                "quota_configs": [b]}})
            self.assertEqual(st, 400, (b, out))
        # More guaranteed than the cluster has: 409 unless forced.
        big = {"role": "big", "guarantees": {"cpus": {"value": 100}}}
        st, out = call(c, {"type": "UPDATE_QUOTA", "update_quota": {
            "quota_configs": [big]}})
        self.assertEqual(st, 409, out)
        self.assertIn(b"capacity", out)
        st, out = call(c, {"type": "UPDATE_QUOTA", "update_quota": {
            "force": True, "quota_configs": [big]}})
        self.assertEqual(st, 200, out)
        # Empty guarantees and limits remove a role's quota.
        st, out = call(c, {"type": "UPDATE_QUOTA", "update_quota": {
            "quota_configs": [{"role": "big"}, {"role": "dev"}]}})
        self.assertEqual(st, 200, out)
        self.assertEqual(get(c, "GET_QUOTA")["status"]["configs"], [])


class Reservations(unittest.TestCase):
    def test_reserve_offer_unreserve(self):
        c = Cluster(agents=1)
        self.addCleanup(c.close)
        aid = c.state()["slaves"][0]["id"]
        body = {"agent_id": {"value": aid},
                "resources": [scalar("cpus", 1, "dev")]}
        st, out = call(c, {"type": "RESERVE_RESOURCES",
                           "reserve_resources": body})
        self.assertEqual(st, 202, out)
        self.assertEqual(reserved_cpus(agent_total(c, aid), "dev"), 1.0)
        slave = c.state()["slaves"][0]
        self.assertEqual(slave["reserved_resources"]["dev"]["cpus"], 1.0)
        self.assertEqual(slave["unreserved_resources"]["cpus"], 3.0)
        self.assertEqual(slave["resources"]["cpus"], 4.0)
        # The reserved cpu is offered to the role only.
        s = Scheduler(c.master_port, name="r", roles=["dev"])
        self.addCleanup(s.close)
        offer = s.offers()[0]
        self.assertEqual(reserved_cpus(offer["resources"], "dev"), 1.0)
        s.close()
        other = Scheduler(c.master_port, name="o", roles=["ops"])
        self.addCleanup(other.close)
        offer = other.offers()[0]
        self.assertEqual(reserved_cpus(offer["resources"], "dev"), 0)
        cpus = sum(r["scalar"]["value"] for r in offer["resources"]
                   if r["name"] == "cpus")
        self.assertEqual(cpus, 3.0, offer["resources"])
        other.close()
        # Bad input: unreserved resources, unknown agent.
        st, _ = call(c, {"type": "RESERVE_RESOURCES", "reserve_resources": {
            "agent_id": {"value": aid}, "resources": [scalar("cpus", 1)]}})
        self.assertEqual(st, 400)
        st, _ = call(c, {"type": "RESERVE_RESOURCES", "reserve_resources": {
            "agent_id": {"value": "nope"},
            "resources": [scalar("cpus", 1, "dev")]}})
        self.assertEqual(st, 400)
        # More than the agent has unreserved: 409.
        st, _ = call(c, {"type": "RESERVE_RESOURCES", "reserve_resources": {
            "agent_id": {"value": aid},
            "resources": [scalar("cpus", 10, "dev")]}})
        self.assertEqual(st, 409)
        # Unreserve, and a second time: nothing left to unreserve (409).
        st, out = call(c, {"type": "UNRESERVE_RESOURCES",
                           "unreserve_resources": body})
        self.assertEqual(st, 202, out)
        self.assertEqual(reserved_cpus(agent_total(c, aid), "dev"), 0)
        st, _ = call(c, {"type": "UNRESERVE_RESOURCES",
                         "unreserve_resources": body})
        self.assertEqual(st, 409)


class Gone(unittest.TestCase):
    def test_mark_agent_gone(self):
        c = Cluster(agents=1)
        self.addCleanup(c.close)
        aid = c.state()["slaves"][0]["id"]
        s = Scheduler(c.master_port, name="g",
                      capabilities=["PARTITION_AWARE"])
        self.addCleanup(s.close)
        offer = s.offers()[0]
        s.launch(offer, [command_task(offer, "t1", "sleep 600")])
        self.assertEqual(s.update("t1", states=["TASK_RUNNING"])["state"],
                         "TASK_RUNNING")
        st, out = call(c, {"type": "MARK_AGENT_GONE", "mark_agent_gone": {
            "agent_id": {"value": aid}}})
        self.assertEqual(st, 200, out)
        status = s.update("t1", states=["TASK_GONE_BY_OPERATOR"])
        self.assertEqual(status["reason"], "REASON_AGENT_REMOVED_BY_OPERATOR")
        # The agent was told to shut down: it exits 0 and forgets its id.
        agent = c.agents[0]
        wait_for(lambda: not agent.alive(), 15, "the agent to shut down")
        self.assertEqual(agent.p.returncode, 0)
        self.assertIn("shut down by the master", agent.output())
        latest = os.path.join(c.dir, "agent0", "meta", "slaves", "latest")
        self.assertFalse(os.path.lexists(latest))
        self.assertEqual(c.state()["slaves"], [])
        # Idempotent; an unknown agent is a 400.
        st, _ = call(c, {"type": "MARK_AGENT_GONE", "mark_agent_gone": {
            "agent_id": {"value": aid}}})
        self.assertEqual(st, 200)
        st, _ = call(c, {"type": "MARK_AGENT_GONE", "mark_agent_gone": {
            "agent_id": {"value": "nope"}}})
        self.assertEqual(st, 400)
        # Restarted, it registers as a new agent.
        c.start_agent(0)
        wait_for(lambda: [a["id"] for a in c.state()["slaves"]
                          if a["id"] != aid], 15, "a new agent id")


class Maintenance(unittest.TestCase):
    def test_schedule_drain_down_up(self):
        c = Cluster(agents=1)
        self.addCleanup(c.close)
        agent = c.state()["slaves"][0]
        machine = {"hostname": agent["hostname"], "ip": "127.0.0.1"}
        schedule = {"windows": [{
            "machine_ids": [machine],
            "unavailability": {"start": {"nanoseconds": 1000000000},
                               "duration": {"nanoseconds": 3600000000000}}}]}
        st, out = call(c, {"type": "UPDATE_MAINTENANCE_SCHEDULE",
                           "update_maintenance_schedule": {
                               "schedule": schedule}})
        self.assertEqual(st, 200, out)
        self.assertEqual(get(c, "GET_MAINTENANCE_SCHEDULE")["schedule"],
                         schedule)
        status = get(c, "GET_MAINTENANCE_STATUS")["status"]
        self.assertEqual([d["id"] for d in status["draining_machines"]],
                         [machine])
        self.assertEqual(status["down_machines"], [])
        # Offers of a draining machine say when it goes away.
        s = Scheduler(c.master_port, name="m")
        self.addCleanup(s.close)
        offer = s.offers()[0]
        self.assertEqual(offer["unavailability"],
                         schedule["windows"][0]["unavailability"])
        # Bad input and modes that do not fit.
        for bad in ({"windows": [{"machine_ids": [],
                                  "unavailability": {"start": {
                                      "nanoseconds": 1}}}]},
                    {"windows": [{"machine_ids": [{"ip": "not-an-ip"}],
                                  "unavailability": {"start": {
                                      "nanoseconds": 1}}}]},
                    {"windows": [{"machine_ids": [machine]}]}):
            st, _ = call(c, {"type": "UPDATE_MAINTENANCE_SCHEDULE",
                             "update_maintenance_schedule": {
                                 "schedule": bad}})
            self.assertEqual(st, 400, bad)
        st, _ = call(c, {"type": "STOP_MAINTENANCE", "stop_maintenance": {
            "machines": [machine]}})
        self.assertEqual(st, 409)  # draining, not down
        st, _ = call(c, {"type": "START_MAINTENANCE", "start_maintenance": {
            "machines": [{"hostname": "elsewhere"}]}})
        self.assertEqual(st, 409)  # not scheduled

        # DOWN: the agent is removed and shut down; it may not come back.
        st, out = call(c, {"type": "START_MAINTENANCE", "start_maintenance": {
            "machines": [machine]}})
        self.assertEqual(st, 200, out)
        a0 = c.agents[0]
        wait_for(lambda: not a0.alive(), 15, "the agent to shut down")
        self.assertEqual(get(c, "GET_MAINTENANCE_STATUS")["status"][
            "down_machines"], [machine])
        st, _ = call(c, {"type": "UPDATE_MAINTENANCE_SCHEDULE",
                         "update_maintenance_schedule": {
                             "schedule": {"windows": []}}})
        self.assertEqual(st, 409)  # a down machine stays scheduled
        try:
            again = c.start_agent(0)  # refused, maybe before it listens
            wait_for(lambda: not again.alive(), 15,
                     "the agent of a down machine to be refused")
            refusal = again.output()
        except AssertionError as e:
            refusal = str(e)
        self.assertIn("the master refused this agent: the agent's machine "
                      "is down for maintenance", refusal)

        # UP again: out of the schedule, agents register.
        st, out = call(c, {"type": "STOP_MAINTENANCE", "stop_maintenance": {
            "machines": [machine]}})
        self.assertEqual(st, 200, out)
        self.assertEqual(get(c, "GET_MAINTENANCE_SCHEDULE")["schedule"],
                         {"windows": []})
        c.start_agent(0)
        wait_for(lambda: c.state()["slaves"], 15, "the agent back")


class Classic(unittest.TestCase):
    """The classic endpoints of the same configuration."""

    def test_classic_endpoints(self):
        c = Cluster(agents=1)
        self.addCleanup(c.close)
        port = c.master_port
        aid = c.state()["slaves"][0]["id"]

        def req(method, path, body=None, headers=None):
            st, _, out = http_json(method, "127.0.0.1", port, path, body,
                                   headers)
            return st, out

        st, _ = req("PUT", "/master/weights", [{"role": "dev", "weight": 2}])
        self.assertEqual(st, 200)
        st, out = req("GET", "/weights")
        self.assertEqual((st, json.loads(out)),
                         (200, [{"role": "dev", "weight": 2.0}]))
        self.assertEqual(req("PUT", "/weights", b"{bad")[0], 400)

        sched = {"windows": [{"machine_ids": [{"hostname": "m1"}],
                              "unavailability": {"start": {
                                  "nanoseconds": 7}}}]}
        self.assertEqual(req("POST", "/master/maintenance/schedule",
                             sched)[0], 200)
        st, out = req("GET", "/master/maintenance/schedule")
        self.assertEqual(json.loads(out), sched)
        self.assertEqual(req("POST", "/master/machine/down",
                             [{"hostname": "m1"}])[0], 200)
        st, out = req("GET", "/master/maintenance/status")
        self.assertEqual(json.loads(out)["down_machines"], [{"hostname": "m1"}])
        self.assertEqual(req("POST", "/master/machine/down",
                             [{"hostname": "m1"}])[0], 409)
        self.assertEqual(req("POST", "/master/machine/up",
                             [{"hostname": "m1"}])[0], 200)
        self.assertEqual(req("DELETE", "/master/machine/up")[0], 405)

        st, out = req("GET", "/master/quota")
        self.assertEqual((st, json.loads(out)["configs"]), (200, []))

        from urllib.parse import urlencode
        form = urlencode({"slaveId": aid, "resources": json.dumps(
            [scalar("cpus", 1, "dev")])}).encode()
        hdr = {"Content-Type": "application/x-www-form-urlencoded"}
        st, out = req("POST", "/master/reserve", form, hdr)
        self.assertEqual(st, 202, out)
        self.assertEqual(reserved_cpus(agent_total(c, aid), "dev"), 1.0)
        st, out = req("POST", "/master/unreserve", form, hdr)
        self.assertEqual(st, 202, out)
        self.assertEqual(req("POST", "/master/reserve", b"slaveId=x",
                             hdr)[0], 400)


if __name__ == "__main__":
    run()
