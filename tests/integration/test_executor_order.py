# SPDX-License-Identifier: Apache-2.0
"""corral-executor sends its status updates in order, one at a time.

Each UPDATE is a separate POST; two in flight can reach the agent swapped,
and a framework then sees TASK_RUNNING after TASK_FINISHED (the master also
keeps the task alive, its acknowledged terminal update being "older" than
the latest). Here a fake agent holds its answer to the first UPDATE until
the executor has produced its last one, and checks that no other UPDATE
arrived meanwhile and that all arrive in the order they were made.
"""
import http.server
import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import unittest

from harness import BIN, MULT, SANITIZER_MARKS, run, wait_for


class FakeAgent(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.updates = []            # states, in arrival order
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.Lock()
        self.release_first = threading.Event()
        self.acks = queue.Queue()    # events for the executor's stream
        self.done = threading.Event()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def event(self, ev):
        data = json.dumps(ev).encode()
        rec = str(len(data)).encode() + b"\n" + data
        self.wfile.write(b"%x\r\n%s\r\n" % (len(rec), rec))
        self.wfile.flush()

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        call = json.loads(self.rfile.read(n))
        srv = self.server
        if call["type"] == "SUBSCRIBE":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Mesos-Stream-Id", "s-1")
            self.end_headers()
            self.event({"type": "SUBSCRIBED", "subscribed": {
                "container_id": {"value": "c-1"},
                "framework_info": {"user": "root", "name": "f"}}})
            self.event({"type": "LAUNCH", "launch": {"task": {
                "name": "t", "task_id": {"value": "t"},
                "agent_id": {"value": "a"},
                "command": {"shell": True, "value": "true"}}}})
            while not srv.done.is_set():
                try:
                    ev = srv.acks.get(timeout=0.1)
                except queue.Empty:
                    continue
                self.event(ev)
            self.wfile.write(b"0\r\n\r\n")
            return
        if call["type"] != "UPDATE":
            self.send_response(400)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        status = call["update"]["status"]
        with srv.lock:
            srv.in_flight += 1
            srv.max_in_flight = max(srv.max_in_flight, srv.in_flight)
            first = not srv.updates
            srv.updates.append(status["state"])
        if first:
            # Hold the first answer while the executor makes the others.
            srv.release_first.wait(30 * MULT)
        with srv.lock:
            srv.in_flight -= 1
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()
        srv.acks.put({"type": "ACKNOWLEDGED", "acknowledged": {
            "task_id": status["task_id"], "uuid": status["uuid"]}})


class ExecutorUpdateOrder(unittest.TestCase):
    def test_updates_are_sent_one_at_a_time_in_order(self):
        agent = FakeAgent()
        threading.Thread(target=agent.serve_forever, daemon=True).start()
        sandbox = tempfile.mkdtemp(prefix="corral-exec-order-")
        log = open(os.path.join(sandbox, "executor.log"), "wb")
        env = dict(os.environ)
        env.update({
            "MESOS_FRAMEWORK_ID": "f-1", "MESOS_EXECUTOR_ID": "t",
            "MESOS_AGENT_ENDPOINT": "127.0.0.1:%d" % agent.server_port,
            "MESOS_SANDBOX": sandbox, "MESOS_DIRECTORY": sandbox,
            "MESOS_CHECKPOINT": "0"})
        p = subprocess.Popen([os.path.join(BIN, "corral-executor")],
                             stdout=log, stderr=log, env=env,
                             stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            def executor_log():
                with open(log.name, "rb") as f:
                    return f.read().decode(errors="replace")
            # The executor has made every update once it logged the
            # terminal one; only then is the first answered.
            wait_for(lambda: "sending TASK_FINISHED" in executor_log(), 15,
                     "the executor to finish its task")
            with agent.lock:
                held = list(agent.updates)
            agent.release_first.set()
            wait_for(lambda: len(agent.updates) >= 3, 15,
                     "all updates to arrive")
            self.assertEqual(held, ["TASK_STARTING"], executor_log())
            self.assertEqual(agent.updates[:3], ["TASK_STARTING",
                                                 "TASK_RUNNING",
                                                 "TASK_FINISHED"])
            self.assertEqual(agent.max_in_flight, 1)
            # Every update acknowledged: the executor exits on its own.
            self.assertEqual(p.wait(timeout=15 * MULT), 0, executor_log())
            for mark in SANITIZER_MARKS:
                self.assertNotIn(mark, executor_log())
        finally:
            agent.release_first.set()
            agent.done.set()
            if p.poll() is None:
                p.kill()
                p.wait()
            log.close()
            agent.shutdown()
            agent.server_close()
            shutil.rmtree(sandbox, ignore_errors=True)


if __name__ == "__main__":
    run()
