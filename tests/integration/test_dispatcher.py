# SPDX-License-Identifier: Apache-2.0
"""corral-dispatcher (Spark's cluster-mode REST protocol v1) against a
real master and agent: a driver runs as a task and finishes, a supervised
failing driver is relaunched as <id>-retry-1, kills of queued and running
drivers, validation 400s, unknown ids, 405/468 and a body-less POST; plus
`corral submit` (create, --status, --kill, --wait). Also: the REST port
answers "not ready" while no master is reachable."""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import unittest

from harness import (BIN, MULT, SANITIZER_MARKS, Cluster, Proc, http_json,
                     read_port, run, wait_for)

CORRAL = os.path.join(BIN, "corral")


def start_dispatcher(workdir, master, extra=()):
    ready = os.path.join(workdir, "dispatcher.port")
    if os.path.exists(ready):
        os.unlink(ready)
    argv = [os.path.join(BIN, "corral-dispatcher"), "-h", "127.0.0.1",
            "-p", "0", "--webui-port", "0", "--ready-file", ready,
            "--master", master,
            "--name", "it-dispatcher"] + list(extra)
    p = Proc("dispatcher", argv, workdir, env={"SPARK_HOME": None})
    p.port = read_port(ready, p)
    return p


def create_body(args, name="it", props=None, resource="/bin/sh"):
    sp = {"spark.app.name": name, "spark.master": "mesos://x:7077",
          "spark.submit.deployMode": "cluster",
          "spark.driver.memory": "16m", "spark.driver.cores": "0.1",
          "spark.driver.supervise": "false"}
    sp.update(props or {})
    return {"action": "CreateSubmissionRequest", "appResource": resource,
            "mainClass": "", "appArgs": args, "clientSparkVersion": "3.5.1",
            "sparkProperties": sp, "environmentVariables": {}}


class DispatcherTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster(agents=1,
                              resources="cpus:2;mem:2048;disk:1024")
        try:
            cls.disp = start_dispatcher(
                cls.cluster.dir, "mesos://127.0.0.1:%d"
                % cls.cluster.master_port,
                ["--conf", "spark.mesos.cluster.retry.wait.max=2"])
            cls.cluster.procs.append(cls.disp)
            wait_for(lambda: any(f["name"] == "it-dispatcher" for f in
                                 cls.cluster.state()["frameworks"]), 15,
                     "the dispatcher to register")
        except BaseException:
            cls.cluster.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.cluster.close()

    # -- helpers ----------------------------------------------------------
    def req(self, method, path, body=None):
        st, h, out = http_json(method, "127.0.0.1", self.disp.port, path,
                               body)
        return st, h, out

    def create(self, args, **kw):
        st, _, out = self.req("POST", "/v1/submissions/create",
                              create_body(args, **kw))
        self.assertEqual(st, 200, out)
        r = json.loads(out)
        self.assertTrue(r["success"], r)
        return r["submissionId"]

    def status(self, sid):
        st, _, out = self.req("GET", "/v1/submissions/status/" + sid)
        self.assertEqual(st, 200, out)
        return json.loads(out)

    def wait_state(self, sid, state, secs=30):
        return wait_for(lambda: (lambda r: r if r.get("driverState") == state
                                 else None)(self.status(sid)), secs,
                        "%s to be %s" % (sid, state))

    def corral(self, *args, secs=60):
        r = subprocess.run([CORRAL, "submit", "--master",
                            "mesos://127.0.0.1:%d" % self.disp.port]
                           + list(args), capture_output=True, text=True,
                           stdin=subprocess.DEVNULL, timeout=secs * MULT)
        bad = [m for m in SANITIZER_MARKS if m in r.stderr]
        self.assertFalse(bad, r.stderr)
        return r

    # -- tests ------------------------------------------------------------
    def test_driver_runs_and_finishes(self):
        sid = self.create(["-c", "echo hello from the driver"])
        self.assertRegex(sid, r"^driver-\d{14}-\d{4,}$")
        r = self.wait_state(sid, "FINISHED")
        self.assertTrue(r["success"])
        self.assertEqual(r["serverSparkVersion"], "3.5.1")
        self.assertEqual(r["mesosTaskState"], "TASK_FINISHED")
        self.assertIn("state: TASK_FINISHED", r["message"])
        tasks = [t for f in self.cluster.state()["completed_frameworks"] +
                 self.cluster.state()["frameworks"]
                 for t in f.get("completed_tasks", []) if t["id"] == sid]
        self.assertTrue(tasks, "the driver ran as task " + sid)

    def test_supervised_failure_is_relaunched(self):
        sid = self.create(["-c", "exit 3"],
                          props={"spark.driver.supervise": "true"})
        r = wait_for(lambda: (lambda s: s if s.get("mesosTaskId") ==
                              sid + "-retry-1" else None)(self.status(sid)),
                     30, "relaunch as -retry-1")
        self.assertIn(r["driverState"], ("RUNNING", "RETRYING"))
        st, _, out = self.req("POST", "/v1/submissions/kill/" + sid)
        r = json.loads(out)
        self.assertTrue(r["success"], r)
        wait_for(lambda: self.status(sid)["driverState"]
                 in ("FINISHED", "NOT_FOUND"), 30, "the kill")

    def test_kill_queued_and_running(self):
        big = self.create(["-c", "true"],
                          props={"spark.driver.cores": "100"})
        self.assertEqual(self.status(big)["driverState"], "QUEUED")
        _, _, out = self.req("POST", "/v1/submissions/kill/" + big)
        r = json.loads(out)
        self.assertEqual(r["message"], "Removed driver while it's still "
                         "pending")
        self.assertTrue(r["success"])
        r = self.status(big)
        self.assertEqual((r["driverState"], r["success"]),
                         ("NOT_FOUND", False))

        sid = self.create(["-c", "sleep 60"],
                          props={"spark.driver.supervise": "true"})
        self.wait_state(sid, "RUNNING")
        wait_for(lambda: self.status(sid).get("mesosTaskState") ==
                 "TASK_RUNNING", 20, "TASK_RUNNING")
        _, _, out = self.req("POST", "/v1/submissions/kill/" + sid)
        r = json.loads(out)
        self.assertEqual((r["success"], r["message"]),
                         (True, "Killing running driver"))
        r = self.wait_state(sid, "FINISHED")
        self.assertEqual(r["mesosTaskState"], "TASK_KILLED")
        self.assertNotIn("retries", r)  # supervised, but killed: no relaunch
        _, _, out = self.req("POST", "/v1/submissions/kill/" + sid)
        r = json.loads(out)
        self.assertEqual((r["success"], r["message"]),
                         (False, "Driver already terminated"))

    def test_validation(self):
        cases = [
            ({"action": "CreateSubmissionRequest"}, "clientSparkVersion"),
            (dict(create_body([]), sparkProperties={}), "spark.app.name"),
            (dict(create_body([], props={"spark.driver.memory": "1.5g"})),
             "spark.driver.memory"),
            (dict(create_body([], props={"spark.driver.supervise": "yes"})),
             "spark.driver.supervise"),
            (dict(create_body([], props={"spark.driver.cores": "x"})),
             "spark.driver.cores"),
            ({k: v for k, v in create_body([]).items() if k != "mainClass"},
             "Main class 'mainClass' is missing."),
        ]
        for body, needle in cases:
            st, h, out = self.req("POST", "/v1/submissions/create", body)
            self.assertEqual(st, 400, out)
            self.assertTrue(h["content-type"].startswith("application/json"))
            r = json.loads(out)
            self.assertEqual(r["action"], "ErrorResponse")
            self.assertIn(needle, r["message"])
        st, _, out = self.req("POST", "/v1/submissions/create")  # no body
        self.assertEqual(st, 400)
        self.assertIn("no body", json.loads(out)["message"])
        st, _, out = self.req("POST", "/v1/submissions/create", b"{nope")
        self.assertEqual(st, 400)
        self.assertTrue(json.loads(out)["message"].startswith(
            "Malformed request: "))
        body = dict(create_body(["-c", "true"]), extraField=1)
        st, _, out = self.req("POST", "/v1/submissions/create", body)
        r = json.loads(out)
        self.assertEqual(r["unknownFields"], ["extraField"])

    def test_paths_methods_and_unknown_ids(self):
        r = self.status("driver-20000101000000-9999")
        self.assertEqual((r["success"], r["driverState"]),
                         (False, "NOT_FOUND"))
        _, _, out = self.req("POST", "/v1/submissions/kill/nope")
        r = json.loads(out)
        self.assertEqual((r["success"], r["message"], r["submissionId"]),
                         (False, "Cannot find driver", "nope"))
        for m, p in (("GET", "/v1/submissions/create"),
                     ("POST", "/v1/submissions/status/x"),
                     ("GET", "/v1/submissions/kill/x")):
            self.assertEqual(self.req(m, p)[0], 405, (m, p))
        st, _, out = self.req("GET", "/v2/submissions/status/x")
        self.assertEqual(st, 468)
        self.assertEqual(json.loads(out)["highestProtocolVersion"], "v1")
        for p, msg in (("/", "Missing protocol version."),
                       ("/v1", "Missing the /submissions prefix."),
                       ("/v1/submissions/foo", "Missing an action"),
                       ("/v1/submissions/status/",
                        "Submission ID is missing in status request.")):
            st, _, out = self.req("GET", p)
            self.assertEqual(st, 400, p)
            self.assertTrue(json.loads(out)["message"].startswith(msg), p)

    def test_post_without_body_or_length(self):
        s = socket.create_connection(("127.0.0.1", self.disp.port),
                                     timeout=10 * MULT)
        s.sendall(b"POST /v1/submissions/kill/driver-x HTTP/1.1\r\n"
                  b"Host: x\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        head, _, body = data.partition(b"\r\n\r\n")
        self.assertIn(b" 200 ", head.split(b"\r\n")[0])
        self.assertEqual(json.loads(body)["message"], "Cannot find driver")

    def test_retained_drivers_from_properties_file(self):
        props = os.path.join(self.cluster.dir, "spark-defaults.conf")
        with open(props, "w") as f:
            f.write("# dispatcher defaults\nspark.mesos.retainedDrivers 2\n"
                    "other.key ignored\n")
        wd = tempfile.mkdtemp(prefix="disp2-", dir=self.cluster.dir)
        d2 = start_dispatcher(wd, "mesos://127.0.0.1:%d"
                              % self.cluster.master_port,
                              ["--properties-file", props, "--name", "d2"])
        self.cluster.procs.append(d2)
        wait_for(lambda: json.loads(http_json(
            "POST", "127.0.0.1", d2.port, "/v1/submissions/kill/x")[2]
        )["message"] == "Cannot find driver", 15, "d2 to subscribe")

        def create():
            st, _, out = http_json("POST", "127.0.0.1", d2.port,
                                   "/v1/submissions/create",
                                   create_body(["-c", "true"]))
            return json.loads(out)["submissionId"]

        def state(sid):
            return json.loads(http_json("GET", "127.0.0.1", d2.port,
                                        "/v1/submissions/status/" + sid)[2]
                              )["driverState"]
        # The first finishes before the others start: eviction goes by
        # finish order.
        ids = [create()]
        wait_for(lambda: state(ids[0]) == "FINISHED", 30, "first driver")
        ids += [create(), create()]
        wait_for(lambda: state(ids[1]) == state(ids[2]) == "FINISHED", 30,
                 "drivers to finish")
        self.assertEqual(state(ids[0]), "NOT_FOUND")
        self.assertEqual(d2.stop(), 0)

    def test_cli_submit(self):
        r = self.corral("--deploy-mode", "cluster", "--name", "cli app",
                        "--driver-cores", "0.1", "--driver-memory", "16m",
                        "--conf", "spark.foo=bar", "--wait", "/bin/sh", "-c",
                        "exit 0")
        self.assertEqual(r.returncode, 0, r.stderr)
        sid = r.stdout.strip()
        self.assertRegex(sid, r"^driver-\d{14}-\d{4,}$")
        r = self.corral("--status", sid)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["driverState"], "FINISHED")
        r = self.corral("--driver-cores", "0.1", "--driver-memory", "16m",
                        "--wait", "/bin/sh", "-c", "exit 1")
        self.assertEqual(r.returncode, 1, r.stderr)
        r = self.corral("--driver-cores", "100", "/bin/true")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.corral("--kill", r.stdout.strip())
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["message"],
                         "Removed driver while it's still pending")


class NotReadyTest(unittest.TestCase):
    def test_port_open_without_master(self):
        d = tempfile.mkdtemp(prefix="corral-it-disp-")
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
        s.close()
        p = start_dispatcher(d, "mesos://127.0.0.1:%d" % dead)
        try:
            st, _, out = http_json("POST", "127.0.0.1", p.port,
                                   "/v1/submissions/create",
                                   create_body(["-c", "true"]))
            self.assertEqual(st, 200)
            r = json.loads(out)
            self.assertEqual((r["success"], r["message"]),
                             (False, "Scheduler is not ready to take "
                              "requests"))
            st, _, out = http_json("GET", "127.0.0.1", p.port,
                                   "/v1/submissions/status/x")
            r = json.loads(out)
            self.assertEqual((st, r["success"], r["submissionId"]),
                             (200, False, "x"))
        finally:
            self.assertEqual(p.stop(), 0)
            out = p.output()
            shutil.rmtree(d, ignore_errors=True)
            self.assertFalse([m for m in SANITIZER_MARKS if m in out], out)


if __name__ == "__main__":
    run()
