# SPDX-License-Identifier: Apache-2.0
"""A third-party framework written with Debian's mesos-go v1 library
(tests/integration/mesosgo/main.go, JSON codec) runs unchanged against
corral-master: it subscribes, launches command tasks from offers,
acknowledges every update, reconciles explicitly and implicitly, kills a
task, declines leftover offers and tears down.

The program is built offline in GOPATH mode from the Debian packages
golang-go and golang-github-mesos-mesos-go-dev (scripts/install-deps.sh
--gotest). Without them the test fails: it never skips.
"""
import glob
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

from harness import MULT, Cluster, Scheduler, run

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "mesosgo")
GOCODE = "/usr/share/gocode"
MESOS_GO = os.path.join(GOCODE, "src/github.com/mesos/mesos-go/api/v1/lib")
NTASKS = 3
INSTALL_HINT = ("install golang-go and golang-github-mesos-mesos-go-dev "
                "(scripts/install-deps.sh --gotest)")


def go_cache_dir():
    """CMake passes a cache under the build dir; otherwise one per source
    version under the temp dir, so a warm cache never serves stale code."""
    d = os.environ.get("CR_GOCACHE")
    if d:
        return d
    h = hashlib.sha256()
    for p in sorted(glob.glob(os.path.join(SRC, "*.go"))):
        with open(p, "rb") as f:
            h.update(f.read())
    return os.path.join(tempfile.gettempdir(),
                        "corral-gocache-" + h.hexdigest()[:16])


def build(out_dir):
    """Build the framework into out_dir offline; returns the binary path."""
    go = shutil.which("go")
    if go is None:
        raise AssertionError("the Go toolchain is not installed: " +
                             INSTALL_HINT)
    if not os.path.isdir(MESOS_GO):
        raise AssertionError("mesos-go v1 sources missing at %s: %s" %
                             (MESOS_GO, INSTALL_HINT))
    gopath = tempfile.mkdtemp(prefix="gopath-", dir=out_dir)
    env = dict(os.environ)
    env.update({
        "GO111MODULE": "off",        # GOPATH mode, Debian's packaged deps
        "GOPATH": gopath + os.pathsep + GOCODE,
        "GOCACHE": go_cache_dir(),
        "GOPROXY": "off",            # never the network
        "GOFLAGS": "",
        "GOENV": "off",
        "CGO_ENABLED": "0",
        "HOME": out_dir,
    })
    binary = os.path.join(out_dir, "mesosgo")
    p = subprocess.run([go, "build", "-o", binary, "."], cwd=SRC, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=240 * MULT)
    if p.returncode != 0:
        raise AssertionError("go build failed (%d):\n%s" %
                             (p.returncode, p.stdout.decode(errors="replace")))
    return binary


class MesosGoFramework(unittest.TestCase):
    def setUp(self):
        self.c = Cluster(agents=1)

    def tearDown(self):
        self.c.close()

    def test_mesos_go_framework_runs_unchanged(self):
        t0 = time.monotonic()
        binary = build(self.c.dir)
        built = time.monotonic()
        url = "http://127.0.0.1:%d/api/v1/scheduler" % self.c.master_port
        timeout = int(60 * MULT)
        p = subprocess.run([binary, "--master", url, "--tasks", str(NTASKS),
                            "--timeout", "%ds" % timeout],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout + 30)
        out = p.stdout.decode(errors="replace")
        err = p.stderr.decode(errors="replace")
        print("go build %.2fs, framework run %.2fs" %
              (built - t0, time.monotonic() - built))
        self.assertEqual(p.returncode, 0,
                         "framework failed:\n%s\n%s" % (out, err[-8000:]))
        m = re.search(r"^RESULT finished=(\d+) reconciled=ok "
                      r"explicit=(\w+) implicit=(\w+) killed=1 "
                      r"declined=(\d+) acks=(\d+)$", out, re.M)
        self.assertIsNotNone(m, "no RESULT line in:\n" + out)
        finished, explicit, implicit, declined, acks = m.groups()
        self.assertEqual(int(finished), NTASKS)
        # An acknowledged finished task is gone: a legacy framework hears
        # TASK_LOST, as from upstream. The sleeper is still running.
        self.assertEqual(explicit, "TASK_LOST")
        self.assertEqual(implicit, "TASK_RUNNING")
        self.assertGreaterEqual(int(declined), 1)
        # Every task sent at least STARTING/RUNNING-or-terminal updates,
        # each acknowledged once it carried a uuid.
        self.assertGreaterEqual(int(acks), 2 * (NTASKS + 1))

        # The master's view: the framework is gone after TEARDOWN and its
        # tasks completed the way the framework saw them.
        st = self.c.state()
        self.assertFalse([f for f in st["frameworks"]
                          if f["name"] == "mesos-go-compat"])
        done = [f for f in st["completed_frameworks"]
                if f["name"] == "mesos-go-compat"]
        self.assertEqual(len(done), 1, st["completed_frameworks"])
        states = sorted((t["id"], t["state"])
                        for t in done[0]["completed_tasks"])
        want = sorted([("mesos-go-task-%d" % i, "TASK_FINISHED")
                       for i in range(NTASKS)] +
                      [("mesos-go-sleeper", "TASK_KILLED")])
        self.assertEqual(states, want)
        self.assertEqual(done[0]["tasks"], [])
        self.assertEqual(done[0]["offers"], [])
        # SUBSCRIBE carried "capabilities":null: read as none.
        self.assertEqual(done[0]["capabilities"], [])

        # The echo tasks really ran: their sandboxes hold the greeting.
        for i in range(NTASKS):
            tid = "mesos-go-task-%d" % i
            paths = {os.path.realpath(p) for p in glob.glob(os.path.join(
                self.c.dir, "agent0", "slaves", "*", "frameworks", "*",
                "executors", tid, "runs", "*", "stdout"))}
            self.assertEqual(len(paths), 1, tid)
            with open(paths.pop()) as f:
                self.assertIn("hello-from-mesos-go " + tid, f.read())

    def test_null_fields_mean_unset(self):
        """mesos-go's JSON codec writes unset repeated fields as null
        (reconcile.tasks, command.uris, framework_info.capabilities);
        like stout, the master reads a null field as absent."""
        s = Scheduler(self.c.master_port, name="nulls")
        try:
            st, out = s.call({"type": "RECONCILE",
                              "reconcile": {"tasks": None}})
            self.assertEqual(st, 202, out)
            st, out = s.call({"type": "REVIVE", "revive": {"roles": None}})
            self.assertEqual(st, 202, out)
        finally:
            s.call({"type": "TEARDOWN"})
            s.close()


if __name__ == "__main__":
    run()
