# SPDX-License-Identifier: Apache-2.0
"""The demo application end to end, without Spark: `corral submit`
sends corral-sparkpi to corral-dispatcher, which runs it as a driver task;
the driver is itself a framework (libcorral_scheduler) that runs its
slices as tasks, reads their counts from their sandboxes and prints
"Pi is roughly 3.14..." in its own sandbox. Also: a driver that cannot
use its master fails, and `corral submit --wait` says so; and `corral
local` starts a dispatcher the demo runs through, stopped on Ctrl-C with
the rest."""
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import unittest

from harness import (BIN, MULT, SANITIZER_MARKS, Cluster, Proc, read_port,
                     run, wait_for)

CORRAL = os.path.join(BIN, "corral")
SPARKPI = os.path.join(BIN, "corral-sparkpi")


def start_dispatcher(workdir, master):
    ready = os.path.join(workdir, "dispatcher.port")
    argv = [os.path.join(BIN, "corral-dispatcher"), "--host", "127.0.0.1",
            "--port", "0", "--webui-port", "0", "--ready-file", ready,
            "--master", master,
            "--name", "pi-dispatcher"]
    # Without SPARK_HOME the dispatcher runs the app itself (command mode).
    p = Proc("dispatcher", argv, workdir, env={"SPARK_HOME": None})
    p.port = read_port(ready, p)
    return p


def sandbox_file(top, executor_id, name, framework_id="*"):
    """The file name in the (only) sandbox of executor_id under top."""
    paths = glob.glob(os.path.join(top, "agent*", "slaves", "*",
                                   "frameworks", framework_id, "executors",
                                   executor_id, "runs", "*", name))
    paths = [p for p in paths if "/runs/latest/" not in p]
    if len(paths) != 1:
        return None
    with open(paths[0], "rb") as f:
        return f.read().decode(errors="replace")


class SparkPiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster(agents=1)
        try:
            cls.disp = start_dispatcher(
                cls.cluster.dir, "mesos://127.0.0.1:%d"
                % cls.cluster.master_port)
            cls.cluster.procs.append(cls.disp)
            wait_for(lambda: cls.dispatcher_framework(), 15,
                     "the dispatcher to register")
        except BaseException:
            cls.cluster.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.cluster.close()

    @classmethod
    def dispatcher_framework(cls):
        for f in cls.cluster.state()["frameworks"]:
            if f["name"] == "pi-dispatcher":
                return f["id"]
        return None

    def submit(self, *app, env=None, cwd=None):
        e = dict(os.environ)
        e.update(env or {})
        r = subprocess.run(
            [CORRAL, "submit", "--master",
             "mesos://127.0.0.1:%d" % self.disp.port, "--deploy-mode",
             "cluster", "--class", "org.apache.spark.examples.SparkPi",
             "--name", "pi", "--wait"] + list(app),
            capture_output=True, text=True, stdin=subprocess.DEVNULL,
            timeout=120 * MULT, env=e, cwd=cwd)
        self.assertFalse([m for m in SANITIZER_MARKS if m in r.stderr],
                         r.stderr)
        return r

    def test_relative_app_path_is_resolved(self):
        """As spark-submit, a relative path to a local application is sent
        absolute: the driver runs in a sandbox, not in this directory."""
        r = self.submit("./" + os.path.basename(SPARKPI), "2",
                        cwd=os.path.dirname(SPARKPI))
        sid = r.stdout.strip()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Pi is roughly 3.1",
                      sandbox_file(self.cluster.dir, sid, "stdout"))

    def test_sparkpi_through_the_dispatcher(self):
        r = self.submit(SPARKPI, "4")
        sid = r.stdout.strip()
        out = sandbox_file(self.cluster.dir, sid, "stdout")
        err = sandbox_file(self.cluster.dir, sid, "stderr")
        self.assertEqual(r.returncode, 0, "%s\n--- driver stderr ---\n%s"
                         % (r.stderr, err))
        self.assertRegex(sid, r"^driver-\d{14}-\d{4,}$")
        self.assertIn("Pi is roughly 3.1", out, err)

        # The driver was a framework of its own, with the id the
        # dispatcher gave it (Spark's <dispatcher fw>-<submission id>),
        # and ran its 4 slices as tasks that finished.
        fw_id = "%s-%s" % (self.dispatcher_framework(), sid)
        st = self.cluster.state()
        done = [f for f in st["completed_frameworks"] + st["frameworks"]
                if f["id"] == fw_id]
        self.assertEqual(len(done), 1, [f["id"] for f in
                                        st["completed_frameworks"]])
        slices = done[0]["completed_tasks"]
        self.assertEqual(sorted(t["id"] for t in slices),
                         ["slice-%d-1" % i for i in range(4)])
        self.assertEqual({t["state"] for t in slices}, {"TASK_FINISHED"})
        # Each slice printed its count in its own sandbox.
        for i in range(4):
            self.assertRegex(sandbox_file(self.cluster.dir,
                                          "slice-%d-1" % i, "stdout", fw_id),
                             r"sparkpi-slice %d: inside=\d+ of 100000" % i)

    def test_master_and_name_from_spark_submit_opts(self):
        # The client's SPARK_* variables reach the driver (reference
        # §2.4); the dispatcher appends the framework id to
        # SPARK_SUBMIT_OPTS, and the driver reads -Dspark.* from it.
        opts = "-Dspark.master=mesos://127.0.0.1:%d -Dspark.app.name=pi-opts" \
            % self.cluster.master_port
        r = self.submit(SPARKPI, "1", env={"SPARK_SUBMIT_OPTS": opts})
        sid = r.stdout.strip()
        err = sandbox_file(self.cluster.dir, sid, "stderr")
        self.assertEqual(r.returncode, 0, "%s\n%s" % (r.stderr, err))
        self.assertIn("master from -Dspark.master in SPARK_SUBMIT_OPTS", err)
        self.assertIn("Pi is roughly 3.1",
                      sandbox_file(self.cluster.dir, sid, "stdout"))
        st = self.cluster.state()
        fw = [f for f in st["completed_frameworks"] + st["frameworks"]
              if f["id"] == "%s-%s" % (self.dispatcher_framework(), sid)]
        self.assertEqual([f["name"] for f in fw], ["pi-opts"])

    def test_failed_driver_fails_the_submission(self):
        r = self.submit(SPARKPI, "--master", "spark://127.0.0.1:1", "2")
        self.assertEqual(r.returncode, 1, r.stderr)
        sid = r.stdout.strip()
        st = json.loads(subprocess.run(
            [CORRAL, "submit", "--master",
             "mesos://127.0.0.1:%d" % self.disp.port, "--status", sid],
            capture_output=True, text=True, timeout=30 * MULT).stdout)
        self.assertEqual((st["driverState"], st["mesosTaskState"]),
                         ("FINISHED", "TASK_FAILED"))
        self.assertIn("is not a Mesos master",
                      sandbox_file(self.cluster.dir, sid, "stderr"))


def child_pids(pid):
    """Pids whose parent is pid (from /proc)."""
    out = []
    for d in os.listdir("/proc"):
        try:
            with open("/proc/%s/stat" % d) as f:
                stat = f.read()
        except OSError:
            continue
        if d.isdigit() and int(stat[stat.rindex(")") + 2:].split()[1]) == pid:
            out.append(int(d))
    return out


def pid_gone(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except OSError:
        return True
    return stat[stat.rindex(")") + 2] == "Z"


class LocalDemoTest(unittest.TestCase):
    def test_corral_local_runs_the_demo(self):
        d = tempfile.mkdtemp(prefix="corral-it-demo-")
        self.addCleanup(shutil.rmtree, d, True)
        ready = os.path.join(d, "ready")
        work = os.path.join(d, "w")
        p = Proc("local", [CORRAL, "local", "--port", "0", "--work_dir", work,
                           "--resources", "cpus:4;mem:4096;disk:1024",
                           "--ready_file", ready], d,
                 env={"SPARK_HOME": None})
        pids = []

        def cleanup():
            for pid in pids:
                if not pid_gone(pid):
                    os.kill(pid, signal.SIGKILL)
            p.stop(signal.SIGKILL)
        self.addCleanup(cleanup)
        wait_for(lambda: os.path.exists(ready) or not p.alive(), 60,
                 "corral local to be ready")
        out = p.output()
        m = re.search(r"^dispatcher: (mesos://127\.0\.0\.1:\d+)$", out, re.M)
        self.assertTrue(m, out)
        pids += child_pids(p.pid)
        names = sorted(open("/proc/%d/comm" % pid).read().strip()
                       for pid in pids)
        self.assertEqual(names, ["corral-agent", "corral-dispatch",
                                 "corral-master"])
        r = subprocess.run(
            [CORRAL, "submit", "--master", m.group(1), "--deploy-mode",
             "cluster", "--wait", SPARKPI, "2"], capture_output=True,
            text=True, stdin=subprocess.DEVNULL, timeout=120 * MULT)
        sid = r.stdout.strip()
        self.assertEqual(r.returncode, 0, r.stderr + (sandbox_file(
            work, sid, "stderr") or ""))
        self.assertIn("Pi is roughly 3.1",
                      sandbox_file(work, sid, "stdout") or "")
        p.send_signal(signal.SIGINT)
        self.assertEqual(p.p.wait(timeout=30 * MULT), 0, p.output())
        for pid in pids:
            self.assertTrue(pid_gone(pid), "child %d still running" % pid)
        self.assertFalse([x for x in SANITIZER_MARKS if x in p.output()])


if __name__ == "__main__":
    run()
