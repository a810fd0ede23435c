# SPDX-License-Identifier: Apache-2.0
"""The master's classic (v0) endpoints beyond /state: /master/frameworks,
/master/slaves, /master/tasks, /master/roles and /master/teardown, with and
without the /master prefix and with ?jsonp=: their shapes (as upstream's),
their filters, /tasks paging and ordering, status codes, bad input (400),
a standby's redirects, and concurrent /state and GET_STATE requests
answered whole."""
import json
import os
import re
import threading
import unittest
import urllib.parse

from harness import (BIN, Cluster, Proc, Scheduler, command_task, http_json,
                     run, wait_for)

RESOURCES = "cpus:3;cpus(web):1;mem:2048;disk:1024;ports:[31000-32000]"


def unwrap(body, cb):
    m = re.fullmatch(rb"%s\((.*)\);" % re.escape(cb.encode()), body, re.S)
    assert m is not None, body[:60]
    return json.loads(m.group(1))


class ClassicEndpoints(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster(agents=2, resources=RESOURCES, master_flags=[
            "--roles=*,web,idle", "--weights=web=2"])
        try:
            cls.s = Scheduler(cls.c.master_port, name="classic")
            cls.fw = cls.s.framework_id
            offer = cls.s.offers()[0]
            cls.agent_id = offer["agent_id"]["value"]
            st, out = cls.s.launch(offer, [
                command_task(offer, "t-long", "sleep 300"),
                command_task(offer, "t-quick", "true", cpus=0.2)])
            assert st == 202, out
            cls.s.update("t-long", states=["TASK_RUNNING"])
            cls.s.update("t-quick", states=["TASK_FINISHED"])

            def quick_completed():
                for f in cls.c.state()["frameworks"]:
                    if f["id"] == cls.fw and f["completed_tasks"]:
                        return True
            wait_for(quick_completed, 15, "t-quick among completed tasks")
            cls.other = Scheduler(cls.c.master_port, name="other",
                                  roles=["web"])
        except BaseException:
            cls.c.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.s.call({"type": "TEARDOWN"})
        cls.s.close()
        cls.other.close()
        cls.c.close()

    def get(self, path, status=200):
        st, h, body = self.c.get(path)
        self.assertEqual(st, status, (path, body[:200]))
        if status == 200:
            self.assertEqual(h["content-type"], "application/json", path)
            return json.loads(body)
        return body

    def both(self, path):
        """The document at /master<path> and at <path> (must match)."""
        a = self.get("/master" + path)
        b = self.get(path)
        return a, b

    # -- /frameworks -----------------------------------------------------
    def test_frameworks_shape_matches_state(self):
        doc, plain = self.both("/frameworks")
        self.assertEqual(set(doc), {"frameworks", "completed_frameworks",
                                    "unregistered_frameworks"})
        self.assertEqual(doc["unregistered_frameworks"], [])
        self.assertEqual([f["id"] for f in doc["frameworks"]],
                         [f["id"] for f in plain["frameworks"]])
        state = self.c.state()
        by_id = {f["id"]: f for f in state["frameworks"]}
        for f in doc["frameworks"]:
            self.assertEqual(f, by_id[f["id"]])
        mine = [f for f in doc["frameworks"] if f["id"] == self.fw][0]
        for key in ("id", "name", "user", "hostname", "webui_url", "active",
                    "connected", "recovered", "failover_timeout",
                    "checkpoint", "registered_time", "unregistered_time",
                    "role", "roles", "used_resources", "offered_resources",
                    "resources", "tasks", "completed_tasks", "offers",
                    "unreachable_tasks", "capabilities"):
            self.assertIn(key, mine)
        self.assertEqual([t["id"] for t in mine["tasks"]], ["t-long"])
        self.assertEqual([t["id"] for t in mine["completed_tasks"]],
                         ["t-quick"])
        self.assertAlmostEqual(mine["used_resources"]["cpus"], 0.1)

    def test_frameworks_filter_and_jsonp(self):
        doc = self.get("/master/frameworks?framework_id=" + self.fw)
        self.assertEqual([f["id"] for f in doc["frameworks"]], [self.fw])
        doc = self.get("/frameworks?framework_id=no-such-framework")
        self.assertEqual(doc["frameworks"], [])
        self.assertEqual(doc["completed_frameworks"], [])
        st, h, body = self.c.get("/master/frameworks?jsonp=cb&framework_id="
                                 + self.other.framework_id)
        self.assertEqual((st, h["content-type"]), (200, "text/javascript"))
        self.assertEqual([f["id"] for f in unwrap(body, "cb")["frameworks"]],
                         [self.other.framework_id])

    # -- /slaves ---------------------------------------------------------
    def test_slaves_shape(self):
        doc, plain = self.both("/slaves")
        self.assertEqual(set(doc), {"slaves", "recovered_slaves"})
        self.assertEqual(doc["recovered_slaves"], [])
        self.assertEqual(len(doc["slaves"]), 2)
        state = {s["id"]: s for s in self.c.state()["slaves"]}
        for s in doc["slaves"]:
            # Everything /master/state says about the agent, plus upstream's
            # offered, reserved and full resources.
            for k, v in state[s["id"]].items():
                if k != "used_resources":
                    self.assertEqual(s[k], v, k)
            for key in ("offered_resources", "reserved_resources",
                        "reserved_resources_full",
                        "unreserved_resources_full", "used_resources_full",
                        "offered_resources_full"):
                self.assertIn(key, s)
            self.assertEqual(s["reserved_resources"]["web"]["cpus"], 1.0)
            full = s["reserved_resources_full"]["web"]
            self.assertEqual([r["name"] for r in full], ["cpus"])
            self.assertEqual(full[0]["reservations"][0]["role"], "web")
            self.assertEqual(s["resources"]["cpus"], 4.0)
            self.assertEqual(
                sum(r["scalar"]["value"] for r in
                    s["unreserved_resources_full"] if r["name"] == "cpus"),
                3.0)
        busy = [s for s in doc["slaves"] if s["id"] == self.agent_id][0]
        self.assertAlmostEqual(busy["used_resources"]["cpus"], 0.1)
        self.assertEqual([r["name"] for r in busy["used_resources_full"]],
                         ["cpus", "mem"])

    def test_slaves_filter_and_jsonp(self):
        doc = self.get("/master/slaves?slave_id=" + self.agent_id)
        self.assertEqual([s["id"] for s in doc["slaves"]], [self.agent_id])
        self.assertEqual(self.get("/slaves?slave_id=nope")["slaves"], [])
        st, h, body = self.c.get("/slaves?slave_id=%s&jsonp=x.y_1"
                                 % self.agent_id)
        self.assertEqual(h["content-type"], "text/javascript")
        self.assertEqual(len(unwrap(body, "x.y_1")["slaves"]), 1)

    # -- /tasks ----------------------------------------------------------
    def test_tasks_default_order_and_shape(self):
        doc, plain = self.both("/tasks")
        self.assertEqual(set(doc), {"tasks"})
        ids = [t["id"] for t in doc["tasks"]]
        self.assertEqual(sorted(ids), ["t-long", "t-quick"])
        # Descending by the first status's timestamp (the default).
        stamps = [t["statuses"][0]["timestamp"] for t in doc["tasks"]]
        self.assertEqual(stamps, sorted(stamps, reverse=True))
        asc = self.get("/master/tasks?order=asc")["tasks"]
        self.assertEqual([t["id"] for t in asc], ids[::-1])
        t = [t for t in doc["tasks"] if t["id"] == "t-long"][0]
        for key in ("id", "name", "framework_id", "executor_id",
                    "slave_id", "state", "resources", "role", "statuses"):
            self.assertIn(key, t)
        self.assertEqual(t["state"], "TASK_RUNNING")
        self.assertEqual(t["framework_id"], self.fw)
        self.assertEqual(t["slave_id"], self.agent_id)
        self.assertAlmostEqual(t["resources"]["cpus"], 0.1)

    def test_tasks_paging_and_filters(self):
        all_ids = [t["id"] for t in self.get("/master/tasks")["tasks"]]
        page = self.get("/master/tasks?limit=1&offset=1")["tasks"]
        self.assertEqual([t["id"] for t in page], all_ids[1:2])
        self.assertEqual(self.get("/tasks?limit=1")["tasks"][0]["id"],
                         all_ids[0])
        self.assertEqual(self.get("/tasks?limit=0")["tasks"], [])
        self.assertEqual(self.get("/tasks?offset=5")["tasks"], [])
        one = self.get("/tasks?task_id=t-quick")["tasks"]
        self.assertEqual([(t["id"], t["state"]) for t in one],
                         [("t-quick", "TASK_FINISHED")])
        self.assertEqual(len(self.get("/tasks?framework_id=%s" %
                                      self.fw)["tasks"]), 2)
        self.assertEqual(self.get("/tasks?framework_id=%s" %
                                  self.other.framework_id)["tasks"], [])
        st, h, body = self.c.get("/master/tasks?jsonp=cb&limit=1")
        self.assertEqual(h["content-type"], "text/javascript")
        self.assertEqual(len(unwrap(body, "cb")["tasks"]), 1)

    def test_tasks_bad_input(self):
        for q in ("limit=-1", "limit=abc", "limit=", "limit=1.5",
                  "offset=-3", "offset=x", "order=sideways", "order=",
                  "limit=99999999999999999999",
                  "jsonp=" + urllib.parse.quote("alert(1)//")):
            self.get("/master/tasks?" + q, status=400)
        self.get("/master/frameworks?jsonp=" + urllib.parse.quote("a b"),
                 status=400)
        self.get("/master/slaves?slave_id=" + "x" * 5000, status=400)

    # -- /roles ----------------------------------------------------------
    def test_roles(self):
        doc, _ = self.both("/roles")
        roles = {r["name"]: r for r in doc["roles"]}
        self.assertEqual([r["name"] for r in doc["roles"]], sorted(roles))
        # Whitelisted, weighted, subscribed-to and resource-holding roles.
        self.assertLessEqual({"*", "web", "idle"}, set(roles))
        star = roles["*"]
        self.assertEqual(set(star), {"name", "weight", "resources",
                                     "frameworks"})
        self.assertEqual(star["weight"], 1.0)
        self.assertIn(self.fw, star["frameworks"])
        self.assertGreaterEqual(star["resources"]["cpus"], 0.1)
        self.assertEqual(roles["web"]["weight"], 2.0)
        self.assertEqual(roles["web"]["frameworks"],
                         [self.other.framework_id])
        self.assertEqual(roles["idle"]["frameworks"], [])
        self.assertEqual(roles["idle"]["resources"]["cpus"], 0.0)
        st, h, body = self.c.get("/roles?jsonp=cb")
        self.assertEqual(unwrap(body, "cb"), doc)

    # -- methods and /teardown -------------------------------------------
    def test_methods(self):
        for path in ("/master/frameworks", "/slaves", "/master/tasks",
                     "/roles", "/master/state"):
            st, h, _ = http_json("POST", "127.0.0.1", self.c.master_port,
                                 path, b"")
            self.assertEqual(st, 405, path)
            self.assertIn("GET", h["allow"])
        st, h, _ = self.c.get("/master/teardown")
        self.assertEqual(st, 405)
        self.assertEqual(h["allow"], "POST")

    def teardown(self, body, path="/master/teardown"):
        return http_json("POST", "127.0.0.1", self.c.master_port, path,
                         body.encode(), {"Content-Type":
                                         "application/x-www-form-urlencoded"})

    def test_teardown(self):
        st, _, body = self.teardown("")
        self.assertEqual(st, 400)
        self.assertIn(b"frameworkId", body)
        st, _, body = self.teardown("frameworkId=")
        self.assertEqual(st, 400)
        st, _, body = self.teardown("frameworkId=no-such-framework")
        self.assertEqual(st, 400)
        self.assertIn(b"No framework", body)
        s = Scheduler(self.c.master_port, name="doomed")
        try:
            st, h, body = self.teardown("x=1&frameworkId=" +
                                        urllib.parse.quote(s.framework_id),
                                        path="/teardown")
            self.assertEqual((st, body), (200, b""))
            self.assertNotIn("content-type", h)
            s.next("__CLOSED__")
            doc = self.get("/master/frameworks?framework_id=" +
                           s.framework_id)
            self.assertEqual(doc["frameworks"], [])
            self.assertEqual([f["id"] for f in doc["completed_frameworks"]],
                             [s.framework_id])
            self.assertFalse(doc["completed_frameworks"][0]["active"])
            # Gone for good: a second teardown does not find it.
            st, _, _ = self.teardown("frameworkId=" + s.framework_id)
            self.assertEqual(st, 400)
        finally:
            s.close()

    # -- whole documents under concurrency -------------------------------
    def test_concurrent_state_requests(self):
        """Several /state and GET_STATE requests at once (batched or
        queued documents): each answer is one complete, valid document."""
        out = []

        def fetch(i):
            if i % 2:
                st, h, body = http_json(
                    "POST", "127.0.0.1", self.c.master_port, "/api/v1",
                    {"type": "GET_STATE"}, {"Accept": "application/json"})
            else:
                st, h, body = self.c.get("/master/state?jsonp=cb%d" % i)
            out.append((i, st, h.get("content-type"), body))
        threads = [threading.Thread(target=fetch, args=(i,))
                   for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(len(out), 8)
        for i, st, ct, body in out:
            self.assertEqual(st, 200)
            if i % 2:
                self.assertEqual(ct, "application/json")
                doc = json.loads(body)
                self.assertEqual(doc["type"], "GET_STATE")
                self.assertEqual(set(doc["get_state"]), {
                    "get_tasks", "get_executors", "get_frameworks",
                    "get_agents"})
                self.assertEqual(len(doc["get_state"]["get_agents"]
                                     ["agents"]), 2)
            else:
                self.assertEqual(ct, "text/javascript")
                doc = unwrap(body, "cb%d" % i)
                self.assertEqual(len(doc["slaves"]), 2)


class Sliced(unittest.TestCase):
    """A master with 10,000 tasks (emulated agents reporting them), whose
    documents take several loop turns: concurrent requests all get whole,
    identical documents, and a master stopped in the middle of one answers
    it 503 (or drops it), never with a truncated 200."""

    EMULATOR = os.path.join(BIN, "..", "bench", "state", "bench_state")

    def setUp(self):
        if not os.path.exists(self.EMULATOR):
            self.skipTest("bench_state not built")
        self.c = Cluster(agents=0, master_flags=["--logging_level=DEBUG"])
        ready = os.path.join(self.c.dir, "emulator.ready")
        self.emu = Proc("emulator", [
            self.EMULATOR, "agents", "--master=127.0.0.1:%d" %
            self.c.master_port, "--first=0", "--count=200", "--tasks=50",
            "--frameworks=4", "--ready_file=" + ready], self.c.dir)
        self.c.procs.append(self.emu)
        wait_for(lambda: os.path.exists(ready), 60, "emulated agents")

    def tearDown(self):
        self.c.close()

    def fetch(self, i, out):
        try:
            if i % 2:
                out[i] = http_json("POST", "127.0.0.1", self.c.master_port,
                                   "/api/v1", {"type": "GET_STATE"},
                                   {"Accept": "application/json"}, timeout=60)
            else:
                out[i] = self.c.get("/master/state")
        except OSError as e:
            out[i] = e

    def test_concurrent_documents_are_whole(self):
        out = {}
        threads = [threading.Thread(target=self.fetch, args=(i, out))
                   for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        bodies = {0: set(), 1: set()}
        for i, (st, _, body) in out.items():
            self.assertEqual(st, 200)
            bodies[i % 2].add(body)
        # Nothing changes meanwhile: every copy is the same document.
        self.assertEqual(len(bodies[0]), 1)
        self.assertEqual(len(bodies[1]), 1)
        state = json.loads(bodies[0].pop())
        self.assertEqual(len(state["slaves"]), 200)
        self.assertEqual(sum(len(f["tasks"]) for f in state["frameworks"]),
                         10000)
        v1 = json.loads(bodies[1].pop())["get_state"]
        self.assertEqual(len(v1["get_tasks"]["tasks"]), 10000)
        self.assertEqual(len(v1["get_agents"]["agents"]), 200)
        # They were written over several loop turns.
        slices = [int(n) for n in re.findall(
            r"state document .* in (\d+) slice", self.c.master.output())]
        self.assertTrue(slices and max(slices) > 1, slices)

    def test_shutdown_in_the_middle(self):
        out = {}
        t = threading.Thread(target=self.fetch, args=(0, out))
        t.start()
        wait_for(lambda: "GET /master/state" in self.c.master.output(), 10,
                 "the request to arrive")
        self.assertEqual(self.c.master.stop(), 0)
        t.join()
        r = out[0]
        if not isinstance(r, Exception):
            st, _, body = r
            self.assertIn(st, (200, 503))
            if st == 200:
                self.assertEqual(len(json.loads(body)["slaves"]), 200)


class Standby(unittest.TestCase):
    def test_standby_redirects_classic_endpoints(self):
        from hacluster import HACluster
        c = HACluster(masters=2)
        try:
            leader = c.leader()
            standby = [p for p in c.masters if p is not leader][0]
            for path in ("/master/frameworks?framework_id=x", "/slaves",
                         "/master/tasks?limit=3", "/roles"):
                st, h, _ = http_json("GET", "127.0.0.1", standby.port, path,
                                     timeout=5)
                self.assertEqual(st, 307, path)
                self.assertEqual(h["location"], "//127.0.0.1:%d%s"
                                 % (leader.port, path))
            st, h, _ = http_json("POST", "127.0.0.1", standby.port,
                                 "/master/teardown", b"frameworkId=x",
                                 timeout=5)
            self.assertEqual(st, 307)
            # Any master serves /state: it names the leader.
            st, _, body = http_json("GET", "127.0.0.1", standby.port,
                                    "/master/state", timeout=5)
            self.assertEqual(st, 200)
            self.assertEqual(json.loads(body)["leader_info"]["port"],
                             leader.port)
        finally:
            c.close()


if __name__ == "__main__":
    run()
