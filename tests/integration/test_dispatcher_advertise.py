# SPDX-License-Identifier: Apache-2.0
"""A master whose advertised address differs from the one it binds
(issue 4 item 5; reference spark-dispatcher.md §5.5): the master binds
127.0.0.2:<P> and advertises 127.0.0.3:<P2>, where a TCP forwarder in this
test relays P2 to P (a NAT/port mapping in miniature). Nobody is told the
bound port: agents, the dispatcher and the driver it launches reach the
master only through the advertised address, either given directly
(mesos://127.0.0.3:P2) or learnt from ZooKeeper (mesos://zk://...), where
the master publishes it. In both cases corral-dispatcher runs the
corral-sparkpi driver (itself a framework) to completion.

If this kernel cannot bind 127.0.0.2/127.0.0.3, both ends use 127.0.0.1
and only the ports differ."""
import glob
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import unittest

from harness import (BIN, MULT, SANITIZER_MARKS, Cluster, Proc, http_json,
                     read_port, run, wait_for)
from hacluster import ZooKeeper

CORRAL = os.path.join(BIN, "corral")
SPARKPI = os.path.join(BIN, "corral-sparkpi")


def loopback_pair():
    """(bind ip, advertised ip): two loopback aliases when available."""
    try:
        for ip in ("127.0.0.2", "127.0.0.3"):
            s = socket.socket()
            try:
                s.bind((ip, 0))
            finally:
                s.close()
        return "127.0.0.2", "127.0.0.3"
    except OSError:
        return "127.0.0.1", "127.0.0.1"


class Forwarder:
    """Accepts on (ip, any port) and relays each connection to target,
    byte for byte in both directions; counts the connections relayed."""

    def __init__(self, ip):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((ip, 0))
        self.sock.listen(64)
        self.ip, self.port = ip, self.sock.getsockname()[1]
        self.target = None
        self.relayed = 0
        self.lock = threading.Lock()
        self.conns = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            try:
                if self.target is None:
                    raise OSError("no target yet")
                u = socket.create_connection(self.target, timeout=5)
                u.settimeout(None)
            except OSError:
                c.close()
                continue
            with self.lock:
                self.relayed += 1
                self.conns += [c, u]
            for a, b in ((c, u), (u, c)):
                threading.Thread(target=self._pump, args=(a, b),
                                 daemon=True).start()

    @staticmethod
    def _pump(a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                b.sendall(data)
        except OSError:
            pass
        try:
            b.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        with self.lock:
            for s in self.conns:
                try:
                    s.close()
                except OSError:
                    pass


class AdvertisedCluster(Cluster):
    """A Cluster whose master binds bind_ip and advertises the forwarder;
    agents get the advertised address, or zk_url when given."""

    def __init__(self, bind_ip, fwd, zk_url=None):
        self.bind_ip, self.fwd, self.zk_url = bind_ip, fwd, zk_url
        super().__init__(agents=1)

    def start_master(self, port=0):
        ready = os.path.join(self.dir, "master.port")
        argv = [os.path.join(BIN, "corral-master"), "--ip=" + self.bind_ip,
                "--port=0", "--ready_file=" + ready,
                "--advertise_ip=" + self.fwd.ip,
                "--advertise_port=%d" % self.fwd.port,
                "--work_dir=" + os.path.join(self.dir, "master")]
        if self.zk_url:
            argv += ["--zk=" + self.zk_url, "--quorum=1",
                     "--zk_session_timeout=2secs"]
        else:
            argv += ["--registry=in_memory"]
        self.master = Proc("master", argv, self.dir)
        self.procs.append(self.master)
        self.master_port = read_port(ready, self.master)
        self.fwd.target = (self.bind_ip, self.master_port)
        return self.master

    def master_url(self):
        return self.zk_url or "%s:%d" % (self.fwd.ip, self.fwd.port)

    def start_agent(self, i, extra=()):
        ready = os.path.join(self.dir, "agent%d.port" % i)
        argv = [os.path.join(BIN, "corral-agent"), "--ip=127.0.0.1",
                "--port=0", "--ready_file=" + ready,
                "--master=" + self.master_url(),
                "--work_dir=" + os.path.join(self.dir, "agent%d" % i),
                "--resources=" + self.resources]
        p = Proc("agent%d" % i, argv, self.dir)
        self.procs.append(p)
        p.port = read_port(ready, p)
        self.agents.append(p)
        return p

    def get(self, path, port=None):  # the bound address: for the test only
        return http_json("GET", self.bind_ip, port or self.master_port, path)

    def state(self):
        st, _, body = self.get("/master/state")
        assert st == 200, (st, body)
        return json.loads(body)


def start_dispatcher(workdir, master):
    ready = os.path.join(workdir, "dispatcher.port")
    argv = [os.path.join(BIN, "corral-dispatcher"), "--host", "127.0.0.1",
            "--port", "0", "--webui-port", "0", "--ready-file", ready,
            "--master", master,
            "--name", "adv-dispatcher"]
    p = Proc("dispatcher", argv, workdir, env={"SPARK_HOME": None})
    p.port = read_port(ready, p)
    return p


class AdvertisedMasterTest(unittest.TestCase):
    def run_pi(self, zk):
        bind_ip, adv_ip = loopback_pair()
        fwd = Forwarder(adv_ip)
        self.addCleanup(fwd.close)
        zk_url = None
        if zk:
            zdir = tempfile.mkdtemp(prefix="corral-adv-zk-")
            self.addCleanup(shutil.rmtree, zdir, True)
            keeper = ZooKeeper(zdir)
            self.addCleanup(keeper.stop)
            zk_url = keeper.url("/corral")
        c = AdvertisedCluster(bind_ip, fwd, zk_url)
        self.addCleanup(c.close)

        # The master tells everyone the advertised address, not its own.
        st = c.state()
        adv = "%s:%d" % (fwd.ip, fwd.port)
        self.assertEqual(st["pid"], "master@" + adv)
        self.assertNotEqual((bind_ip, c.master_port), (fwd.ip, fwd.port))
        if zk:
            self.assertEqual(st.get("leader"), "master@" + adv)

        disp = start_dispatcher(c.dir, "mesos://" + c.master_url())
        c.procs.append(disp)
        wait_for(lambda: any(f["name"] == "adv-dispatcher"
                             for f in c.state()["frameworks"]), 30,
                 "the dispatcher to subscribe through " + adv)
        relayed_before = fwd.relayed

        r = subprocess.run(
            [CORRAL, "submit", "--master", "mesos://127.0.0.1:%d" % disp.port,
             "--deploy-mode", "cluster", "--name", "pi", "--wait", SPARKPI,
             "2"], capture_output=True, text=True, stdin=subprocess.DEVNULL,
            timeout=120 * MULT)
        self.assertFalse([m for m in SANITIZER_MARKS if m in r.stderr])
        sid = r.stdout.strip()
        run_dir = [p for p in glob.glob(os.path.join(
            c.dir, "agent0", "slaves", "*", "frameworks", "*", "executors",
            sid, "runs", "*")) if not p.endswith("/latest")]
        self.assertEqual(len(run_dir), 1, r.stderr)
        with open(os.path.join(run_dir[0], "stdout")) as f:
            out = f.read()
        with open(os.path.join(run_dir[0], "stderr")) as f:
            err = f.read()
        self.assertEqual(r.returncode, 0, r.stderr + err)
        self.assertIn("Pi is roughly 3.1", out, err)
        # Where the driver found the master (the agent's, today; the
        # dispatcher's -Dspark.master once it passes one): the same URL.
        self.assertRegex(err, r"master from [^\n]*: " +
                         re.escape(c.master_url()))
        # The agent, the dispatcher and then the driver went through the
        # forwarder: nothing else knows where the master is bound.
        self.assertGreaterEqual(relayed_before, 2)
        self.assertGreater(fwd.relayed, relayed_before)

    def test_advertised_address_given(self):
        self.run_pi(zk=False)

    def test_advertised_address_from_zookeeper(self):
        self.run_pi(zk=True)


if __name__ == "__main__":
    run()
