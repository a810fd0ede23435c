# SPDX-License-Identifier: Apache-2.0
"""A real ZooKeeper ensemble (scripts/zk-ensemble.sh) and masters running
with --zk, for the high-availability tests. With --zk the masters keep
their registry in the replicated log (the default registry); agents follow
the leader through zk:// (or are pointed at a master).

The log is sized as Mesos sizes it: --quorum=N means 2N-1 replicas, and a
new log initialises itself only once all of them answer. The masters get
--quorum=masters//2+1, so an even number of masters (2: the standby tests)
is one replica short: the cluster then also runs a spare master, started
last, as the log's missing replica. It is not in `masters`; being the last
to join the election, it would lead only once all the others are gone."""
import json
import os
import shutil
import subprocess
import tempfile

from harness import (BIN, CLOSED_LOGS, MULT, SANITIZER_MARKS, Proc,
                     executor_pids, http_json, read_port, sanitizer_reports,
                     wait_for)

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

    def stop_node(self, i):
        """SIGKILL server i (1-based) of the ensemble."""
        out = subprocess.run(["bash", SCRIPT, "stop-node", self.dir, str(i)],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stdout + out.stderr

    def stop(self):
        subprocess.run(["bash", SCRIPT, "stop", self.dir],
                       capture_output=True, timeout=60)


class HACluster:
    """N masters contending through one ZooKeeper."""

    def __init__(self, masters=3, zk_nodes=1, master_flags=(),
                 session_timeout="2secs", registry=None):
        self.dir = tempfile.mkdtemp(prefix="corral-ha-")
        self.procs = []
        self.masters = []
        self.spare = None
        self.agents = {}
        self.zk = None
        quorum = masters // 2 + 1
        self.flags = ["--quorum=%d" % quorum,
                      "--zk_session_timeout=" + session_timeout]
        if registry:
            self.flags.append("--registry=" + registry)
        self.flags += list(master_flags)
        try:
            self.zk = ZooKeeper(self.dir, zk_nodes)
            for i in range(masters):
                self.start_master(i)
            if (masters and masters < 2 * quorum - 1 and
                    registry in (None, "replicated_log")):
                self.spare = self._start("spare", 0, ())
        except BaseException:
            self.close()
            raise

    def _start(self, name, port, extra):
        ready = os.path.join(self.dir, name + ".port")
        if os.path.exists(ready):
            os.unlink(ready)
        argv = [os.path.join(BIN, "corral-master"), "--ip=127.0.0.1",
                "--port=%d" % port, "--ready_file=" + ready,
                "--zk=" + self.zk.url(),
                "--work_dir=" + os.path.join(self.dir, name)]
        p = Proc(name, argv + self.flags + list(extra), self.dir)
        p.port = read_port(ready, p)
        self.procs.append(p)
        return p

    def start_master(self, i, port=0, extra=()):
        p = self._start("master%d" % i, port, extra)
        if i < len(self.masters):
            self.masters[i] = p
        else:
            self.masters.append(p)
        return p

    def work_dir(self, i):
        return os.path.join(self.dir, "master%d" % i)

    def start_agent(self, name, master=None, extra=(), work_dir=None,
                    wait=True):
        """An agent following the leader through ZooKeeper (or master,
        "host:port"), with fast re-registration. wait: until it listens."""
        ready = os.path.join(self.dir, name + ".port")
        if os.path.exists(ready):
            os.unlink(ready)
        argv = [os.path.join(BIN, "corral-agent"), "--ip=127.0.0.1",
                "--port=0", "--ready_file=" + ready,
                "--master=" + (master or self.zk.url()),
                "--work_dir=" + (work_dir or os.path.join(self.dir, name)),
                "--resources=cpus:2;mem:1024;disk:1024",
                "--registration_backoff_factor=100ms",
                "--zk_session_timeout=4secs"] + list(extra)
        p = Proc(name, argv, self.dir)
        self.procs.append(p)
        if wait:
            p.port = read_port(ready, p)
        self.agents[name] = p
        return p

    def state(self, p):
        st, _, body = http_json("GET", "127.0.0.1", p.port, "/master/state")
        assert st == 200, st
        return json.loads(body)

    def registry(self, p):
        """The leader p's registry (GET /registrar(1)/registry)."""
        st, _, body = http_json("GET", "127.0.0.1", p.port,
                                "/registrar(1)/registry")
        assert st == 200, (st, body)
        return json.loads(body)

    def active_agent(self, p, agent_id=None):
        """The agent (its /master/state entry) active on master p, or
        None; with agent_id, that agent only."""
        for a in self.state(p)["slaves"]:
            if a.get("active") and agent_id in (None, a["id"]):
                return a
        return None

    def metrics(self, p):
        st, _, body = http_json("GET", "127.0.0.1", p.port,
                                "/metrics/snapshot")
        assert st == 200, st
        return json.loads(body)

    def leaders(self, exclude=None):
        """Live masters that say they lead (exclude: one not to ask, e.g.
        a paused one). A master that has exited is not asked; nor is one
        that is exiting (its HTTP server closes first), once it exits."""
        return [p for p in self.masters
                if p.alive() and p is not exclude and self._elected(p)]

    def _elected(self, p):
        try:
            return self.metrics(p)["master/elected"] == 1
        except (ConnectionRefusedError, ConnectionResetError):
            try:
                p.p.wait(timeout=10 * MULT)
            except subprocess.TimeoutExpired:
                raise AssertionError(
                    "%s refuses connections but does not exit:\n%s"
                    % (p.name, p.output()[-3000:]))
            return False

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
        for pid in executor_pids(self.dir):
            try:
                os.kill(pid, 9)
            except OSError:
                pass
        if self.zk:
            self.zk.stop()
        logs = "\n".join("== %s ==\n%s" % (p.name, p.output())
                         for p in self.procs)
        logs += sanitizer_reports(self.dir)
        CLOSED_LOGS.append(logs)
        if not os.environ.get("CR_KEEP_TMP"):
            shutil.rmtree(self.dir, ignore_errors=True)
        bad = [m for m in SANITIZER_MARKS if m in logs]
        if bad:
            raise AssertionError("sanitizer report in daemon logs:\n" +
                                 logs[-20000:])
