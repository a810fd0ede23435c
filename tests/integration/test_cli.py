# SPDX-License-Identifier: Apache-2.0
"""The corral command-line tool against real daemons: execute (output,
exit status, instances), ps / agents / frameworks (table and --json),
logs, argument errors, and `corral local` (a whole cluster that stops
with its children on SIGINT)."""
import json
import os
import shutil
import signal
import subprocess
import tarfile
import tempfile
import time
import unittest

from harness import (BIN, MULT, SANITIZER_MARKS, Cluster, Proc, Scheduler,
                     command_task, executor_pids, run, sanitizer_reports,
                     wait_for)

CORRAL = os.path.join(BIN, "corral")


def corral(*args, env=None, secs=30):
    e = dict(os.environ)
    e.pop("CORRAL_MASTER", None)
    e.update(env or {})
    r = subprocess.run([CORRAL] + list(args), capture_output=True,
                       text=True, env=e, stdin=subprocess.DEVNULL,
                       timeout=secs * MULT)
    bad = [m for m in SANITIZER_MARKS if m in r.stderr]
    if bad:
        raise AssertionError("sanitizer report from corral %s:\n%s"
                             % (" ".join(args), r.stderr[-20000:]))
    return r


def children(pid):
    """Pids whose parent is pid (from /proc)."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                stat = f.read()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces or parens.
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == pid:
            out.append(int(d))
    return out


def read_file(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return ""


def pid_gone(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except OSError:
        return True
    return stat[stat.rindex(")") + 2] == "Z"  # a zombie has stopped


class Cli(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster(agents=1)
        cls.m = "127.0.0.1:%d" % cls.c.master_port

    @classmethod
    def tearDownClass(cls):
        cls.c.close()

    def framework_tasks(self, name):
        """Task ids (active and completed) of frameworks named name."""
        st = self.c.state()
        ids = []
        for f in st["frameworks"] + st["completed_frameworks"]:
            if f["name"] == name:
                ids += [t["id"] for t in f["tasks"] + f["completed_tasks"]]
        return sorted(ids)

    def assert_usage_error(self, r, *words):
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(r.stdout, "")
        lines = r.stderr.splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        for w in words:
            self.assertIn(w, lines[0])

    # -- execute -------------------------------------------------------------
    def test_execute_prints_output_and_exits_0(self):
        r = corral("execute", "--master", self.m, "--command", "echo hi")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "hi\n")
        self.assertIn("TASK_FINISHED", r.stderr)

    def test_execute_exit_status_is_the_tasks(self):
        r = corral("execute", "--master", self.m, "--command", "exit 7",
                   "--name", "seven", "--quiet")
        self.assertEqual(r.returncode, 7, r.stderr)
        self.assertEqual(r.stdout, "")

    def test_execute_instances(self):
        r = corral("execute", "--master", self.m, "--name", "inst",
                   "--framework_name", "cli-instances", "--instances", "3",
                   "--command", "echo out-$CORRAL_N", "--env", "CORRAL_N=x")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines(), ["out-x"] * 3)
        self.assertEqual(self.framework_tasks("cli-instances"),
                         ["inst-1", "inst-2", "inst-3"])
        self.assertEqual(r.stderr.count("TASK_FINISHED"), 3)

    def test_execute_fetches_uris_and_kills_after(self):
        src = os.path.join(self.c.dir, "cli-uri")
        os.makedirs(os.path.join(src, "payload"))
        with open(os.path.join(src, "payload", "x.txt"), "w") as f:
            f.write("fetched-by-cli\n")
        tgz = os.path.join(src, "bundle.tgz")
        with tarfile.open(tgz, "w:gz") as t:
            t.add(os.path.join(src, "payload"), arcname="payload")
        r = corral("execute", "--master", self.m, "--name", "t-uri",
                   "--uri", "file://" + tgz, "--command",
                   "cat payload/x.txt", "--quiet")
        self.assertEqual((r.returncode, r.stdout), (0, "fetched-by-cli\n"),
                         r.stderr)
        start = time.monotonic()
        r = corral("execute", "--master", self.m, "--name", "t-after",
                   "--kill_after", "200ms", "--command", "sleep 100")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("TASK_KILLED", r.stderr)
        self.assertLess(time.monotonic() - start, 10 * MULT)

    def test_unreachable_master_exits_2(self):
        r = corral("execute", "--master", "127.0.0.1:1", "--command", "true",
                   "--connect_timeout", "1secs")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
        for cmd in (["ps"], ["agents"], ["frameworks"], ["logs", "t"]):
            r = corral(*cmd, "--master", "127.0.0.1:1")
            self.assertEqual(r.returncode, 2, (cmd, r.stderr))
            self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)

    # -- queries -------------------------------------------------------------
    def test_ps_agents_frameworks(self):
        s = Scheduler(self.c.master_port, name="cli-ps")
        try:
            offer = s.offers()[0]
            s.launch(offer, [command_task(offer, "t-ps", "sleep 300")])
            s.update("t-ps", states={"TASK_RUNNING"})
            agent_id = offer["agent_id"]["value"]

            r = corral("ps", "--master", self.m)
            self.assertEqual(r.returncode, 0, r.stderr)
            lines = r.stdout.splitlines()
            self.assertEqual(lines[0].split(),
                             ["ID", "FRAMEWORK", "AGENT", "STATE", "NAME"])
            row = [l.split() for l in lines[1:] if l.startswith("t-ps ")]
            self.assertEqual(row, [["t-ps", s.framework_id, agent_id,
                                    "TASK_RUNNING", "t-ps"]])
            r = corral("ps", "--master", self.m, "--json")
            tasks = {t["id"]: t for t in json.loads(r.stdout)}
            self.assertEqual(tasks["t-ps"]["state"], "TASK_RUNNING")
            self.assertEqual(tasks["t-ps"]["framework_id"], s.framework_id)

            r = corral("agents", "--master", self.m)
            self.assertEqual(r.returncode, 0, r.stderr)
            lines = r.stdout.splitlines()
            self.assertEqual(lines[0].split(), ["ID", "HOSTNAME", "PORT",
                                                "ACTIVE", "CPUS", "MEM",
                                                "DISK"])
            self.assertEqual(lines[1].split()[:4],
                             [agent_id, "127.0.0.1",
                              str(self.c.agents[0].port), "true"])
            r = corral("agents", "--master", self.m, "--json")
            agents = json.loads(r.stdout)
            self.assertEqual([a["id"] for a in agents], [agent_id])
            self.assertEqual(agents[0]["resources"]["cpus"], 4.0)

            r = corral("frameworks", "--master", self.m)
            self.assertEqual(r.returncode, 0, r.stderr)
            lines = r.stdout.splitlines()
            self.assertEqual(lines[0].split()[:3], ["ID", "NAME", "USER"])
            row = [l.split() for l in lines[1:]
                   if l.startswith(s.framework_id)]
            self.assertEqual(row[0][:6], [s.framework_id, "cli-ps", "root",
                                          "true", "true", "1"])
            r = corral("frameworks", "--json", "--master", self.m)
            fws = {f["id"]: f for f in json.loads(r.stdout)}
            self.assertEqual(fws[s.framework_id]["name"], "cli-ps")
            # CORRAL_MASTER is the default master.
            r = corral("frameworks", "--json", env={"CORRAL_MASTER": self.m})
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn(s.framework_id,
                          [f["id"] for f in json.loads(r.stdout)])
        finally:
            s.call({"type": "TEARDOWN"})
            s.close()
        wait_for(lambda: "t-ps" not in corral("ps", "--master",
                                               self.m).stdout, 10,
                 "the torn-down task to leave `corral ps`")
        r = corral("ps", "--all", "--json", "--master", self.m)
        self.assertIn("t-ps", [t["id"] for t in json.loads(r.stdout)])

    def test_logs_of_finished_task(self):
        r = corral("execute", "--master", self.m, "--name", "t-logs",
                   "--command", "echo line-one; echo line-two; echo e >&2")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = corral("logs", "t-logs", "--master", self.m)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "line-one\nline-two\n")
        r = corral("logs", "t-logs", "stderr", "--master", self.m)
        self.assertEqual(r.returncode, 0, r.stderr)
        # The command executor logs to the sandbox stderr too.
        self.assertIn("e", r.stdout.splitlines())
        r = corral("logs", "no-such-task", "--master", self.m)
        self.assert_usage_error(r, "no-such-task")

    def test_bad_arguments_exit_1_with_one_line(self):
        m = ["--master", self.m]
        for args, word in [
                (["bogus"], "bogus"),
                (["execute"] + m, "--command"),
                (["execute", "--command", "x", "--instances", "0"] + m,
                 "--instances"),
                (["execute", "--command", "x", "--instances", "abc"] + m,
                 "--instances"),
                (["execute", "--command", "x", "--resources", "cpus:z"] + m,
                 "--resources"),
                (["execute", "--command", "x", "--kill_after", "3parsecs"]
                 + m, "--kill_after"),
                (["ps", "--bogus"] + m, "--bogus"),
                (["agents", "extra"] + m, "extra"),
                (["logs"] + m, "TASK"),
                (["logs", "t", "stdlog"] + m, "stdlog"),
                (["local", "--agents", "0"], "--agents"),
                # A malformed --master is a usage error, for every command.
                (["ps", "--master", "127.0.0.1:99999"], "--master"),
                (["frameworks", "--master", ":"], "--master"),
                (["logs", "t", "--master", "127.0.0.1:x"], "--master"),
                (["execute", "--command", "x", "--master",
                  "127.0.0.1:99999"], "--master")]:
            self.assert_usage_error(corral(*args), word)
        r = corral("--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("execute", r.stdout)
        r = corral()  # no command at all: the usage, on stderr
        self.assertEqual((r.returncode, r.stdout), (1, ""))
        self.assertIn("Usage: corral <command>", r.stderr)


class Local(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="corral-it-local-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def start(self):
        ready = os.path.join(self.dir, "ready")
        p = Proc("local", [CORRAL, "local", "--agents", "2", "--work_dir",
                           os.path.join(self.dir, "w"), "--port", "0",
                           "--resources", "cpus:2;mem:512;disk:512",
                           "--ready_file", ready], self.dir)
        self.addCleanup(self.kill_all, p)
        self.procs = []

        def addr():  # written atomically once the agents registered
            if not p.alive():
                raise AssertionError("corral local exited:\n" + p.output())
            return read_file(ready)
        master = wait_for(addr, 30, "corral local to be ready")
        self.procs = children(p.pid)
        return p, master

    def kill_all(self, p):
        for pid in self.procs + [p.pid] + executor_pids(self.dir):
            if pid_gone(pid):
                continue
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        p.stop()
        reports = sanitizer_reports(self.dir)
        if reports:
            raise AssertionError("sanitizer report:\n" + reports)

    def test_local_cluster_runs_tasks_and_stops_children_on_sigint(self):
        p, master = self.start()
        self.assertEqual(len(self.procs), 4,
                         "a master, two agents and a dispatcher")
        r = corral("execute", "--master", master, "--command", "echo hi",
                   "--quiet")
        self.assertEqual((r.returncode, r.stdout), (0, "hi\n"), r.stderr)
        r = corral("agents", "--json", "--master", master)
        self.assertEqual(len(json.loads(r.stdout)), 2)
        p.send_signal(signal.SIGINT)
        self.assertEqual(p.p.wait(timeout=20 * MULT), 0, p.output())
        for pid in self.procs:
            self.assertTrue(pid_gone(pid), "child %d still running" % pid)

    def test_sigint_also_stops_checkpointed_tasks(self):
        p, master = self.start()
        port = int(master.rsplit(":", 1)[1])
        s = Scheduler(port, name="ckpt", checkpoint=True,
                      failover_timeout=3600)
        pidfile = os.path.join(self.dir, "task.pid")
        try:
            offer = s.offers()[0]
            s.launch(offer, [command_task(
                offer, "t-ckpt", "echo $$ > %s; exec sleep 300" % pidfile)])
            s.update("t-ckpt", states={"TASK_RUNNING"})
            task_pid = wait_for(lambda: read_file(pidfile), 10,
                                "the task to write its pid")
            task_pid = int(task_pid)
            self.procs.append(task_pid)
        finally:
            s.close()
        p.send_signal(signal.SIGINT)
        self.assertEqual(p.p.wait(timeout=20 * MULT), 0, p.output())
        # Agents leave executors of checkpointing frameworks running for
        # their successor; a local cluster stops with its tasks.
        wait_for(lambda: pid_gone(task_pid), 10,
                 "the checkpointed task to be killed")

    def test_master_death_stops_the_cluster(self):
        p, _ = self.start()
        master_pid = [pid for pid in self.procs
                      if "corral-master" in read_file("/proc/%d/cmdline"
                                                      % pid)]
        self.assertEqual(len(master_pid), 1)
        os.kill(master_pid[0], signal.SIGKILL)
        self.assertEqual(p.p.wait(timeout=20 * MULT), 2, p.output())
        self.assertIn("corral-master killed by signal 9", p.output())
        for pid in self.procs:
            self.assertTrue(pid_gone(pid), "child %d still running" % pid)

    def test_children_die_with_a_killed_local(self):
        p, _ = self.start()
        p.send_signal(signal.SIGKILL)
        p.p.wait()
        wait_for(lambda: all(pid_gone(pid) for pid in self.procs), 20,
                 "the children of a killed corral local to exit")


if __name__ == "__main__":
    run()
