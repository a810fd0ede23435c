# SPDX-License-Identifier: Apache-2.0
"""corral-dispatcher's web UI (--webui-port) against a real master and
agent: the ready file's two ports; GET /api/state and /api/driver through
a real submission's life (queued -> launched -> finished), with the
driver's bounded state history; GET /api/driver/log returning the
driver's stdout through the master's /files proxy; 400/404/405 answers;
the embedded pages (ETag, 304); the framework's webui_url. Then headless
Chromium (playwright-core, tests/webui/dispatcher.js, as test_webui.py
does): the drivers page lists a submitted driver and its page follows its
stdout until it finishes. Missing Chromium/Node is a failure, not a skip
(scripts/install-deps.sh --webui)."""
import json
import os
import shutil
import subprocess
import unittest
import urllib.parse

import test_dispatcher as td
from hacluster import ZooKeeper
from harness import MULT, Cluster, Proc, http_json, run, wait_for
from test_webui import CHROMIUM, TIMEOUT, Node, check_tools, sandbox_dir

HERE = os.path.dirname(os.path.abspath(__file__))
WEBUI_TEST = os.path.join(HERE, "..", "webui")
FIRST = "hello from the dispatcher ui"
SECOND = "and a second line, followed live"


def start_dispatcher(workdir, master, extra=(), name="dispatcher"):
    """A dispatcher on free ports; (proc, rest port, ui port)."""
    ready = os.path.join(workdir, name + ".ready")
    argv = [os.path.join(td.BIN, "corral-dispatcher"), "-h", "127.0.0.1",
            "-p", "0", "--webui-port", "0", "--ready-file", ready,
            "--master", master, "--name", "ui-dispatcher"] + list(extra)
    p = Proc(name, argv, workdir, env={"SPARK_HOME": None})

    def ports():
        if not p.alive():
            raise AssertionError("dispatcher exited:\n" + p.output())
        try:
            with open(ready) as f:
                lines = f.read().split("\n")
            return int(lines[0]), int(lines[1])
        except (OSError, ValueError, IndexError):
            return None
    rest, ui = wait_for(ports, 15, "the dispatcher's ports")
    return p, rest, ui


def waiting_script():
    """Prints FIRST, waits (bounded) for a file "go" in its sandbox, then
    prints SECOND."""
    return ("echo '%s'; i=0; while [ ! -e go ] && [ $i -lt %d ]; do "
            "sleep 0.1; i=$((i+1)); done; echo '%s'"
            % (FIRST, int(40 * TIMEOUT), SECOND))


class DispatcherUI(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster(agents=1, resources="cpus:2;mem:2048;disk:1024")
        try:
            cls.disp, cls.rest, cls.ui = start_dispatcher(
                cls.cluster.dir, "mesos://127.0.0.1:%d"
                % cls.cluster.master_port)
            cls.cluster.procs.append(cls.disp)
            wait_for(lambda: any(f["name"] == "ui-dispatcher" for f in
                                 cls.cluster.state()["frameworks"]), 15,
                     "the dispatcher to register")
        except BaseException:
            cls.cluster.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.cluster.close()

    # -- helpers ----------------------------------------------------------
    def get(self, path, method="GET"):
        return http_json(method, "127.0.0.1", self.ui, path)

    def api(self, path, status=200):
        st, h, body = self.get(path)
        self.assertEqual(st, status, body)
        self.assertEqual(h.get("content-type"), "application/json")
        self.assertEqual(h.get("cache-control"), "no-store")
        return json.loads(body)

    def state(self):
        return self.api("/api/state")

    def submit(self, args, props=None):
        st, _, out = http_json("POST", "127.0.0.1", self.rest,
                               "/v1/submissions/create",
                               td.create_body(args, name="ui-app",
                                              props=props))
        self.assertEqual(st, 200, out)
        r = json.loads(out)
        self.assertTrue(r["success"], r)
        return r["submissionId"]

    def listed(self, sid, lst):
        return next((d for d in self.state()[lst] if d["id"] == sid), None)

    def log(self, sid, file="stdout", offset=0, status=200):
        return self.api("/api/driver/log?id=%s&file=%s&offset=%d"
                        % (sid, file, offset), status)

    def ready(self):
        wait_for(lambda: self.state()["dispatcher"]["ready"], 15,
                 "the dispatcher to be ready")

    # -- tests ------------------------------------------------------------
    def test_ready_file_and_webui_url(self):
        st, _, _ = http_json("GET", "127.0.0.1", self.rest,
                             "/v1/submissions/status/x")
        self.assertEqual(st, 200)  # the first line is the REST port
        self.ready()
        d = self.state()["dispatcher"]
        url = "http://127.0.0.1:%d" % self.ui
        self.assertEqual(d["webuiUrl"], url)
        fw = [f for f in self.cluster.state()["frameworks"]
              if f["name"] == "ui-dispatcher"][0]
        self.assertEqual(fw["webui_url"], url)
        self.assertEqual(d["frameworkId"], fw["id"])
        self.assertEqual((d["role"], d["highAvailability"]),
                         ("leader", False))
        self.assertEqual(d["leader"], {"address": "127.0.0.1:%d" % self.rest,
                                       "webuiUrl": url})
        self.assertEqual(d["restAddress"], "127.0.0.1:%d" % self.rest)
        master = "127.0.0.1:%d" % self.cluster.master_port
        self.assertEqual((d["master"], d["masterLeader"], d["masterUrl"]),
                         (master, master, "http://" + master))
        self.assertEqual(d["schedulerState"], "SUBSCRIBED")
        self.assertIsNone(d["zookeeper"])
        self.assertEqual(d["queues"], [{"name": "default", "priority": 0.0}])
        for k in ("queued", "launched", "retrying", "finished"):
            self.assertIn(k, d["counts"])

    def test_lifecycle_history_and_log(self):
        self.ready()
        # Queued: a driver no offer can fit.
        big = self.submit(["-c", "true"], {"spark.driver.cores": "100"})
        q = wait_for(lambda: self.listed(big, "queued"), 10, "queued")
        self.assertEqual((q["state"], q["driverState"]), ("QUEUED", "QUEUED"))
        self.assertEqual((q["cores"], q["queue"], q["name"]),
                         (100.0, "default", "ui-app"))
        self.assertIsNone(q["taskId"])
        self.assertIsNone(q["lastStatus"])
        self.assertEqual([h["state"] for h in q["history"]], ["QUEUED"])
        self.assertEqual(q["history"][0]["message"],
                         "submitted to queue default")
        self.assertEqual(self.log(big, status=404)["message"],
                         "Driver %s has not been launched" % big)
        http_json("POST", "127.0.0.1", self.rest, "/v1/submissions/kill/"
                  + big)
        wait_for(lambda: not self.listed(big, "queued"), 10, "the kill")

        # Launched, then finished: its stdout through the dispatcher.
        sid = self.submit(["-c", waiting_script()],
                          {"spark.my.secret": "hunter2"})
        d = wait_for(lambda: (lambda x: x if x and x["lastStatus"] and
                              x["lastStatus"]["state"] == "TASK_RUNNING"
                              else None)(self.listed(sid, "launched")), 30,
                     "the driver to run")
        self.assertEqual((d["state"], d["driverState"], d["taskId"]),
                         ("LAUNCHED", "RUNNING", sid))
        agent = self.cluster.state()["slaves"][0]
        self.assertEqual(d["agentId"], agent["id"])
        self.assertEqual(d["agentHost"], agent["hostname"])
        states = [(h["state"], h.get("taskState")) for h in d["history"]]
        self.assertEqual(states[:2], [("QUEUED", None), ("LAUNCHED", None)])
        self.assertIn(("LAUNCHED", "TASK_RUNNING"), states)
        out = wait_for(lambda: (lambda r: r if r["data"] == FIRST + "\n"
                                else None)(self.log(sid)), 20,
                       "the first line through the log proxy")
        self.assertEqual((out["id"], out["taskId"], out["file"],
                          out["offset"]), (sid, sid, "stdout", 0))
        size = self.log(sid, offset=-1)
        self.assertEqual((size["data"], size["offset"]),
                         ("", len(FIRST) + 1))
        self.assertEqual(self.log(sid, offset=len(FIRST) + 1)["data"], "")
        self.assertEqual(self.log(sid, "stderr")["file"], "stderr")

        one = self.api("/api/driver?id=" + sid)
        fw = self.state()["dispatcher"]["frameworkId"]
        self.assertEqual(one["frameworkId"], fw)
        self.assertEqual(one["sparkProperties"]["spark.my.secret"],
                         "*********(redacted)")
        self.assertEqual(one["appArgs"], ["-c", waiting_script()])
        sb = one["sandbox"]
        self.assertEqual(sb["path"], "/frameworks/%s/executors/%s/runs/latest"
                         % (fw, sid))
        master = "http://127.0.0.1:%d" % self.cluster.master_port
        self.assertEqual(sb["masterUrl"], master)
        self.assertEqual(sb["agentUrl"], master + "/#/agents/" + agent["id"])
        # The master's own link serves the same file.
        u = urllib.parse.urlsplit(sb["stdoutUrl"])
        st, _, body = self.cluster.get(u.path + "?" + u.query)
        self.assertEqual(st, 200, body)
        self.assertEqual(json.loads(body)["data"], FIRST + "\n")
        u = urllib.parse.urlsplit(sb["stdoutDownloadUrl"])
        st, _, body = self.cluster.get(u.path + "?" + u.query)
        self.assertEqual((st, body), (200, (FIRST + "\n").encode()))
        st, _, body = self.get("/api/driver?id=" + sid)
        self.assertNotIn(b"hunter2", body)

        sandbox = wait_for(lambda: sandbox_dir(self.cluster.dir, sid), 10,
                           "the driver's sandbox")
        open(os.path.join(sandbox, "go"), "w").close()
        f = wait_for(lambda: self.listed(sid, "finished"), 30, "finished")
        self.assertEqual((f["state"], f["driverState"]),
                         ("FINISHED", "FINISHED"))
        self.assertEqual(f["lastStatus"]["state"], "TASK_FINISHED")
        self.assertGreaterEqual(f["finished"], f["submitted"])
        self.assertEqual((f["history"][-1]["state"],
                          f["history"][-1]["taskState"]),
                         ("FINISHED", "TASK_FINISHED"))
        times = [h["time"] for h in f["history"]]
        self.assertEqual(times, sorted(times))
        self.assertEqual(self.log(sid)["data"], FIRST + "\n" + SECOND + "\n")
        self.assertEqual(self.state()["finished"][0]["id"], sid)  # newest
        lean = self.api("/api/state?history=0")
        self.assertNotIn("history", lean["finished"][0])

    def test_errors(self):
        unknown = "driver-20200101000000-9999"
        self.assertEqual(self.api("/api/driver?id=" + unknown, 404),
                         {"message": "Cannot find driver " + unknown})
        self.assertIn("Missing the 'id'", self.api("/api/driver", 400)
                      ["message"])
        self.api("/api/driver?id=../etc", 400)
        self.api("/api/driver/log?id=" + unknown, 404)
        self.api("/api/driver/log?id=%s&file=passwd" % unknown, 400)
        self.api("/api/driver/log?id=%s&offset=-2" % unknown, 400)
        self.api("/api/driver/log?id=%s&length=x" % unknown, 400)
        self.api("/api/nope", 404)
        st, h, _ = self.get("/api/state", "POST")
        self.assertEqual((st, h.get("allow")), (405, "GET, HEAD"))
        st, _, _ = self.get("/static/../webui.c")
        self.assertEqual(st, 404)
        st, _, _ = self.get("/static/nope.js")
        self.assertEqual(st, 404)

    def test_pages(self):
        for path, marker in (("/", b'data-page="drivers"'),
                             ("/driver?id=x", b'data-page="driver"'),
                             ("/static/app.js", b"'use strict'"),
                             ("/static/app.css", b":root")):
            st, h, body = self.get(path)
            self.assertEqual(st, 200, path)
            self.assertIn(marker, body, path)
            self.assertEqual(h["cache-control"], "no-cache")
            self.assertIn("default-src 'self'",
                          h["content-security-policy"])
            st, _, body = http_json("GET", "127.0.0.1", self.ui, path,
                                    headers={"If-None-Match": h["etag"]})
            self.assertEqual((st, body), (304, b""), path)
        st, h, _ = self.get("/")
        self.assertEqual(h["content-type"], "text/html; charset=utf-8")


def ui_json(port, path):
    st, _, body = http_json("GET", "127.0.0.1", port, path)
    return st, json.loads(body)


class StandbyUI(unittest.TestCase):
    """Two dispatchers with --zk: the standby's UI names the leader and its
    UI; after the leader dies, the new leader lists its drivers with a
    "recovered" history entry."""

    def setUp(self):
        self.c = Cluster(agents=1, resources="cpus:2;mem:2048;disk:1024")
        try:
            self.zk = ZooKeeper(self.c.dir)
        except BaseException:
            self.c.close()
            raise

    def tearDown(self):
        self.zk.stop()
        self.c.close()

    def start(self, name):
        zk = ["--zk", self.zk.connect + "/ui", "--conf",
              "spark.corral.dispatcher.zk.sessionTimeout=2s"]
        p, rest, ui = start_dispatcher(
            self.c.dir, "mesos://127.0.0.1:%d" % self.c.master_port, zk, name)
        self.c.procs.append(p)
        return p, rest, ui

    def test_standby_names_leader_then_takes_over(self):
        p1, rest1, ui1 = self.start("d1")
        wait_for(lambda: ui_json(ui1, "/api/state")[1]["dispatcher"]["ready"],
                 30, "d1 to lead")
        d = ui_json(ui1, "/api/state")[1]["dispatcher"]
        self.assertEqual((d["role"], d["highAvailability"]), ("leader", True))
        self.assertIn("/ui/spark_mesos_dispatcher", d["zookeeper"])
        _, _, out = http_json("POST", "127.0.0.1", rest1,
                              "/v1/submissions/create",
                              td.create_body(["-c", "true"], name="ha-ui"))
        sid = json.loads(out)["submissionId"]
        wait_for(lambda: ui_json(ui1, "/api/state")[1]["finished"], 30,
                 "the driver to finish")

        p2, rest2, ui2 = self.start("d2")
        leader = {"address": "127.0.0.1:%d" % rest1,
                  "webuiUrl": "http://127.0.0.1:%d" % ui1}
        s = wait_for(lambda: (lambda x: x if x["dispatcher"]["leader"]
                              else None)(ui_json(ui2, "/api/state")[1]), 30,
                     "d2 to know the leader")
        self.assertEqual(s["dispatcher"]["role"], "standby")
        self.assertEqual(s["dispatcher"]["leader"], leader)
        self.assertFalse(s["dispatcher"]["ready"])
        self.assertEqual(s["finished"], [])
        st, r = ui_json(ui2, "/api/driver?id=" + sid)
        self.assertEqual((st, r["leader"]), (503, leader))
        st, r = ui_json(ui2, "/api/driver/log?id=" + sid)
        self.assertEqual(st, 503)
        self.assertIn("standby", r["message"])

        p1.kill9()
        s = wait_for(lambda: (lambda x: x if x["dispatcher"]["ready"]
                              else None)(ui_json(ui2, "/api/state")[1]), 60,
                     "d2 to take over")
        self.assertEqual(s["dispatcher"]["leader"],
                         {"address": "127.0.0.1:%d" % rest2,
                          "webuiUrl": "http://127.0.0.1:%d" % ui2})
        f = s["finished"][0]
        self.assertEqual(f["id"], sid)
        self.assertEqual(f["history"][-1]["message"],
                         "recovered from ZooKeeper")
        self.assertEqual(f["lastStatus"]["state"], "TASK_FINISHED")


class DispatcherBrowser(unittest.TestCase):
    """The pages in headless Chromium."""

    def setUp(self):
        check_tools(self)
        self.c = Cluster(agents=1, resources="cpus:2;mem:2048;disk:1024")
        self.node = None
        self.disp, self.rest, self.ui = start_dispatcher(
            self.c.dir, "mesos://127.0.0.1:%d" % self.c.master_port)
        self.c.procs.append(self.disp)

    def tearDown(self):
        if self.node:
            self.node.kill()
        self.c.close()

    def npm_ci(self, work):
        os.makedirs(work)
        for f in ("package.json", "package-lock.json", "dispatcher.js",
                  "lib.js"):
            shutil.copy(os.path.join(WEBUI_TEST, f), work)
        r = subprocess.run(["npm", "ci", "--no-audit", "--no-fund",
                            "--prefer-offline"], cwd=work,
                           capture_output=True, text=True,
                           timeout=300 * MULT)
        self.assertEqual(r.returncode, 0, "npm ci failed:\n" + r.stderr)

    def test_drivers_page_and_driver_log(self):
        self.assertTrue(os.access(CHROMIUM, os.X_OK))
        work = os.path.join(self.c.dir, "webui")
        self.npm_ci(work)
        wait_for(lambda: json.loads(http_json(
            "GET", "127.0.0.1", self.ui, "/api/state")[2])
            ["dispatcher"]["ready"], 15, "the dispatcher to be ready")
        st, _, out = http_json("POST", "127.0.0.1", self.rest,
                               "/v1/submissions/create",
                               td.create_body(["-c", waiting_script()],
                                              name="ui-browser"))
        sid = json.loads(out)["submissionId"]
        shot = os.environ.get("CR_WEBUI_SHOT") or os.path.join(
            self.c.dir, "webui-dispatcher.png")
        self.node = Node(work, [
            "dispatcher.js", "http://127.0.0.1:%d/" % self.ui, sid, FIRST,
            SECOND, shot, os.path.join(work, "profile"), str(int(TIMEOUT))])
        self.node.expect(self, "LISTED")
        self.node.expect(self, "FOLLOWING")
        sandbox = wait_for(lambda: sandbox_dir(self.c.dir, sid), 10,
                           "the driver's sandbox")
        open(os.path.join(sandbox, "go"), "w").close()
        out, err = self.node.finish()
        self.assertEqual(self.node.p.returncode, 0,
                         "browser check failed: %s\n%s" % (out, err[-4000:]))
        self.assertIn("OK", out)
        self.assertTrue(os.path.getsize(shot) > 0)


if __name__ == "__main__":
    run()
