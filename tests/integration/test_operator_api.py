# SPDX-License-Identifier: Apache-2.0
"""The master's v1 operator API (POST /api/v1): every GET_* call's shape
and status, the no-data calls, bad input (400), unknown calls (501), a
standby's redirect, and the SUBSCRIBE event stream through a scripted
scenario (framework subscribes, task runs to completion, agent removed).
"""
import http.client
import json
import queue
import socket
import threading
import time
import unittest

from harness import (MULT, Cluster, Scheduler, command_task, deadline,
                     http_json, run)

GETS = ["GET_HEALTH", "GET_FLAGS", "GET_VERSION", "GET_METRICS",
        "GET_LOGGING_LEVEL", "GET_STATE", "GET_AGENTS", "GET_FRAMEWORKS",
        "GET_EXECUTORS", "GET_TASKS", "GET_ROLES", "GET_WEIGHTS",
        "GET_MASTER"]


def is_v1_resources(arr):
    return isinstance(arr, list) and all(
        "name" in r and "type" in r for r in arr)


class OperatorStream:
    """A SUBSCRIBE on /api/v1 whose RecordIO events a thread reads."""

    def __init__(self, port):
        self.events = queue.Queue()
        self.conn = http.client.HTTPConnection("127.0.0.1", port,
                                               timeout=30 * MULT)
        self.conn.request("POST", "/api/v1",
                          body=json.dumps({"type": "SUBSCRIBE"}),
                          headers={"Content-Type": "application/json",
                                   "Accept": "application/json"})
        self.resp = self.conn.getresponse()
        self.status = self.resp.status
        self.content_type = self.resp.getheader("Content-Type")
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        try:
            while True:
                line = b""
                while not line.endswith(b"\n"):
                    c = self.resp.read(1)
                    if not c:
                        raise EOFError
                    line += c
                self.events.put(json.loads(self.resp.read(int(line))))
        except Exception:
            self.events.put({"type": "__CLOSED__"})

    def next(self, secs=20, skip=("HEARTBEAT",)):
        end = deadline(secs)
        while True:
            ev = self.events.get(timeout=max(0.01, end - time.monotonic()))
            if ev["type"] not in skip:
                return ev

    def until(self, pred, secs=20, what="event"):
        """Events up to and including the first matching pred."""
        seen = []
        end = deadline(secs)
        while time.monotonic() < end:
            try:
                ev = self.events.get(timeout=0.1)
            except queue.Empty:
                continue
            seen.append(ev)
            if pred(ev):
                return seen
        raise AssertionError("no %s; saw %s" % (what,
                                                [e["type"] for e in seen]))

    def close(self):
        try:
            self.conn.sock.shutdown(socket.SHUT_RDWR)
        except Exception:
            pass
        self.conn.close()


class OperatorApi(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster(agents=1, master_flags=[
            "--agent_ping_timeout=0.5secs", "--max_agent_ping_timeouts=2",
            "--weights=dev=2"])

    @classmethod
    def tearDownClass(cls):
        cls.c.close()

    def call(self, body, headers=None):
        return http_json("POST", "127.0.0.1", self.c.master_port, "/api/v1",
                         body, headers)

    def get(self, type_):
        st, h, out = self.call({"type": type_})
        self.assertEqual(st, 200, (type_, out))
        self.assertEqual(h.get("content-type"), "application/json")
        j = json.loads(out)
        self.assertEqual(j["type"], type_)
        return j[type_.lower()]

    def test_every_get_call(self):
        s = Scheduler(self.c.master_port, name="op-gets", roles=["dev"])
        try:
            offer = s.offers()[0]
            st, out = s.launch(offer, [command_task(offer, "t1", "sleep 30")])
            self.assertEqual(st, 202, out)
            s.update("t1", states=["TASK_RUNNING"])
            for t in GETS:
                self.get(t)
            self.assertEqual(self.get("GET_HEALTH"), {"healthy": True})
            flags = {f["name"]: f["value"]
                     for f in self.get("GET_FLAGS")["flags"]}
            self.assertEqual(flags["max_operator_event_stream_subscribers"],
                             "1000")
            self.assertIn("version", self.get("GET_VERSION")["version_info"])
            metrics = {m["name"]: m["value"]
                       for m in self.get("GET_METRICS")["metrics"]}
            self.assertEqual(metrics["master/elected"], 1)
            self.assertIn("level", self.get("GET_LOGGING_LEVEL"))

            agents = self.get("GET_AGENTS")["agents"]
            self.assertEqual(len(agents), 1)
            a = agents[0]
            self.assertTrue(a["active"])
            self.assertIn("id", a["agent_info"])
            self.assertTrue(is_v1_resources(a["total_resources"]))
            self.assertTrue(is_v1_resources(a["allocated_resources"]))
            self.assertTrue(any(r["name"] == "cpus"
                                for r in a["allocated_resources"]))
            self.assertIn("nanoseconds", a["registered_time"])

            fws = self.get("GET_FRAMEWORKS")
            mine = [f for f in fws["frameworks"]
                    if f["framework_info"]["id"]["value"] == s.framework_id]
            self.assertEqual(len(mine), 1)
            self.assertTrue(mine[0]["connected"])
            self.assertTrue(is_v1_resources(mine[0]["allocated_resources"]))
            self.assertEqual(mine[0]["allocated_resources"][0][
                "allocation_info"]["role"], "dev")

            tasks = self.get("GET_TASKS")
            t1 = [t for t in tasks["tasks"] if t["task_id"]["value"] == "t1"]
            self.assertEqual(t1[0]["state"], "TASK_RUNNING")
            self.assertTrue(is_v1_resources(t1[0]["resources"]))
            self.assertIn("executors", self.get("GET_EXECUTORS"))

            state = self.get("GET_STATE")
            self.assertEqual(set(state), {"get_tasks", "get_executors",
                                          "get_frameworks", "get_agents"})
            roles = {r["name"]: r for r in self.get("GET_ROLES")["roles"]}
            self.assertEqual(roles["dev"]["weight"], 2)
            self.assertEqual(roles["dev"]["frameworks"],
                             [{"value": s.framework_id}])
            self.assertEqual(self.get("GET_WEIGHTS")["weight_infos"],
                             [{"role": "dev", "weight": 2}])
            m = self.get("GET_MASTER")
            self.assertIn("master_info", m)
            self.assertIn("elected_time", m)
        finally:
            s.call({"type": "TEARDOWN"})
            s.close()

    def test_logging_level(self):
        st, h, out = self.call({"type": "SET_LOGGING_LEVEL",
                                "set_logging_level": {
                                    "level": 1,
                                    "duration": {"nanoseconds": 60e9}}})
        self.assertEqual(st, 200, out)
        self.assertNotIn("content-type", h)
        self.assertEqual(self.get("GET_LOGGING_LEVEL")["level"], 1)
        st, _, _ = self.call({"type": "SET_LOGGING_LEVEL",
                              "set_logging_level": {
                                  "level": 0,
                                  "duration": {"nanoseconds": 1e6}}})
        self.assertEqual(st, 200)
        self.assertEqual(self.get("GET_LOGGING_LEVEL")["level"], 0)

    def test_bad_input_and_unknown_calls(self):
        bad = [b"{", b"[]", {"get_health": {}}, {"type": 3},
               {"type": "SET_LOGGING_LEVEL"},
               {"type": "SET_LOGGING_LEVEL",
                "set_logging_level": {"level": -1,
                                      "duration": {"nanoseconds": 1}}},
               {"type": "TEARDOWN"},
               {"type": "TEARDOWN", "teardown": {"framework_id": {}}},
               {"type": "TEARDOWN",
                "teardown": {"framework_id": {"value": "nope"}}}]
        for body in bad:
            st, _, out = self.call(body)
            self.assertEqual(st, 400, (body, out))
        for t in ("UNKNOWN", "NO_SUCH_CALL", "LIST_FILES"):
            self.assertEqual(self.call({"type": t})[0], 501, t)
        st, h, _ = http_json("GET", "127.0.0.1", self.c.master_port,
                             "/api/v1")
        self.assertEqual(st, 405)
        self.assertEqual(self.call({"type": "GET_HEALTH"},
                                   {"Accept": "text/html"})[0], 406)

    def test_teardown(self):
        s = Scheduler(self.c.master_port, name="op-teardown")
        try:
            st, h, out = self.call({"type": "TEARDOWN", "teardown": {
                "framework_id": {"value": s.framework_id}}})
            self.assertEqual(st, 200, out)
            self.assertNotIn("content-type", h)
            fws = self.get("GET_FRAMEWORKS")
            self.assertFalse([f for f in fws["frameworks"]
                              if f["framework_info"]["id"]["value"] ==
                              s.framework_id])
            self.assertTrue([f for f in fws["completed_frameworks"]
                             if f["framework_info"]["id"]["value"] ==
                             s.framework_id])
        finally:
            s.close()

    def test_event_stream(self):
        sub = OperatorStream(self.c.master_port)
        self.assertEqual(sub.status, 200)
        self.assertEqual(sub.content_type, "application/json")
        first = sub.events.get(timeout=10 * MULT)
        self.assertEqual(first["type"], "SUBSCRIBED")
        self.assertEqual(first["subscribed"]["heartbeat_interval_seconds"],
                         15)
        self.assertIn("get_agents", first["subscribed"]["get_state"])
        self.assertEqual(sub.events.get(timeout=10 * MULT)["type"],
                         "HEARTBEAT")

        s = Scheduler(self.c.master_port, name="op-events")
        try:
            offer = s.offers()[0]
            st, out = s.launch(offer, [command_task(offer, "ev1",
                                                    "sleep 1")])
            self.assertEqual(st, 202, out)
            s.wait_terminal("ev1")
            evs = sub.until(lambda e: e["type"] == "TASK_UPDATED" and
                            e["task_updated"]["state"] == "TASK_FINISHED",
                            30, "TASK_FINISHED")
            kinds = [e["type"] for e in evs if e["type"] != "HEARTBEAT"]
            self.assertEqual(kinds[0], "FRAMEWORK_ADDED", kinds)
            fw = evs[0]["framework_added"]["framework"]
            self.assertEqual(fw["framework_info"]["id"]["value"],
                             s.framework_id)
            added = [e for e in evs if e["type"] == "TASK_ADDED"]
            self.assertEqual(len(added), 1)
            self.assertEqual(added[0]["task_added"]["task"]["task_id"],
                             {"value": "ev1"})
            # "state" is the master's view: the agent's latest state, which
            # may be ahead of the relayed status (as upstream), so STARTING
            # can be reported with state RUNNING. Either way the states
            # only move forward, once each, and every status is relayed in
            # order from STARTING.
            ups = [e["task_updated"] for e in evs
                   if e["type"] == "TASK_UPDATED"]
            order = ["TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"]
            states = [u["state"] for u in ups]
            self.assertEqual(states, [x for x in order if x in states])
            self.assertIn("TASK_RUNNING", states)
            self.assertEqual(states[-1], "TASK_FINISHED")
            relayed = [u["status"]["state"] for u in ups]
            self.assertEqual(relayed[0], "TASK_STARTING")
            self.assertEqual(relayed, [x for x in order if x in relayed])
            self.assertLess(kinds.index("TASK_ADDED"),
                            kinds.index("TASK_UPDATED"))
            upd = [e for e in evs if e["type"] == "TASK_UPDATED"][0]
            self.assertEqual(upd["task_updated"]["framework_id"],
                             {"value": s.framework_id})
            self.assertEqual(upd["task_updated"]["status"]["task_id"],
                             {"value": "ev1"})
        finally:
            s.call({"type": "TEARDOWN"})
            s.close()
        sub.until(lambda e: e["type"] == "FRAMEWORK_REMOVED", 10,
                  "FRAMEWORK_REMOVED")

        # An agent that comes and goes.
        p = self.c.start_agent(1)
        evs = sub.until(lambda e: e["type"] == "AGENT_ADDED", 15,
                        "AGENT_ADDED")
        agent = evs[-1]["agent_added"]["agent"]
        aid = agent["agent_info"]["id"]["value"]
        self.assertTrue(is_v1_resources(agent["total_resources"]))
        p.kill9()
        evs = sub.until(lambda e: e["type"] == "AGENT_REMOVED", 20,
                        "AGENT_REMOVED")
        self.assertEqual(evs[-1]["agent_removed"]["agent_id"],
                         {"value": aid})
        sub.close()


class SubscriberCap(unittest.TestCase):
    def test_oldest_closed(self):
        c = Cluster(agents=0, master_flags=[
            "--max_operator_event_stream_subscribers=1"])
        try:
            a = OperatorStream(c.master_port)
            self.assertEqual(a.next()["type"], "SUBSCRIBED")
            b = OperatorStream(c.master_port)
            self.assertEqual(b.next()["type"], "SUBSCRIBED")
            self.assertEqual(a.next(10)["type"], "__CLOSED__")
            a.close()
            b.close()
        finally:
            c.close()


class Standby(unittest.TestCase):
    def test_standby_redirects(self):
        from hacluster import HACluster
        c = HACluster(masters=3)
        try:
            leader = c.leader()
            for p in c.masters:
                if p is leader:
                    continue
                st, h, _ = http_json("POST", "127.0.0.1", p.port, "/api/v1",
                                     {"type": "GET_HEALTH"}, timeout=5)
                self.assertEqual(st, 307)
                self.assertEqual(h["location"],
                                 "//127.0.0.1:%d/api/v1" % leader.port)
            st, h, _ = http_json("POST", "127.0.0.1", leader.port, "/api/v1",
                                 {"type": "GET_HEALTH"}, timeout=5)
            self.assertEqual(st, 200)
        finally:
            c.close()


if __name__ == "__main__":
    run()
