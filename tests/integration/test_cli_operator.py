# SPDX-License-Identifier: Apache-2.0
"""The corral operator commands against real daemons, through the master's
v1 operator API (POST /api/v1): `state` (summary and --json), `top` (the
non-tty snapshot, --once, a live view in a pseudo-terminal that follows
the event stream and quits on q / Ctrl-C restoring the screen), `weights`,
`quota` and `maintenance` (every subcommand, --json shapes), and errors:
a master's 4xx answer is one line and exit 1, no master answering is
exit 2, bad usage is exit 1 before any call. Leader following: master
lists, 307 redirects and 503s (a scripted fake master), and zk:// with a
real ZooKeeper (`top` follows a failover live).

Calls the master does not implement yet (it answers 501) are skipped with
a "PENDING master support" reason, so the tests run as soon as the master
serves them."""
import http.server
import json
import os
import pty
import select
import signal
import subprocess
import tempfile
import termios
import threading
import time
import unittest

from harness import (BIN, MULT, SANITIZER_MARKS, Cluster, Scheduler,
                     command_task, deadline, http_json, run, wait_for)

CORRAL = os.path.join(BIN, "corral")
DEAD = "127.0.0.1:1"  # nothing listens there


def corral(*args, env=None, secs=30, stdin=subprocess.DEVNULL):
    e = dict(os.environ)
    e.pop("CORRAL_MASTER", None)
    e.update(env or {})
    r = subprocess.run([CORRAL] + list(args), capture_output=True,
                       text=True, env=e, stdin=stdin, timeout=secs * MULT)
    bad = [m for m in SANITIZER_MARKS if m in r.stderr]
    if bad:
        raise AssertionError("sanitizer report from corral %s:\n%s"
                             % (" ".join(args), r.stderr[-20000:]))
    return r


def op(port, call):
    """POST a v1 operator call; (status, parsed body or None)."""
    st, _, body = http_json("POST", "127.0.0.1", port, "/api/v1", call,
                            {"Accept": "application/json"})
    try:
        return st, json.loads(body) if body.strip() else None
    except ValueError:
        return st, body.decode(errors="replace")


def unsupported(port, call):
    """Why the master cannot serve call's type yet, or None."""
    st, body = op(port, call)
    if st == 501 or (st == 400 and "unknown" in str(body).lower()):
        return "PENDING master support: %s answers HTTP %d %s" % (
            call["type"], st, str(body)[:80])
    return None


class FakeMaster:
    """A scripted HTTP server standing in for a master: answers every POST
    with the next (status, headers, body) of replies (the last repeats)
    and records the requests."""

    def __init__(self, replies):
        self.replies = list(replies)
        self.requests = []
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                fake.requests.append((self.path, self.rfile.read(n)))
                st, hdrs, body = (fake.replies.pop(0)
                                  if len(fake.replies) > 1
                                  else fake.replies[0])
                self.send_response(st)
                for k, v in hdrs.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.addr = "127.0.0.1:%d" % self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


class Tty:
    """corral running in a pseudo-terminal (a live `top`)."""

    def __init__(self, *args, rows=40, cols=160):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: its stdin/stdout are the terminal
            try:
                import fcntl
                import struct
                fcntl.ioctl(1, termios.TIOCSWINSZ,
                            struct.pack("HHHH", rows, cols, 0, 0))
                e = dict(os.environ)
                e.pop("CORRAL_MASTER", None)
                os.execve(CORRAL, [CORRAL] + list(args), e)
            finally:
                os._exit(127)
        self.out = b""
        self.status = None

    def read_until(self, pred, secs=20, what="output"):
        end = deadline(secs)
        while time.monotonic() < end:
            if pred(self.out):
                return
            r, _, _ = select.select([self.fd], [], [], 0.05)
            if r:
                try:
                    data = os.read(self.fd, 65536)
                except OSError:
                    data = b""
                if not data:
                    break
                self.out += data
        if not pred(self.out):
            raise AssertionError("no %s; got:\n%r" % (what, self.out[-3000:]))

    def last_screen(self):
        """The text of the last full redraw (from the last cursor-home)."""
        return self.out[self.out.rfind(b"\x1b[H"):].decode(errors="replace")

    def send(self, data):
        os.write(self.fd, data)

    def wait(self, secs=10):
        end = deadline(secs)
        while time.monotonic() < end:
            try:  # keep draining so the child never blocks on output
                r, _, _ = select.select([self.fd], [], [], 0.05)
                if r:
                    self.out += os.read(self.fd, 65536)
            except OSError:
                pass
            pid, st = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = os.waitstatus_to_exitcode(st)
                return self.status
        raise AssertionError("corral did not exit; got:\n%r"
                             % self.out[-3000:])

    def close(self):
        if self.status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except OSError:
                pass
        try:
            os.close(self.fd)
        except OSError:
            pass


class Operator(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster(agents=1)
        cls.port = cls.c.master_port
        cls.m = "127.0.0.1:%d" % cls.port
        cls.agent_id = cls.c.state()["slaves"][0]["id"]

    @classmethod
    def tearDownClass(cls):
        cls.c.close()

    def need(self, call):
        why = unsupported(self.port, call)
        if why:
            self.skipTest(why)

    def assert_one_line_error(self, r, code, *words):
        self.assertEqual(r.returncode, code, (r.stdout, r.stderr))
        self.assertEqual(r.stdout, "")
        lines = r.stderr.splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        for w in words:
            self.assertIn(w, lines[0])

    def running_task(self, task_id, name="cli-op"):
        """A framework with one running task (sleep); the caller closes
        the returned scheduler."""
        s = Scheduler(self.port, name=name)
        offer = s.offers()[0]
        s.launch(offer, [command_task(offer, task_id, "sleep 300")])
        s.update(task_id, states={"TASK_RUNNING"})
        return s

    def stop_framework(self, s):
        s.call({"type": "TEARDOWN"})
        s.close()
        wait_for(lambda: not self.c.state()["frameworks"], 15,
                 "the framework to go")

    # -- state -----------------------------------------------------------------
    def test_state_summary_and_json(self):
        s = self.running_task("t-state")
        try:
            r = corral("state", "--master", self.m)
            self.assertEqual(r.returncode, 0, r.stderr)
            lines = [l.split() for l in r.stdout.splitlines()]
            self.assertIn(["master", self.m], lines)
            self.assertIn(["agents", "1", "(1", "active)"], lines)
            self.assertIn(["cpus", "0.1/4"], lines)
            self.assertIn(["mem", "32/4096"], lines)
            self.assertIn(["frameworks", "1", "(1", "active,", "0",
                           "inactive,", "0", "completed)"], lines)
            self.assertIn(["TASK_RUNNING", "1"], lines)

            r = corral("state", "--json", "--master", self.m)
            self.assertEqual(r.returncode, 0, r.stderr)
            st = json.loads(r.stdout)  # the get_state object, as sent
            self.assertEqual(sorted(st), ["get_agents", "get_executors",
                                          "get_frameworks", "get_tasks"])
            tasks = {t["task_id"]["value"]: t
                     for t in st["get_tasks"]["tasks"]}
            self.assertEqual(tasks["t-state"]["state"], "TASK_RUNNING")
            self.assertEqual(
                [a["agent_info"]["id"]["value"]
                 for a in st["get_agents"]["agents"]], [self.agent_id])
            # CORRAL_MASTER is the default master, as for the other commands.
            r = corral("state", env={"CORRAL_MASTER": self.m})
            self.assertEqual(r.returncode, 0, r.stderr)
        finally:
            self.stop_framework(s)

    # -- top -------------------------------------------------------------------
    def test_top_snapshot_when_not_a_tty(self):
        s = self.running_task("t-top", name="top-fw")
        try:
            for extra in ([], ["--once"]):
                # stdout is a pipe: one snapshot, then exit 0.
                r = corral("top", "--master", self.m, *extra)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertNotIn("\x1b", r.stdout)  # plain text
                lines = r.stdout.splitlines()
                self.assertTrue(lines[0].startswith("corral top"), lines)
                self.assertIn("master " + self.m, lines[0])
                self.assertIn("agents 1 (1 active)", lines[1])
                self.assertIn("tasks 1 live", lines[1])
                self.assertIn("used/total   cpus 0.1/4   mem 32/4096", r.stdout)
                self.assertIn("RUNNING 1", r.stdout)
                rows = [l.split() for l in lines]
                agent = [x for x in rows if x and x[0] == self.agent_id]
                self.assertEqual(agent[0][1:], ["127.0.0.1",
                                                str(self.c.agents[0].port),
                                                "true", "1", "0.1/4",
                                                "32/4096", "0/4096"])
                fw = [x for x in rows if x and x[0] == s.framework_id]
                self.assertEqual(fw[0][1:6], ["top-fw", "root", "true",
                                              "true", "1"])
                task = [x for x in rows if x and x[0] == "t-top"]
                self.assertEqual(task, [["t-top", s.framework_id,
                                         self.agent_id, "TASK_RUNNING",
                                         "t-top"]])
        finally:
            self.stop_framework(s)
        # The framework and its task are gone; the task's end is counted.
        r = corral("top", "--master", self.m)
        self.assertIn("FRAMEWORKS (0)", r.stdout)
        self.assertIn("TASKS (0 live)", r.stdout)
        self.assertRegex(r.stdout, r"tasks ended .*KILLED [1-9]")

    def test_top_live_in_a_terminal(self):
        t = Tty("top", "--master", self.m)
        try:
            t.read_until(lambda o: self.agent_id.encode() in o, 20,
                         "the agent on the screen")
            self.assertTrue(t.out.startswith(b"\x1b[?1049h"), t.out[:40])
            self.assertIn("(q quits)", t.last_screen())
            self.assertIn("TASKS (0 live)", t.last_screen())
            # A task started now appears from the event stream, and its
            # resources count against the agent.
            s = self.running_task("t-live")
            try:
                t.read_until(lambda o: b"t-live" in o and
                             "TASK_RUNNING" in t.last_screen(), 20,
                             "the new task on the screen")
                screen = t.last_screen()
                self.assertIn("TASKS (1 live)", screen)
                self.assertIn("0.1/4", screen)
            finally:
                self.stop_framework(s)
            t.read_until(lambda o: "TASKS (0 live)" in t.last_screen(),
                         20, "the task to leave the screen")
            t.send(b"q")
            self.assertEqual(t.wait(), 0)
            # The screen, the cursor and the terminal's modes are given
            # back (raw mode undone: echo and line editing on).
            self.assertTrue(t.out.endswith(b"\x1b[?25h\x1b[?1049l"),
                            t.out[-60:])
            lflag = termios.tcgetattr(t.fd)[3]
            self.assertTrue(lflag & termios.ECHO and lflag & termios.ICANON)
        finally:
            t.close()
        # Ctrl-C quits too (the terminal is in raw mode: it is a key).
        t = Tty("top", "--master", self.m)
        try:
            t.read_until(lambda o: self.agent_id.encode() in o, 20,
                         "the agent on the screen")
            t.send(b"\x03")
            self.assertEqual(t.wait(), 0)
            self.assertTrue(t.out.endswith(b"\x1b[?25h\x1b[?1049l"))
        finally:
            t.close()

    def test_top_live_survives_a_master_restart(self):
        # A second cluster, so this master can be restarted at the same
        # port without disturbing the other tests.
        c = Cluster(agents=1)
        try:
            m = "127.0.0.1:%d" % c.master_port
            t = Tty("top", "--master", m)
            try:
                t.read_until(lambda o: b"AGENTS (1)" in o, 20, "the agent")
                port = c.master_port
                c.master.stop()
                t.read_until(lambda o: "cannot reach" in t.last_screen() or
                             "ended the stream" in t.last_screen(), 20,
                             "the lost master on the screen")
                c.start_master(port)
                t.read_until(lambda o: "master " + m in t.last_screen() and
                             "AGENTS (1)" in t.last_screen(), 40,
                             "the view back from the restarted master")
                t.send(b"q")
                self.assertEqual(t.wait(), 0)
            finally:
                t.close()
        finally:
            c.close()

    # -- weights ---------------------------------------------------------------
    def test_weights(self):
        r = corral("weights", "--master", self.m)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines()[0].split(), ["ROLE", "WEIGHT"])
        r = corral("weights", "--json", "--master", self.m)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIsInstance(json.loads(r.stdout)["weight_infos"], list)

        self.need({"type": "UPDATE_WEIGHTS",
                   "update_weights": {"weight_infos": []}})
        r = corral("weights", "set", "w-dev=2.5", "w-ops=0.5",
                   "--master", self.m)
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "", ""))
        r = corral("weights", "--master", self.m)
        rows = [l.split() for l in r.stdout.splitlines()[1:]]
        self.assertIn(["w-dev", "2.5"], rows)
        self.assertIn(["w-ops", "0.5"], rows)
        r = corral("weights", "--json", "--master", self.m)
        infos = {w["role"]: w["weight"]
                 for w in json.loads(r.stdout)["weight_infos"]}
        self.assertEqual((infos["w-dev"], infos["w-ops"]), (2.5, 0.5))
        # The master's own answer agrees.
        st, body = op(self.port, {"type": "GET_WEIGHTS"})
        self.assertIn({"role": "w-dev", "weight": 2.5},
                      body["get_weights"]["weight_infos"])
        # A role the master refuses: its 400, in one line, exit 1.
        r = corral("weights", "set", "../bad=1", "--master", self.m)
        self.assert_one_line_error(r, 1, "corral weights:", "HTTP 4")

    # -- quota -----------------------------------------------------------------
    def test_quota(self):
        self.need({"type": "GET_QUOTA"})
        r = corral("quota", "--master", self.m)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines()[0].split(),
                         ["ROLE", "GUARANTEES", "LIMITS"])
        self.need({"type": "UPDATE_QUOTA",
                   "update_quota": {"quota_configs": []}})
        # Whatever happens, leave no quota behind (a guarantee would
        # withhold offers from the other tests' frameworks).
        self.addCleanup(op, self.port, {
            "type": "UPDATE_QUOTA", "update_quota": {
                "force": True, "quota_configs": [
                    {"role": r} for r in ("q-dev", "q-ops", "q-big")]}})
        r = corral("quota", "set", "q-dev", "--guarantee", "cpus:1;mem:128",
                   "--limit", "cpus:2;mem:256", "--master", self.m)
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "", ""))
        r = corral("quota", "set", "q-ops", "--limit", "mem:64",
                   "--master", self.m)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = corral("quota", "--master", self.m)
        rows = {l.split()[0]: l.split()[1:]
                for l in r.stdout.splitlines()[1:]}
        self.assertEqual(rows["q-dev"], ["cpus:1;mem:128", "cpus:2;mem:256"])
        self.assertEqual(rows["q-ops"], ["-", "mem:64"])
        r = corral("quota", "--json", "--master", self.m)
        configs = {c["role"]: c
                   for c in json.loads(r.stdout)["status"]["configs"]}
        self.assertEqual(configs["q-dev"]["guarantees"],
                         {"cpus": {"value": 1}, "mem": {"value": 128}})
        self.assertEqual(configs["q-dev"]["limits"]["cpus"], {"value": 2})
        # A guarantee beyond the cluster (4 cpus) needs --force, as
        # upstream; the refusal is one line, exit 1.
        r = corral("quota", "set", "q-big", "--guarantee", "cpus:64",
                   "--master", self.m)
        self.assert_one_line_error(r, 1, "corral quota:", "HTTP 4",
                                   "force")
        r = corral("quota", "set", "q-big", "--guarantee", "cpus:64",
                   "--force", "--master", self.m)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = corral("quota", "--master", self.m)
        self.assertIn(["q-big", "cpus:64", "-"],
                      [l.split() for l in r.stdout.splitlines()])
        # While the total is past the capacity, raising a guarantee is
        # refused unless forced; lowering or removing quota is not.
        r = corral("quota", "set", "q-dev", "--guarantee", "cpus:2",
                   "--master", self.m)
        self.assert_one_line_error(r, 1, "corral quota:", "HTTP 4")
        r = corral("quota", "remove", "q-dev", "--master", self.m)
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "", ""))
        for role in ("q-big", "q-ops"):
            r = corral("quota", "remove", role, "--master", self.m)
            self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "", ""))
        r = corral("quota", "--master", self.m)
        self.assertNotIn("q-dev", r.stdout)
        self.assertNotIn("q-big", r.stdout)

    # -- maintenance -----------------------------------------------------------
    def test_maintenance(self):
        self.need({"type": "GET_MAINTENANCE_SCHEDULE"})
        self.need({"type": "GET_MAINTENANCE_STATUS"})
        m = ["--master", self.m]
        # No agent runs on these machines: taking them down disturbs none.
        r = corral("maintenance", "schedule", "set", "--hostname", "mh1",
                   "--ip", "127.0.0.2", "--hostname", "mh2", "--ip",
                   "127.0.0.3", "--start", "2030-01-02T03:04:05Z",
                   "--duration", "1hrs", *m)
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "", ""))
        r = corral("maintenance", "schedule", "set", "--ip", "127.0.0.4",
                   "--start", "1893553445", *m)  # added: a second window
        self.assertEqual(r.returncode, 0, r.stderr)
        r = corral("maintenance", "schedule", *m)
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = [l.split() for l in r.stdout.splitlines()]
        self.assertEqual(rows[0], ["WINDOW", "HOSTNAME", "IP", "START",
                                   "DURATION"])
        self.assertEqual(sorted(rows[1:]), [
            ["0", "mh1", "127.0.0.2", "2030-01-02T03:04:05Z", "1hrs"],
            ["0", "mh2", "127.0.0.3", "2030-01-02T03:04:05Z", "1hrs"],
            ["1", "-", "127.0.0.4", "2030-01-02T03:04:05Z", "-"]])
        r = corral("maintenance", "schedule", "--json", *m)
        doc = json.loads(r.stdout)
        w0 = doc["schedule"]["windows"][0]
        self.assertEqual(w0["machine_ids"][0],
                         {"hostname": "mh1", "ip": "127.0.0.2"})
        self.assertEqual(w0["unavailability"]["start"]["nanoseconds"],
                         1893553445 * 10**9)
        self.assertEqual(w0["unavailability"]["duration"]["nanoseconds"],
                         3600 * 10**9)

        # What `schedule --json` prints is a FILE `schedule set` takes.
        with tempfile.NamedTemporaryFile("w", suffix=".json",
                                         delete=False) as f:
            json.dump(doc, f)
        self.addCleanup(os.unlink, f.name)
        r = corral("maintenance", "schedule", "clear", *m)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = corral("maintenance", "schedule", "--json", *m)
        self.assertEqual(json.loads(r.stdout)["schedule"].get("windows", []),
                         [])
        r = corral("maintenance", "schedule", "set", f.name, *m)
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        r = corral("maintenance", "schedule", "--json", *m)
        self.assertEqual(json.loads(r.stdout), doc)
        # From stdin too.
        with open(f.name) as fin:
            r = corral("maintenance", "schedule", "set", "-", *m, stdin=fin)
        self.assertEqual(r.returncode, 0, r.stderr)

        # Scheduled machines are draining; down / up move them.
        self.need({"type": "START_MAINTENANCE",
                   "start_maintenance": {"machines": []}})
        r = corral("maintenance", "status", *m)
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = [l.split() for l in r.stdout.splitlines()]
        self.assertEqual(rows[0], ["HOSTNAME", "IP", "MODE", "RESPONSES"])
        self.assertIn(["mh1", "127.0.0.2", "DRAINING", "-"], rows)
        r = corral("maintenance", "down", "mh1/127.0.0.2", *m)
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "", ""))
        r = corral("maintenance", "status", *m)
        self.assertIn(["mh1", "127.0.0.2", "DOWN", "-"],
                      [l.split() for l in r.stdout.splitlines()])
        r = corral("maintenance", "status", "--json", *m)
        self.assertIn({"hostname": "mh1", "ip": "127.0.0.2"},
                      json.loads(r.stdout)["status"]["down_machines"])
        r = corral("maintenance", "up", "mh1/127.0.0.2", *m)
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "", ""))
        r = corral("maintenance", "status", *m)
        self.assertNotIn("mh1", r.stdout)
        # A machine not in the schedule: the master refuses, one line.
        r = corral("maintenance", "down", "nowhere/127.0.0.9", *m)
        self.assert_one_line_error(r, 1, "corral maintenance:", "HTTP 4")
        r = corral("maintenance", "schedule", "clear", *m)
        self.assertEqual(r.returncode, 0, r.stderr)

    # -- errors and leader following -------------------------------------------
    def test_master_errors_are_one_line_exit_1(self):
        fake = FakeMaster([(400, {"Content-Type": "text/plain"},
                            b"Failed to validate master::Call: bad thing\n"
                            b"second line")])
        self.addCleanup(fake.close)
        for args in (["state"], ["top"], ["weights"],
                     ["weights", "set", "a=1"], ["quota"],
                     ["quota", "remove", "r"], ["maintenance", "status"],
                     ["maintenance", "down", "h"]):
            r = corral(*args, "--master", fake.addr)
            self.assert_one_line_error(r, 1, "corral %s:" % args[0], "400",
                                       "bad thing")
        # The calls sent, upstream shapes.
        bodies = [json.loads(b) for _, b in fake.requests]
        self.assertEqual({p for p, _ in fake.requests}, {"/api/v1"})
        self.assertIn({"type": "UPDATE_WEIGHTS", "update_weights": {
            "weight_infos": [{"role": "a", "weight": 1.0}]}}, bodies)
        self.assertIn({"type": "UPDATE_QUOTA", "update_quota": {
            "force": False, "quota_configs": [
                {"role": "r", "guarantees": {}, "limits": {}}]}}, bodies)
        self.assertIn({"type": "START_MAINTENANCE", "start_maintenance": {
            "machines": [{"hostname": "h"}]}}, bodies)
        self.assertIn({"type": "SUBSCRIBE"}, bodies)

    def test_unreachable_master_exits_2(self):
        for args in (["state"], ["top"], ["top", "--once"], ["weights"],
                     ["quota"], ["maintenance", "schedule"],
                     ["maintenance", "up", "h"]):
            r = corral(*args, "--master", DEAD)
            self.assert_one_line_error(r, 2, "corral %s:" % args[0],
                                       "127.0.0.1:1")

    def test_bad_usage_exit_1_before_any_call(self):
        # The master is unreachable: a call would exit 2.
        m = ["--master", DEAD]
        for args, word in [
                (["state", "extra"], "extra"),
                (["state", "--bogus"], "--bogus"),
                (["top", "extra"], "extra"),
                (["weights", "bogus"], "bogus"),
                (["weights", "set"], "ROLE=WEIGHT"),
                (["weights", "set", "a=x"], "a=x"),
                (["weights", "set", "a=0"], "a=0"),
                (["weights", "set", "a=1", "a=2"], "twice"),
                (["quota", "set"], "ROLE"),
                (["quota", "set", "r"], "--guarantee"),
                (["quota", "set", "r", "--guarantee", "cpus:x"],
                 "--guarantee"),
                (["quota", "set", "r", "--limit", "ports:[1-2]"], "--limit"),
                (["quota", "remove", "r", "--limit", "cpus:1"], "--limit"),
                (["quota", "remove"], "ROLE"),
                (["maintenance"], "schedule"),
                (["maintenance", "bogus"], "bogus"),
                (["maintenance", "down"], "machine"),
                (["maintenance", "up", "a/b/c"], "a/b/c"),
                (["maintenance", "schedule", "set"], "--hostname"),
                (["maintenance", "schedule", "set", "--hostname", "a",
                  "--ip", "1", "--ip", "2"], "--ip"),
                (["maintenance", "schedule", "set", "--hostname", "a",
                  "--start", "yesterday"], "--start"),
                (["maintenance", "schedule", "set", "--hostname", "a",
                  "--duration", "1parsec"], "--duration"),
                (["maintenance", "schedule", "set", "/no/such/file"],
                 "/no/such/file"),
                (["maintenance", "status", "x"], "status"),
                (["state", "--master", "127.0.0.1:99999"], "--master")]:
            r = corral(*args, *(m if "--master" not in args else []))
            self.assert_one_line_error(r, 1, word)
        with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
            f.write('{"windows": [{"machine_ids": [{}]}]}')
            f.flush()
            r = corral("maintenance", "schedule", "set", f.name, *m)
            self.assert_one_line_error(r, 1, f.name, "machine")
            f.seek(0)
            f.write("not json")
            f.truncate()
            f.flush()
            r = corral("maintenance", "schedule", "set", f.name, *m)
            self.assert_one_line_error(r, 1, "bad JSON")
        r = corral("--help")
        for cmd in ("state", "top", "maintenance", "quota", "weights"):
            self.assertIn(cmd, r.stdout)
        r = corral("maintenance", "--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("schedule set FILE", r.stdout)

    def test_follows_lists_redirects_and_503(self):
        moved = FakeMaster([(307, {"Location": "//%s/api/v1" % self.m}, b"")])
        busy = FakeMaster([(503, {}, b"Master has not finished recovery")])
        self.addCleanup(moved.close)
        self.addCleanup(busy.close)
        for master in (moved.addr, "%s,%s" % (DEAD, self.m),
                       "%s,%s" % (busy.addr, moved.addr)):
            r = corral("state", "--master", master)
            self.assertEqual(r.returncode, 0, (master, r.stderr))
            self.assertIn("master       " + self.m, r.stdout)
            r = corral("weights", "--json", "--master", master)
            self.assertEqual(r.returncode, 0, (master, r.stderr))
            r = corral("top", "--master", master)
            self.assertEqual(r.returncode, 0, (master, r.stderr))
            self.assertIn("master " + self.m, r.stdout.splitlines()[0])
        # Only 503s: no master answered, exit 2 with the last reason.
        r = corral("state", "--master", busy.addr)
        self.assert_one_line_error(r, 2, "503", "recovery")
        r = corral("top", "--master", busy.addr)
        self.assert_one_line_error(r, 2, "503", "recovery")


class ZkOperator(unittest.TestCase):
    """`state` and `top` with --master=zk://: the leader elected in a real
    ZooKeeper; a live `top` follows a failover."""

    def setUp(self):
        from hacluster import HACluster
        self.c = HACluster(masters=0)
        self.addCleanup(self.c.close)
        self.url = self.c.zk.url()

    def test_top_follows_the_leader(self):
        m1 = self.c.start_master(0)
        self.assertIs(self.c.leader(30), m1)
        m2 = self.c.start_master(1)
        r = corral("state", "--master", self.url)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("master       127.0.0.1:%d" % m1.port, r.stdout)
        r = corral("top", "--master", self.url)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("master 127.0.0.1:%d" % m1.port, r.stdout)

        t = Tty("top", "--master", self.url)
        try:
            t.read_until(lambda o: "master 127.0.0.1:%d" % m1.port
                         in t.last_screen(), 30, "master1 on the screen")
            m1.kill9()
            self.assertIs(self.c.leader(30), m2)
            t.read_until(lambda o: "master 127.0.0.1:%d" % m2.port
                         in t.last_screen(), 30, "master2 on the screen")
            t.send(b"q")
            self.assertEqual(t.wait(), 0)
        finally:
            t.close()


if __name__ == "__main__":
    run()
