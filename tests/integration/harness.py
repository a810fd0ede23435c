# SPDX-License-Identifier: Apache-2.0
"""Integration-test harness: real corral binaries on loopback.

A Cluster starts corral-master and corral-agent processes on free ports
(each daemon binds port 0 and writes the bound port to a --ready_file),
in a private temporary directory, and kills every process it started by
pid at teardown. A Scheduler speaks the v1 scheduler API over HTTP the way
any third-party framework would: one streaming SUBSCRIBE whose RecordIO
events are read on a thread, and calls as separate POSTs.

Nothing here sleeps in place of a condition: waits poll with a deadline
(scaled by CR_TEST_TIMEOUT_MULT for sanitizer builds).
"""
import http.client
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request

CLOSED_LOGS = []
# A sanitizer build's daemons report here; any report fails the test.
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                   "runtime error:")
BIN = os.environ.get("CR_BIN_DIR", os.path.join(os.getcwd(), "bin"))
MULT = float(os.environ.get("CR_TEST_TIMEOUT_MULT", "1"))


def deadline(secs):
    return time.monotonic() + secs * MULT


def wait_for(pred, secs=10, what="condition"):
    end = deadline(secs)
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.02)
    raise AssertionError("timed out waiting for " + what)


def http_json(method, host, port, path, body=None, headers=None, timeout=10):
    """One request; returns (status, headers dict, body bytes)."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout * MULT)
    hdrs = {"Content-Type": "application/json"} if body is not None else {}
    hdrs.update(headers or {})
    data = body if isinstance(body, (bytes, type(None))) else json.dumps(body)
    conn.request(method, path, body=data, headers=hdrs)
    resp = conn.getresponse()
    out = resp.read()
    h = {k.lower(): v for k, v in resp.getheaders()}
    conn.close()
    return resp.status, h, out


class Proc:
    def __init__(self, name, argv, workdir, env=None):
        self.name = name
        self.argv = argv
        self.log_path = os.path.join(workdir, name + ".log")
        self.log = open(self.log_path, "ab")
        e = dict(os.environ)
        e.update(env or {})
        for k in [k for k, v in e.items() if v is None]:
            del e[k]  # env={"NAME": None} unsets NAME
        self.p = subprocess.Popen(argv, stdout=self.log, stderr=self.log,
                                  stdin=subprocess.DEVNULL, env=e,
                                  start_new_session=True)
        self.pid = self.p.pid

    def alive(self):
        return self.p.poll() is None

    def send_signal(self, sig):
        if self.alive():
            os.kill(self.pid, sig)

    def stop(self, sig=signal.SIGTERM, secs=10):
        if self.alive():
            os.kill(self.pid, sig)
            try:
                self.p.wait(timeout=secs * MULT)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.p.wait()
        self.log.close()
        return self.p.returncode

    def kill9(self):
        return self.stop(signal.SIGKILL)

    def output(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")


def read_port(path, proc, secs=15):
    def ready():
        if not proc.alive():
            raise AssertionError("%s exited early:\n%s" % (proc.name,
                                                           proc.output()))
        try:
            with open(path) as f:  # the first line (a dispatcher adds one)
                return int(f.readline().strip())
        except (OSError, ValueError):
            return None
    return wait_for(ready, secs, proc.name + " to listen")


def sanitizer_reports(top):
    """Sanitizer reports in files under top that daemons and executors
    write (sandbox stderr, *.log), as one text ("" if none)."""
    out = []
    for root, _dirs, files in os.walk(top):
        for name in files:
            if name != "stderr" and not name.endswith(".log"):
                continue
            path = os.path.join(root, name)
            try:
                with open(path, "rb") as f:
                    text = f.read().decode(errors="replace")
            except OSError:
                continue
            if any(m in text for m in SANITIZER_MARKS):
                out.append("== %s ==\n%s" % (path, text[-20000:]))
    return "\n".join(out)


def executor_pids(top):
    """Pids of the executors agents under top have checkpointed."""
    pids = []
    for root, _dirs, files in os.walk(top):
        if "forked.pid" in files:
            try:
                with open(os.path.join(root, "forked.pid")) as f:
                    pids.append(int(f.read().strip()))
            except (OSError, ValueError):
                pass
    return pids


class Cluster:
    def __init__(self, agents=1, master_flags=(), agent_flags=(),
                 resources="cpus:4;mem:4096;disk:4096;ports:[31000-32000]"):
        self.dir = tempfile.mkdtemp(prefix="corral-it-")
        self.procs = []
        self.agents = []
        self.master_flags = list(master_flags)
        self.agent_flags = list(agent_flags)
        self.resources = resources
        self.master = None
        self.master_port = None
        try:
            self.start_master()
            for i in range(agents):
                self.start_agent(i)
            wait_for(lambda: len(self.state()["slaves"]) >= agents, 15,
                     "agents to register")
        except BaseException:
            self.close()
            raise

    # -- processes ----------------------------------------------------------
    def start_master(self, port=0):
        ready = os.path.join(self.dir, "master.port")
        if os.path.exists(ready):
            os.unlink(ready)
        argv = [os.path.join(BIN, "corral-master"), "--ip=127.0.0.1",
                "--port=%d" % port, "--ready_file=" + ready,
                "--work_dir=" + os.path.join(self.dir, "master")]
        argv += self.master_flags
        self.master = Proc("master", argv, self.dir)
        self.procs.append(self.master)
        self.master_port = read_port(ready, self.master)
        return self.master

    def start_agent(self, i, extra=()):
        ready = os.path.join(self.dir, "agent%d.port" % i)
        if os.path.exists(ready):
            os.unlink(ready)
        work = os.path.join(self.dir, "agent%d" % i)
        argv = [os.path.join(BIN, "corral-agent"), "--ip=127.0.0.1",
                "--port=0", "--ready_file=" + ready,
                "--master=127.0.0.1:%d" % self.master_port,
                "--work_dir=" + work, "--resources=" + self.resources]
        argv += self.agent_flags + list(extra)
        p = Proc("agent%d" % i, argv, self.dir)
        self.procs.append(p)
        p.port = read_port(ready, p)
        if i < len(self.agents):
            self.agents[i] = p
        else:
            self.agents.append(p)
        return p

    def close(self):
        for p in self.procs:
            try:
                p.stop()
            except Exception:
                pass
        # Executors run in their own sessions: kill any left by pid.
        for pid in self.executor_pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        logs = self.logs() + sanitizer_reports(self.dir)
        CLOSED_LOGS.append(logs)
        bad = [m for m in SANITIZER_MARKS if m in logs]
        if os.environ.get("CR_KEEP_TMP"):
            print("kept", self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
        if bad:
            raise AssertionError("sanitizer report in daemon logs (%s):\n%s"
                                 % (", ".join(bad), logs[-20000:]))

    def executor_pids(self):
        return executor_pids(self.dir)

    # -- queries ------------------------------------------------------------
    def get(self, path, port=None):
        return http_json("GET", "127.0.0.1", port or self.master_port, path)

    def state(self):
        st, _, body = self.get("/master/state")
        assert st == 200, st
        return json.loads(body)

    def logs(self):
        return "\n".join("== %s ==\n%s" % (p.name, p.output())
                         for p in self.procs)


class Scheduler:
    """A v1 HTTP scheduler, written from the protocol alone."""

    def __init__(self, port, name="it", roles=None, failover_timeout=0,
                 framework_id=None, capabilities=(), checkpoint=True,
                 host="127.0.0.1", auto_ack=True):
        self.host, self.port = host, port
        self.auto_ack = auto_ack
        self.events = queue.Queue()
        self.seen = []
        self.backlog = []
        info = {"user": "root", "name": name,
                "failover_timeout": failover_timeout,
                "checkpoint": checkpoint,
                "capabilities": [{"type": c} for c in capabilities]}
        if roles:
            info["roles"] = roles
            info["capabilities"].append({"type": "MULTI_ROLE"})
        if framework_id:
            info["id"] = {"value": framework_id}
        call = {"type": "SUBSCRIBE", "subscribe": {"framework_info": info}}
        if framework_id:
            call["framework_id"] = {"value": framework_id}
        self.conn = http.client.HTTPConnection(host, port, timeout=30 * MULT)
        self.conn.request("POST", "/api/v1/scheduler", body=json.dumps(call),
                          headers={"Content-Type": "application/json",
                                   "Accept": "application/json"})
        self.resp = self.conn.getresponse()
        self.status = self.resp.status
        if self.status != 200:
            self.error = self.resp.read()
            return
        self.stream_id = self.resp.getheader("Mesos-Stream-Id")
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        sub = self.next("SUBSCRIBED")
        self.framework_id = sub["subscribed"]["framework_id"]["value"]

    def _read(self):
        try:
            while True:
                line = b""
                while not line.endswith(b"\n"):
                    c = self.resp.read(1)
                    if not c:
                        raise EOFError
                    line += c
                n = int(line.strip())
                ev = json.loads(self.resp.read(n))
                # A well-behaved framework acknowledges every update that
                # carries a uuid once it has handled it.
                if self.auto_ack and ev["type"] == "UPDATE" and \
                        "uuid" in ev["update"]["status"]:
                    self.ack(ev["update"]["status"])
                self.events.put(ev)
        except Exception:
            self.events.put({"type": "__CLOSED__"})

    def next(self, type_=None, secs=15, pred=None):
        """Return the next event of type_ (others are kept in self.seen).
        UPDATE events passed over are kept in self.backlog and looked at
        first by later waits for an UPDATE: updates of several tasks may
        come in any order."""
        if type_ == "UPDATE":
            for i, ev in enumerate(self.backlog):
                if pred is None or pred(ev):
                    return self.backlog.pop(i)
        end = deadline(secs)
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError("no %s event within %ss; saw %s" %
                                     (type_, secs, [e["type"] for e in
                                                    self.seen[-20:]]))
            try:
                ev = self.events.get(timeout=left)
            except queue.Empty:
                continue
            self.seen.append(ev)
            if ev["type"] == "__CLOSED__" and type_ != "__CLOSED__":
                raise AssertionError("stream closed while waiting for %s"
                                     % type_)
            if type_ is None or (ev["type"] == type_ and
                                 (pred is None or pred(ev))):
                return ev
            if ev["type"] == "UPDATE":
                self.backlog.append(ev)

    def call(self, body, stream_id=None):
        body.setdefault("framework_id", {"value": self.framework_id})
        st, h, out = http_json("POST", self.host, self.port,
                               "/api/v1/scheduler", body,
                               {"Mesos-Stream-Id":
                                stream_id or self.stream_id})
        return st, out

    # -- conveniences -------------------------------------------------------
    def offers(self, secs=15):
        return self.next("OFFERS", secs)["offers"]["offers"]

    def launch(self, offer, tasks, filters=None):
        acc = {"offer_ids": [offer["id"]],
               "operations": [{"type": "LAUNCH",
                               "launch": {"task_infos": tasks}}]}
        if filters is not None:
            acc["filters"] = filters
        return self.call({"type": "ACCEPT", "accept": acc})

    def update(self, task_id=None, secs=20, ack=False, states=None):
        def match(ev):
            s = ev["update"]["status"]
            if task_id and s["task_id"]["value"] != task_id:
                return False
            return states is None or s["state"] in states
        ev = self.next("UPDATE", secs, match)
        status = ev["update"]["status"]
        if ack and not self.auto_ack and "uuid" in status:
            self.ack(status)
        return status

    def reconciled(self, task_id, secs=20):
        """The next reconciliation answer (master-generated) for task_id."""
        def match(ev):
            st = ev["update"]["status"]
            return st["task_id"]["value"] == task_id and \
                st.get("reason") == "REASON_RECONCILIATION"
        return self.next("UPDATE", secs, match)["update"]["status"]

    def ack(self, status):
        st, out = self.call({"type": "ACKNOWLEDGE", "acknowledge": {
            "agent_id": status["agent_id"], "task_id": status["task_id"],
            "uuid": status["uuid"]}})
        assert st == 202, (st, out)

    def wait_terminal(self, task_id, secs=30):
        """Wait for a terminal update of task_id. Returns it and the list
        of distinct updates seen for the task (redeliveries of one uuid,
        which at-least-once delivery allows, are counted once)."""
        terminal = {"TASK_FINISHED", "TASK_FAILED", "TASK_KILLED",
                    "TASK_LOST", "TASK_ERROR", "TASK_DROPPED", "TASK_GONE"}
        seen, uuids = [], set()
        while True:
            s = self.update(task_id, secs, ack=True)
            if s.get("uuid") in uuids:
                continue
            if "uuid" in s:
                uuids.add(s["uuid"])
            seen.append(s["state"])
            if s["state"] in terminal:
                return s, seen

    def close(self):
        try:
            # shutdown() wakes the reader thread and sends FIN; close()
            # alone would not while a recv() is in progress.
            self.conn.sock.shutdown(socket.SHUT_RDWR)
        except Exception:
            pass
        try:
            self.resp.close()
            self.conn.close()
        except Exception:
            pass


def command_task(offer, task_id, cmd, cpus=0.1, mem=32, **extra):
    role = offer.get("allocation_info", {}).get("role", "*")
    t = {"name": task_id, "task_id": {"value": task_id},
         "agent_id": offer["agent_id"],
         "resources": [
             {"name": "cpus", "type": "SCALAR", "scalar": {"value": cpus},
              "allocation_info": {"role": role}},
             {"name": "mem", "type": "SCALAR", "scalar": {"value": mem},
              "allocation_info": {"role": role}}],
         "command": {"shell": True, "value": cmd}}
    t.update(extra)
    return t


def run():
    """unittest.main that prints the daemons' logs when a test failed."""
    import sys
    import unittest
    prog = unittest.main(exit=False, verbosity=2)
    ok = prog.result.wasSuccessful()
    if not ok:
        for text in CLOSED_LOGS:
            sys.stderr.write(text[-20000:] + "\n")
    sys.exit(0 if ok else 1)
