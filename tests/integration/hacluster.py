# SPDX-License-Identifier: Apache-2.0
"""A real ZooKeeper ensemble (scripts/zk-ensemble.sh) and masters running
with --zk, for the high-availability tests."""
import json
import os
import shutil
import subprocess
import tempfile

from harness import (BIN, CLOSED_LOGS, SANITIZER_MARKS, Proc, http_json,
                     read_port, wait_for)

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                      "..", "scripts", "zk-ensemble.sh")


class ZooKeeper:
    def __init__(self, workdir, nodes=1):
        self.dir = os.path.join(workdir, "zk")
        out = subprocess.run(["bash", SCRIPT, "start", self.dir, str(nodes),
                              "--owner", str(os.getpid())],
                             capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            raise AssertionError("cannot start ZooKeeper (%d): %s%s" %
                                 (out.returncode, out.stdout, out.stderr))
        with open(os.path.join(self.dir, "connect")) as f:
            self.connect = f.read().strip()

    def url(self, path="/corral"):
        return "zk://%s%s" % (self.connect, path)

    def stop(self):
        subprocess.run(["bash", SCRIPT, "stop", self.dir],
                       capture_output=True, timeout=60)


class HACluster:
    """N masters contending through one ZooKeeper."""

    def __init__(self, masters=3, zk_nodes=1, master_flags=(),
                 session_timeout="2secs"):
        self.dir = tempfile.mkdtemp(prefix="corral-ha-")
        self.procs = []
        self.masters = []
        self.zk = None
        self.flags = ["--quorum=%d" % (masters // 2 + 1),
                      "--zk_session_timeout=" + session_timeout]
        self.flags += list(master_flags)
        try:
            self.zk = ZooKeeper(self.dir, zk_nodes)
            for i in range(masters):
                self.start_master(i)
        except BaseException:
            self.close()
            raise

    def start_master(self, i, port=0):
        ready = os.path.join(self.dir, "master%d.port" % i)
        if os.path.exists(ready):
            os.unlink(ready)
        argv = [os.path.join(BIN, "corral-master"), "--ip=127.0.0.1",
                "--port=%d" % port, "--ready_file=" + ready,
                "--zk=" + self.zk.url(),
                "--work_dir=" + os.path.join(self.dir, "master%d" % i)]
        p = Proc("master%d" % i, argv + self.flags, self.dir)
        p.port = read_port(ready, p)
        self.procs.append(p)
        if i < len(self.masters):
            self.masters[i] = p
        else:
            self.masters.append(p)
        return p

    def metrics(self, p):
        st, _, body = http_json("GET", "127.0.0.1", p.port,
                                "/metrics/snapshot")
        assert st == 200, st
        return json.loads(body)

    def leaders(self, exclude=None):
        """Live masters that say they lead (exclude: one not to ask, e.g.
        a paused one)."""
        return [p for p in self.masters
                if p.alive() and p is not exclude and
                self.metrics(p)["master/elected"] == 1]

    def leader(self, secs=20, exclude=None):
        """Wait until exactly one live master (other than exclude) leads;
        return it."""
        def one():
            ls = self.leaders(exclude)
            return ls[0] if len(ls) == 1 else None
        return wait_for(one, secs, "exactly one leading master")

    def close(self):
        for p in self.procs:
            try:
                p.stop()
            except Exception:
                pass
        if self.zk:
            self.zk.stop()
        logs = "\n".join("== %s ==\n%s" % (p.name, p.output())
                         for p in self.procs)
        CLOSED_LOGS.append(logs)
        if not os.environ.get("CR_KEEP_TMP"):
            shutil.rmtree(self.dir, ignore_errors=True)
        bad = [m for m in SANITIZER_MARKS if m in logs]
        if bad:
            raise AssertionError("sanitizer report in daemon logs:\n" +
                                 logs[-20000:])
