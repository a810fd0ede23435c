# SPDX-License-Identifier: Apache-2.0
"""The daemons' classic HTTP surface and their command lines: the agent's
/state, /files/* and /health; the master's /version, /flags, /state(.json),
JSONP, /redirect and 404s; master and agent flags (--help, bad values,
environment variables, --attributes reaching the master)."""
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import unittest
import urllib.parse

from harness import (BIN, MULT, Cluster, Proc, Scheduler, command_task,
                     http_json, read_port, run, wait_for)

MASTER = os.path.join(BIN, "corral-master")
AGENT = os.path.join(BIN, "corral-agent")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def q(path):
    return urllib.parse.quote(path, safe="/")


class AgentEndpoints(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster(agents=1)
        try:
            cls.s = Scheduler(cls.c.master_port, name="endpoints")
            offer = cls.s.offers()[0]
            cmd = "printf 'hello sandbox\\n'; echo to-err >&2; " \
                  "ln -s /etc escape; ln -s .. up"
            cls.s.launch(offer, [command_task(offer, "t-files", cmd)])
            final, _ = cls.s.wait_terminal("t-files")
            assert final["state"] == "TASK_FINISHED", final
            cls.fw = cls.s.framework_id
            cls.agent_id = offer["agent_id"]["value"]
            cls.port = cls.c.agents[0].port
            cls.vdir = "/frameworks/%s/executors/t-files/runs/latest" % cls.fw
        except BaseException:
            cls.c.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.s.call({"type": "TEARDOWN"})
        cls.s.close()
        cls.c.close()

    def get(self, path):
        return self.c.get(path, self.port)

    def test_health(self):
        st, _, body = self.get("/health")
        self.assertEqual(st, 200)
        self.assertEqual(body, b"")
        self.assertEqual(self.get("/slave(1)/health")[0], 200)
        self.assertEqual(self.get("/no/such/endpoint")[0], 404)

    def test_state_shape(self):
        # Once its executor is gone and every update acknowledged, nothing
        # of the framework is left running: the agent moves it to
        # completed_frameworks (upstream removes idle frameworks).
        def finished():
            st = json.loads(self.get("/state")[2])
            done = [f for f in st["completed_frameworks"]
                    if f["id"] == self.fw]
            return st if done else None
        st = wait_for(finished, 10, "the framework among completed ones")
        self.assertNotIn(self.fw, [f["id"] for f in st["frameworks"]])
        self.assertEqual(st["id"], self.agent_id)
        self.assertEqual(st["pid"], "slave(1)@127.0.0.1:%d" % self.port)
        self.assertEqual(st["resources"]["cpus"], 4.0)
        self.assertEqual(st["resources"]["mem"], 4096.0)
        self.assertEqual(st["resources"]["ports"], "[31000-32000]")
        self.assertEqual(st["flags"]["work_dir"],
                         os.path.join(self.c.dir, "agent0"))
        fw = [f for f in st["completed_frameworks"] if f["id"] == self.fw][0]
        self.assertEqual(fw["name"], "endpoints")
        self.assertEqual(fw["executors"], [])
        ex = fw["completed_executors"][0]
        self.assertEqual(ex["id"], "t-files")
        self.assertTrue(os.path.isdir(ex["directory"]))
        self.assertIsInstance(ex["tasks"], list)
        task = ex["completed_tasks"][0]
        self.assertEqual(task["id"], "t-files")
        self.assertEqual(task["state"], "TASK_FINISHED")
        self.assertEqual(task["framework_id"], self.fw)
        self.assertEqual(task["slave_id"], self.agent_id)
        # Flat v0 resources, not a v1 Resource array.
        self.assertAlmostEqual(task["resources"]["cpus"], 0.1)
        self.assertEqual(task["resources"]["mem"], 32.0)
        self.assertEqual([s["state"] for s in task["statuses"]],
                         ["TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"])
        st2, h, body = self.get("/slave(1)/state?jsonp=cb")
        self.assertEqual(st2, 200)
        self.assertEqual(h["content-type"], "text/javascript")
        self.assertTrue(body.startswith(b"cb({") and body.endswith(b"});"))

    def test_files_browse_and_read_through_virtual_path(self):
        st, _, body = self.get("/files/browse?path=" + q(self.vdir))
        self.assertEqual(st, 200)
        entries = {e["path"]: e for e in json.loads(body)}
        out = self.vdir + "/stdout"
        self.assertIn(out, entries)
        self.assertIn(self.vdir + "/stderr", entries)
        self.assertEqual(entries[out]["size"], len("hello sandbox\n"))
        self.assertEqual(entries[out]["mode"], "-rw-r--r--")
        self.assertEqual(sorted(entries), list(entries))  # sorted by path

        st, _, body = self.get("/files/read?path=%s&offset=-1" % q(out))
        self.assertEqual(st, 200)
        self.assertEqual(json.loads(body),
                         {"data": "", "offset": len("hello sandbox\n")})
        st, _, body = self.get("/files/read?path=%s&offset=0" % q(out))
        self.assertEqual(json.loads(body),
                         {"data": "hello sandbox\n", "offset": 0})
        st, _, body = self.get("/files/read?path=%s&offset=6&length=7"
                               % q(out))
        self.assertEqual(json.loads(body), {"data": "sandbox", "offset": 6})
        st, _, body = self.get("/files/read?path=%s&offset=1000" % q(out))
        self.assertEqual(json.loads(body)["data"], "")
        st, _, body = self.get("/files/download?path=%s" % q(out))
        self.assertEqual((st, body), (200, b"hello sandbox\n"))
        # The real sandbox path is attached too.
        st, _, body = self.get("/files/read?path=%s&offset=0" %
                               q(self.real_dir() + "/stderr"))
        self.assertEqual(st, 200)
        self.assertIn("to-err", json.loads(body)["data"])

    def real_dir(self):
        st = json.loads(self.get("/state")[2])
        for f in st["frameworks"] + st["completed_frameworks"]:
            for e in f["executors"] + f["completed_executors"]:
                if e["id"] == "t-files":
                    return e["directory"]
        raise AssertionError("no executor directory")

    def test_files_bad_requests(self):
        out = self.vdir + "/stdout"
        self.assertEqual(self.get("/files/read")[0], 400)
        self.assertEqual(self.get("/files/read?path=%s&offset=-2" %
                                  q(out))[0], 400)
        self.assertEqual(self.get("/files/read?path=%s&offset=x" %
                                  q(out))[0], 400)
        self.assertEqual(self.get("/files/read?path=%s&offset=0" %
                                  q(self.vdir))[0], 400)
        self.assertEqual(self.get("/files/browse?path=/nope")[0], 404)
        self.assertEqual(self.get("/files/read?path=%s/none&offset=0" %
                                  q(self.vdir))[0], 404)

    def test_files_path_traversal_refused(self):
        real = self.real_dir()
        for path in [self.vdir + "/../../../../../../../../etc/passwd",
                     self.vdir + "/..",
                     real + "/../../../../../../../../../etc/passwd",
                     "/etc/passwd", "etc/passwd",
                     # symlinks the task made, pointing out of the sandbox
                     self.vdir + "/escape/passwd", self.vdir + "/up",
                     self.vdir + "/up/stdout"]:
            for ep in ("browse", "read", "download"):
                st, _, body = self.get("/files/%s?path=%s&offset=0" %
                                       (ep, urllib.parse.quote(path)))
                self.assertTrue(400 <= st < 500, (ep, path, st))
                self.assertNotIn(b"root:", body)
        # Percent-encoded dots are decoded before the check.
        st, _, _ = self.get("/files/read?path=%s/%%2e%%2e/%%2e%%2e&offset=0"
                            % q(self.vdir))
        self.assertTrue(400 <= st < 500, st)


class MasterEndpoints(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster(agents=1, agent_flags=[
            "--attributes=rack:r1;zone:eu-1;level:3;slots:[1-4,8-9]"])

    @classmethod
    def tearDownClass(cls):
        cls.c.close()

    def test_version(self):
        st, h, body = self.c.get("/version")
        self.assertEqual(st, 200)
        self.assertEqual(h["content-type"], "application/json")
        v = json.loads(body)
        self.assertRegex(v["version"], r"^\d+\.\d+\.\d+")
        self.assertIsInstance(v["build_date"], str)
        # VersionInfo.build_time is a double, as upstream.
        self.assertIsInstance(v["build_time"], (int, float))
        self.assertEqual(json.loads(self.c.get("/master/version")[2]), v)

    def test_flags(self):
        st, _, body = self.c.get("/flags")
        self.assertEqual(st, 200)
        flags = json.loads(body)["flags"]
        self.assertEqual(flags["ip"], "127.0.0.1")
        self.assertEqual(flags["port"], "0")
        self.assertEqual(flags["allocation_interval"], "1secs")
        self.assertEqual(flags["agent_ping_timeout"], "15secs")
        self.assertTrue(all(isinstance(v, str) for v in flags.values()))
        self.assertEqual(json.loads(self.c.get("/master/flags")[2])["flags"],
                         flags)

    def test_state_aliases_and_jsonp(self):
        plain = json.loads(self.c.get("/master/state")[2])
        for path in ("/state.json", "/master/state.json", "/state"):
            st, h, body = self.c.get(path)
            self.assertEqual(st, 200, path)
            self.assertEqual(h["content-type"], "application/json")
            self.assertEqual(json.loads(body)["id"], plain["id"])
        self.assertEqual(plain["leader_info"]["port"], self.c.master_port)
        self.assertEqual(plain["pid"],
                         "master@127.0.0.1:%d" % self.c.master_port)
        st, h, body = self.c.get("/master/state?jsonp=cb")
        self.assertEqual(st, 200)
        self.assertEqual(h["content-type"], "text/javascript")
        m = re.fullmatch(rb"cb\((.*)\);", body, re.S)
        self.assertIsNotNone(m, body[:40])
        self.assertEqual(json.loads(m.group(1))["id"], plain["id"])
        st, _, body = self.c.get("/state.json?jsonp=my.cb_1")
        self.assertTrue(body.startswith(b"my.cb_1("))
        # A callback is an identifier, not a place for script.
        st, _, _ = self.c.get("/master/state?jsonp=" +
                              urllib.parse.quote("alert(1)//"))
        self.assertEqual(st, 400)

    def test_redirect_and_unknown_paths(self):
        for path in ("/redirect", "/master/redirect"):
            st, h, body = self.c.get(path)
            self.assertEqual(st, 307, path)
            self.assertEqual(h["location"],
                             "//127.0.0.1:%d" % self.c.master_port)
        for path in ("/nope", "/master/nope", "/redirect/deeper",
                     "/master/state/x"):
            self.assertEqual(self.c.get(path)[0], 404, path)
        st, _, body = self.c.get("/health")
        self.assertEqual((st, body), (200, b""))

    def test_state_task_statuses_follow_the_updates(self):
        s = Scheduler(self.c.master_port, name="statuses")
        try:
            offer = s.offers()[0]
            s.launch(offer, [command_task(offer, "t-st", "true")])
            final, seen = s.wait_terminal("t-st")
            self.assertEqual(final["state"], "TASK_FINISHED")

            def done():
                for f in self.c.state()["frameworks"]:
                    if f["id"] == s.framework_id and f["completed_tasks"]:
                        return f["completed_tasks"][0]
            task = wait_for(done, 10, "the task among completed_tasks")
            # One entry per update relayed to the framework, in order, as
            # upstream: every state the framework saw, even when the task
            # was already finished when an earlier update arrived.
            self.assertEqual([x["state"] for x in task["statuses"]], seen)
            stamps = [x["timestamp"] for x in task["statuses"]]
            self.assertEqual(stamps, sorted(stamps))
        finally:
            s.call({"type": "TEARDOWN"})
            s.close()

    def test_agent_attributes_in_master_state(self):
        slave = self.c.state()["slaves"][0]
        self.assertEqual(slave["attributes"], {
            "rack": "r1", "zone": "eu-1", "level": 3.0,
            "slots": "[1-4, 8-9]"})
        agent = json.loads(self.c.get("/state", self.c.agents[0].port)[2])
        self.assertEqual(agent["attributes"], slave["attributes"])
        s = Scheduler(self.c.master_port, name="attrs")
        try:
            attrs = {a["name"]: a for a in s.offers()[0]["attributes"]}
            self.assertEqual(attrs["rack"]["text"]["value"], "r1")
            self.assertEqual(attrs["level"]["scalar"]["value"], 3.0)
            self.assertEqual(attrs["slots"]["ranges"]["range"],
                             [{"begin": 1, "end": 4}, {"begin": 8, "end": 9}])
        finally:
            s.call({"type": "TEARDOWN"})
            s.close()


class Flags(unittest.TestCase):
    """Command lines that never bring a cluster up."""

    def run_bin(self, argv, env=None, secs=10):
        e = dict(os.environ)
        e.update(env or {})
        return subprocess.run(argv, capture_output=True, text=True, env=e,
                              timeout=secs * MULT, stdin=subprocess.DEVNULL)

    def assert_one_line_error(self, r, *words):
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(r.stdout, "")
        lines = r.stderr.splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        for w in words:
            self.assertIn(w, lines[0])

    def test_master_help_lists_every_flag_with_default(self):
        r = self.run_bin([MASTER, "--help"])
        self.assertEqual(r.returncode, 0, r.stderr)
        listed = dict(re.findall(r"^  --(\w+)(?:=VALUE)?\n(.*(?:\n {6}.*)*)",
                                 r.stdout, re.M))
        defaults = {"ip": "0.0.0.0", "port": "5050",
                    "registry": "in_memory", "allocation_interval": "1secs",
                    "agent_ping_timeout": "15secs",
                    "max_agent_ping_timeouts": "5",
                    "agent_reregister_timeout": "10mins",
                    "max_completed_frameworks": "50",
                    "max_completed_tasks_per_framework": "1000",
                    "min_allocatable_resources": "cpus:0.01|mem:32",
                    "logging_level": "INFO"}
        for name, d in defaults.items():
            self.assertIn(name, listed)
            self.assertIn("(default: %s)" % d, listed[name], name)
        for name in ("hostname", "advertise_ip", "advertise_port", "cluster",
                     "work_dir", "zk", "quorum", "offer_timeout", "roles",
                     "weights", "ready_file", "help"):
            self.assertIn(name, listed)
        # Every flag --help shows is one the master accepts, and a running
        # master reports every flag that has a value under /flags.
        c = Cluster(agents=0)
        try:
            flags = json.loads(c.get("/flags")[2])["flags"]
        finally:
            c.close()
        self.assertLessEqual(set(flags), set(listed))
        self.assertLessEqual(set(defaults), set(flags))

    def test_master_bad_flags_exit_1_with_one_line(self):
        base = [MASTER, "--ip=127.0.0.1", "--port=0"]
        self.assert_one_line_error(self.run_bin(base + ["--bogus=1"]),
                                   "--bogus")
        self.assert_one_line_error(
            self.run_bin(base + ["--allocation_interval=3parsecs"]),
            "--allocation_interval", "3parsecs")
        self.assert_one_line_error(self.run_bin(base + ["--port=99999"]),
                                   "--port")
        self.assert_one_line_error(
            self.run_bin(base + ["--max_agent_ping_timeouts=0"]),
            "max_agent_ping_timeouts")
        self.assert_one_line_error(
            self.run_bin(base + ["--logging_level=LOUD"]), "LOUD")
        self.assert_one_line_error(self.run_bin(base + ["stray"]), "stray")
        self.assert_one_line_error(
            self.run_bin(base, env={"CORRAL_AGENT_PING_TIMEOUT": "soon"}),
            "agent_ping_timeout", "soon")

    def start_master(self, argv, env):
        """A master in its own temp dir; returns (proc, bound port)."""
        tmp = tempfile.mkdtemp(prefix="corral-it-flags-")
        self.addCleanup(shutil.rmtree, tmp, True)
        ready = os.path.join(tmp, "port")
        p = Proc("master", [MASTER, "--ip=127.0.0.1",
                            "--ready_file=" + ready] + argv, tmp, env=env)
        self.addCleanup(p.stop)
        return p, read_port(ready, p)

    def master_flags(self, port):
        return json.loads(http_json("GET", "127.0.0.1", port,
                                    "/flags")[2])["flags"]

    def test_master_port_from_environment(self):
        for var in ("CORRAL_PORT", "MESOS_PORT"):
            want = free_port()
            env = {"CORRAL_PORT": None, "MESOS_PORT": None, var: str(want)}
            _, port = self.start_master([], env)
            self.assertEqual(port, want, var)
            self.assertEqual(self.master_flags(port)["port"], str(want))

    def test_command_line_beats_environment(self):
        _, port = self.start_master(["--port=0"], {
            "CORRAL_PORT": "1", "MESOS_PORT": "2",
            "MESOS_ALLOCATION_INTERVAL": "250ms",
            "CORRAL_CLUSTER": "from-env"})
        self.assertNotIn(port, (1, 2))
        flags = self.master_flags(port)
        self.assertEqual(flags["allocation_interval"], "250ms")
        self.assertEqual(flags["cluster"], "from-env")
        # CORRAL_ wins over MESOS_.
        _, port = self.start_master(["--port=0"], {
            "CORRAL_CLUSTER": "corral", "MESOS_CLUSTER": "mesos"})
        self.assertEqual(self.master_flags(port)["cluster"], "corral")

    def test_agent_bad_resources_exit_1_with_one_line(self):
        base = [AGENT, "--ip=127.0.0.1", "--port=0",
                "--master=127.0.0.1:1", "--work_dir=/nonexistent/never"]
        for res in ("cpus:abc", "cpus:-1", "mem", "ports:[5-1]",
                    "[{\"name\": ", "file:///nonexistent/res.json"):
            self.assert_one_line_error(
                self.run_bin(base + ["--resources=" + res]), "--resources")
        self.assert_one_line_error(
            self.run_bin(base + ["--attributes=rack"]), "--attributes")
        self.assert_one_line_error(self.run_bin(base + ["--bogus"]),
                                   "--bogus")


if __name__ == "__main__":
    run()
