# SPDX-License-Identifier: Apache-2.0
"""Sandbox files through the master: GET /files/{browse,read,download,
debug}?agent_id=<id>&path=<path> on the master relays to that agent's own
/files/* (docs/protocol.md, "Sandbox files through the master").

A real task writes known files into its sandbox; the master's answers are
compared with the agent's own for the same request (offset/length
semantics are the agent's, as upstream's), and the master's own errors
are checked: 400 bad parameters, 404 unknown agent or endpoint, 405,
502 agent gone, 504 agent hung, and a standby's 307 to the leader."""
import json
import os
import signal
import time
import unittest
import urllib.parse

from harness import MULT, Cluster, Scheduler, command_task, http_json, run

BIG = 70000  # bytes: more than one read (64 KiB, the agent's cap)

SCRIPT = (
    "printf 'line one\\nline two\\n'; "
    "echo 'to stderr' >&2; "
    "mkdir -p sub/deeper; printf 'abcdefghij' > sub/data.txt; "
    "printf 'caf\\303\\251 \\001\\n' > sub/utf8.txt; "
    "head -c %d /dev/zero | tr '\\0' x > big.txt" % BIG)
STDOUT = b"line one\nline two\n"


def q(**params):
    return urllib.parse.urlencode(params)


class FilesProxy(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster(agents=1)
        try:
            cls.s = Scheduler(cls.c.master_port, name="files")
            offer = cls.s.offers()[0]
            st, out = cls.s.launch(offer, [command_task(offer, "files-1",
                                                        SCRIPT)])
            assert st == 202, out
            status, _ = cls.s.wait_terminal("files-1")
            assert status["state"] == "TASK_FINISHED", status
            cls.agent_id = offer["agent_id"]["value"]
            cls.agent_port = cls.c.agents[0].port
            cls.root = "/frameworks/%s/executors/files-1/runs/latest" % \
                cls.s.framework_id
        except BaseException:
            cls.c.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.s.close()
        cls.c.close()

    def master(self, op, **params):
        params.setdefault("agent_id", self.agent_id)
        return self.c.get("/files/%s?%s" % (op, q(**params)))

    def agent(self, op, **params):
        return self.c.get("/files/%s?%s" % (op, q(**params)),
                          port=self.agent_port)

    def master_json(self, op, **params):
        st, h, body = self.master(op, **params)
        self.assertEqual(st, 200, body)
        self.assertEqual(h["content-type"], "application/json")
        return json.loads(body)

    # -- browse ---------------------------------------------------------
    def test_browse_sandbox(self):
        listing = self.master_json("browse", path=self.root)
        by_name = {os.path.basename(e["path"]): e for e in listing}
        self.assertEqual(set(by_name), {"stdout", "stderr", "sub", "big.txt"})
        self.assertEqual(by_name["stdout"]["size"], len(STDOUT))
        self.assertEqual(by_name["big.txt"]["size"], BIG)
        self.assertTrue(by_name["sub"]["mode"].startswith("d"))
        self.assertTrue(by_name["stdout"]["mode"].startswith("-"))
        for e in listing:
            self.assertEqual(e["path"], self.root + "/" +
                             os.path.basename(e["path"]))
            self.assertGreater(e["mtime"], 0)
        self.assertEqual([e["path"] for e in listing],
                         sorted(e["path"] for e in listing))
        # The same answer as the agent's own, and for a subdirectory.
        for path in (self.root, self.root + "/sub", self.root + "/stdout"):
            st, _, direct = self.agent("browse", path=path)
            self.assertEqual(st, 200)
            self.assertEqual(self.master_json("browse", path=path),
                             json.loads(direct))

    def test_browse_by_real_path(self):
        # The agent attaches the sandbox under its real directory too.
        st, _, body = self.c.get("/state", port=self.agent_port)
        self.assertEqual(st, 200)
        dirs = [e["directory"] for f in json.loads(body)["frameworks"] +
                json.loads(body).get("completed_frameworks", [])
                for e in f.get("executors", []) +
                f.get("completed_executors", [])
                if e["id"] == "files-1"]
        self.assertTrue(dirs, body[:2000])
        listing = self.master_json("browse", path=dirs[0])
        self.assertIn(dirs[0] + "/stdout", [e["path"] for e in listing])

    # -- read -----------------------------------------------------------
    def test_read_offset_length_as_the_agent(self):
        stdout = self.root + "/stdout"
        cases = [{}, {"offset": -1}, {"offset": -1, "length": -1},
                 {"offset": 0}, {"offset": 0, "length": -1},
                 {"offset": 5}, {"offset": 5, "length": 3},
                 {"offset": 0, "length": 0}, {"offset": len(STDOUT)},
                 {"offset": 1000}, {"offset": 17, "length": 1000}]
        for params in cases:
            st, _, via_master = self.master("read", path=stdout, **params)
            st2, _, direct = self.agent("read", path=stdout, **params)
            self.assertEqual((st, st2), (200, 200), params)
            self.assertEqual(json.loads(via_master), json.loads(direct),
                             params)
        self.assertEqual(self.master_json("read", path=stdout, offset=-1),
                         {"data": "", "offset": len(STDOUT)})
        self.assertEqual(self.master_json("read", path=stdout, offset=5,
                                          length=3),
                         {"data": "one", "offset": 5})
        self.assertEqual(self.master_json("read", path=stdout, offset=0),
                         {"data": STDOUT.decode(), "offset": 0})
        self.assertEqual(self.master_json("read", path=stdout, offset=99),
                         {"data": "", "offset": 99})
        # Non-UTF-8 and control bytes come as JSON escapes, as the agent's.
        d = self.master_json("read", path=self.root + "/sub/utf8.txt",
                             offset=0)
        self.assertEqual(d["data"], "caf\u00e9 \u0001\n")

    def test_read_is_capped(self):
        big = self.root + "/big.txt"
        for length in (-1, BIG, 2 << 20, 10 ** 12):
            d = self.master_json("read", path=big, offset=0, length=length)
            self.assertEqual(len(d["data"]), 65536, length)
        d = self.master_json("read", path=big, offset=65536)
        self.assertEqual(len(d["data"]), BIG - 65536)
        self.assertEqual(d["offset"], 65536)

    def test_bad_parameters(self):
        stdout = self.root + "/stdout"
        for params in ({"offset": -2}, {"length": -7}, {"offset": "x"},
                       {"offset": ""}, {"length": "1.5"}, {"offset": "+1"}):
            st, h, body = self.master("read", path=stdout, **params)
            self.assertEqual(st, 400, params)
            self.assertIn(b"offset", body)
        st, _, body = self.c.get("/files/read?" + q(path=stdout))
        self.assertEqual(st, 400)
        self.assertIn(b"agent_id", body)
        st, _, body = self.c.get("/files/browse?" + q(agent_id=self.agent_id))
        self.assertEqual(st, 400)
        self.assertIn(b"path", body)
        self.assertEqual(self.master("browse", path="relative/x")[0], 400)
        self.assertEqual(self.master("browse", path="/" + "x" * 5000)[0], 400)
        st, _, _ = http_json("POST", "127.0.0.1", self.c.master_port,
                             "/files/read?" + q(agent_id=self.agent_id,
                                                path=stdout), b"")
        self.assertEqual(st, 405)
        self.assertEqual(self.c.get("/files/nope")[0], 404)

    def test_agent_errors_pass_through(self):
        # A directory is not readable (400), a missing file or one outside
        # what the agent attaches is 404, ".." is refused (400): the
        # agent's rules and statuses, with a message naming the path.
        st, _, body = self.master("read", path=self.root + "/sub", offset=0)
        self.assertEqual(st, 400)
        st, _, body = self.master("read", path=self.root + "/missing")
        self.assertEqual(st, 404)
        self.assertIn(b"missing", body)
        for path in ("/etc/passwd", "/", self.root + "/../../../.."):
            st, _, body = self.master("browse", path=path)
            self.assertIn(st, (400, 404), path)
            self.assertEqual(st, self.agent("browse", path=path)[0], path)
        st, _, _ = self.master("download", path=self.root + "/sub")
        self.assertEqual(st, 400)

    # -- download, debug --------------------------------------------------
    def test_download(self):
        st, h, body = self.master("download", path=self.root + "/stdout")
        self.assertEqual(st, 200)
        self.assertEqual(body, STDOUT)
        self.assertEqual(h["content-disposition"],
                         'attachment; filename="stdout"')
        self.assertEqual(h["x-content-type-options"], "nosniff")
        self.assertEqual(h["content-security-policy"], "sandbox")
        st, h, body = self.master("download", path=self.root + "/big.txt")
        self.assertEqual(st, 200)
        self.assertEqual(body, b"x" * BIG)
        self.assertEqual(h["content-type"], "text/plain")
        self.assertEqual(int(h["content-length"]), BIG)

    def test_debug(self):
        st, _, body = self.c.get("/files/debug")
        self.assertEqual((st, json.loads(body)), (200, {}))
        table = self.master_json("debug")
        self.assertIn(self.root, table)

    # -- unknown agent ----------------------------------------------------
    def test_unknown_agent(self):
        st, _, body = self.master("read", agent_id="no-such-agent-S9",
                                  path=self.root + "/stdout")
        self.assertEqual(st, 404)
        self.assertIn(b"no-such-agent-S9", body)


class AgentTrouble(unittest.TestCase):
    """An agent the master knows but cannot get an answer from."""

    def setUp(self):
        self.c = Cluster(agents=1)
        self.agent_id = self.c.state()["slaves"][0]["id"]

    def tearDown(self):
        self.c.agents[0].send_signal(signal.SIGCONT)
        self.c.close()

    def read(self, timeout=10):
        return http_json("GET", "127.0.0.1", self.c.master_port,
                         "/files/read?" + q(agent_id=self.agent_id,
                                            path="/x/stdout"),
                         timeout=timeout)

    def test_hung_agent_times_out_504(self):
        self.assertEqual(self.read()[0], 404)  # reachable: its own 404
        self.c.agents[0].send_signal(signal.SIGSTOP)
        t0 = time.monotonic()
        st, _, body = self.read(timeout=30)
        self.assertEqual(st, 504, body)
        self.assertIn(self.agent_id.encode(), body)
        self.assertGreater(time.monotonic() - t0, 5)

    def test_dead_agent_is_502(self):
        self.assertEqual(self.read()[0], 404)
        self.c.agents[0].kill9()
        # The master still lists the agent (it has a grace period to come
        # back), but nothing answers at its address any more.
        self.assertIn(self.agent_id,
                      [a["id"] for a in self.c.state()["slaves"]])
        st, _, body = self.read()
        self.assertEqual(st, 502, body)
        self.assertIn(b"Cannot reach agent", body)


class Standby(unittest.TestCase):
    def test_standby_redirects_files(self):
        from hacluster import HACluster
        c = HACluster(masters=2)
        try:
            leader = c.leader()
            standby = [p for p in c.masters if p is not leader][0]
            path = "/files/read?" + q(agent_id="a-S0", path="/x/stdout",
                                      offset=0)
            st, h, _ = http_json("GET", "127.0.0.1", standby.port, path)
            self.assertEqual(st, 307)
            self.assertEqual(h["location"],
                             "//127.0.0.1:%d%s" % (leader.port, path))
            # The leader answers it itself (unknown agent).
            st, _, _ = http_json("GET", "127.0.0.1", leader.port, path)
            self.assertEqual(st, 404)
        finally:
            c.close()


if __name__ == "__main__":
    run()
