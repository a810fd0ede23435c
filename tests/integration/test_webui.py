# SPDX-License-Identifier: Apache-2.0
"""The master's web UI in a real browser: headless Chromium (Debian's
/usr/bin/chromium) driven by playwright-core (tests/webui, installed with
npm ci into the test's temp dir). The dashboard lists the agent, shows a
task launched through the API appear and finish without a reload (event
stream), opens the task's sandbox through the master's /files proxy and
follows its stdout while the task runs (the browser never talks to the
agent). With a weight, a quota, a reservation and a maintenance window
set through POST /api/v1, the roles, maintenance, agent and registry views
show them; an open view re-reads what no event announces. A standby
master's UI names the leader and moves the browser to the leader's UI, on
the same view; its registry view shows ZooKeeper, --quorum and the
replicated log (a real ZooKeeper and two masters). Missing Chromium/Node
is a failure, not a skip (scripts/install-deps.sh --webui)."""
import json
import os
import shutil
import subprocess
import threading
import time
import unittest

from harness import (MULT, Cluster, Scheduler, command_task, http_json, run,
                     wait_for)

HERE = os.path.dirname(os.path.abspath(__file__))
WEBUI_TEST = os.path.join(HERE, "..", "webui")
CHROMIUM = "/usr/bin/chromium"
TIMEOUT = 60 * MULT


def check_tools(test):
    for tool in (CHROMIUM, shutil.which("node"), shutil.which("npm")):
        if not tool or not os.access(tool, os.X_OK):
            test.fail("web UI test needs Chromium at %s, node and npm: "
                      "run scripts/install-deps.sh --webui" % CHROMIUM)


def npm_ci(test, work):
    os.makedirs(work)
    for f in ("package.json", "package-lock.json", "dashboard.js",
              "standby.js", "roles.js", "lib.js"):
        shutil.copy(os.path.join(WEBUI_TEST, f), work)
    r = subprocess.run(["npm", "ci", "--no-audit", "--no-fund",
                        "--prefer-offline"], cwd=work,
                       capture_output=True, text=True, timeout=300 * MULT)
    test.assertEqual(r.returncode, 0, "npm ci failed:\n" + r.stderr)


class Node:
    """A node script whose stdout lines are read with a deadline; killed
    after 4 x TIMEOUT at the latest, so a hung browser cannot hang us."""

    def __init__(self, work, argv):
        self.p = subprocess.Popen(["node"] + argv, cwd=work,
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        self.timer = threading.Timer(4 * TIMEOUT, self.p.kill)
        self.timer.start()

    def expect(self, test, word):
        line = self.p.stdout.readline().strip()
        if line != word:
            out, err = self.finish()
            test.fail("expected %s from the browser, got %r %s\n%s"
                      % (word, line, out, err[-4000:]))

    def finish(self):
        try:
            return self.p.communicate()
        finally:
            self.timer.cancel()

    def kill(self):
        self.timer.cancel()
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()


def sandbox_dir(top, task_id):
    """The task's sandbox (latest run) under the agents' work dirs."""
    for root, _dirs, files in os.walk(top):
        # (not the checkpoint's twin under <work_dir>/meta: no stdout)
        if "/executors/%s/runs/" % task_id in root and "stdout" in files:
            return root
    return None


class WebUI(unittest.TestCase):
    def setUp(self):
        check_tools(self)
        self.c = Cluster(agents=1)
        self.s = None
        self.node = None

    def tearDown(self):
        if self.node:
            self.node.kill()
        if self.s:
            self.s.call({"type": "TEARDOWN"})
            self.s.close()
        self.c.close()

    def test_dashboard_live_task_and_sandbox(self):
        work = os.path.join(self.c.dir, "webui")
        npm_ci(self, work)
        shot = os.path.join(self.c.dir, "webui-dashboard.png")
        if os.environ.get("CR_WEBUI_SHOT"):
            shot = os.environ["CR_WEBUI_SHOT"]
        agent_id = self.c.state()["slaves"][0]["id"]
        task_id = "webui-task-1"
        first = "hello from the corral web ui"
        second = "and a second line, followed live"
        self.node = Node(work, [
            "dashboard.js", "http://127.0.0.1:%d/" % self.c.master_port,
            agent_id, task_id, first, second, shot,
            os.path.join(work, "profile"), str(int(TIMEOUT))])
        self.node.expect(self, "READY")
        self.s = Scheduler(self.c.master_port, name="webui")
        offer = self.s.offers()[0]
        # The task prints a line, waits (bounded) for the test to create
        # "go" in its sandbox, then prints another.
        cmd = ("echo '%s'; i=0; while [ ! -e go ] && [ $i -lt %d ]; do "
               "sleep 0.1; i=$((i+1)); done; echo '%s'"
               % (first, int(40 * TIMEOUT), second))
        st, out = self.s.launch(offer, [command_task(offer, task_id, cmd)])
        self.assertEqual(st, 202, out)
        self.node.expect(self, "FOLLOWING")
        sandbox = wait_for(lambda: sandbox_dir(self.c.dir, task_id), 10,
                           "the task's sandbox")
        open(os.path.join(sandbox, "go"), "w").close()
        out, err = self.node.finish()
        self.assertEqual(self.node.p.returncode, 0,
                         "browser check failed: %s\n%s" % (out, err[-4000:]))
        self.assertIn("OK", out)
        self.assertTrue(os.path.getsize(shot) > 0)


def scalar(name, value):
    return {name: {"value": value}}


class ViewsUI(unittest.TestCase):
    """Roles, maintenance, agent and registry views."""

    ROLE = "analytics"

    def setUp(self):
        check_tools(self)
        self.c = Cluster(agents=1)
        self.s = None
        self.node = None

    def tearDown(self):
        if self.node:
            self.node.kill()
        if self.s:
            self.s.call({"type": "TEARDOWN"})
            self.s.close()
        self.c.close()

    def operator(self, body, want=200):
        st, _, out = http_json("POST", "127.0.0.1", self.c.master_port,
                               "/api/v1", body, {"Accept": "application/json"})
        self.assertEqual(st, want, "%s: %s" % (body["type"], out))

    def configure(self, agent_id, machine):
        self.operator({"type": "UPDATE_WEIGHTS", "update_weights": {
            "weight_infos": [{"role": self.ROLE, "weight": 2.5}]}})
        self.operator({"type": "UPDATE_QUOTA", "update_quota": {
            "force": False, "quota_configs": [{
                "role": self.ROLE,
                "guarantees": dict(scalar("cpus", 1), **scalar("mem", 512)),
                "limits": dict(scalar("cpus", 2), **scalar("mem", 1024))}]}})
        res = [{"name": n, "type": "SCALAR", "scalar": {"value": v},
                "reservations": [{"type": "DYNAMIC", "role": self.ROLE,
                                  "principal": "ops"}]}
               for n, v in (("cpus", 1), ("mem", 256))]
        self.operator({"type": "RESERVE_RESOURCES", "reserve_resources": {
            "agent_id": {"value": agent_id}, "resources": res}}, 202)
        start = int((time.time() + 3600) * 1e9)
        self.operator({"type": "UPDATE_MAINTENANCE_SCHEDULE",
                       "update_maintenance_schedule": {"schedule": {
                           "windows": [{"machine_ids": [machine],
                                        "unavailability": {
                                            "start": {"nanoseconds": start},
                                            "duration": {"nanoseconds":
                                                         7200 * 10**9}}}]}}})

    def test_roles_maintenance_agent_and_registry_views(self):
        work = os.path.join(self.c.dir, "webui")
        npm_ci(self, work)
        shots = os.environ.get("CR_WEBUI_SHOTS") or os.path.join(
            self.c.dir, "shots")
        os.makedirs(shots, exist_ok=True)
        agent = self.c.state()["slaves"][0]
        ip = agent["pid"].split("@")[1].rsplit(":", 1)[0]
        machine = {"hostname": agent["hostname"], "ip": ip}
        self.configure(agent["id"], machine)
        # A task of the role: 0.1 unreserved CPU and 32 MB on top of the
        # reservation count toward its quota.
        self.s = Scheduler(self.c.master_port, name="webui-roles",
                           roles=[self.ROLE])
        offer = self.s.offers()[0]
        task_id = "roles-task-1"
        st, out = self.s.launch(offer, [command_task(
            offer, task_id, "sleep %d" % int(10 * TIMEOUT))])
        self.assertEqual(st, 202, out)
        self.s.update(task_id, states=["TASK_RUNNING"])
        expect = {
            "role": self.ROLE, "weight": "2.5", "new_weight": "4",
            "framework": "webui-roles",
            "guarantee": {"cpus": "1", "mem": "512 MB"},
            "limit": {"cpus": "2", "mem": "1.0 GB"},
            "consumed": {"cpus": "1.1", "mem": "288 MB"},
            "agent": agent["id"], "host": machine["hostname"],
            "ip": machine["ip"], "duration": "2h", "principal": "ops",
            "reserved": {"cpus": "1", "mem": "256 MB"}, "task": task_id,
            "leader": "127.0.0.1:%d" % self.c.master_port}
        expect_file = os.path.join(work, "expect.json")
        with open(expect_file, "w") as f:
            json.dump(expect, f)
        self.node = Node(work, [
            "roles.js", "http://127.0.0.1:%d/" % self.c.master_port,
            expect_file, shots, os.path.join(work, "profile"),
            str(int(TIMEOUT))])
        self.node.expect(self, "VIEWS")
        # Nothing in the event stream announces a weight: the open view
        # re-reads it.
        self.operator({"type": "UPDATE_WEIGHTS", "update_weights": {
            "weight_infos": [{"role": self.ROLE, "weight": 4}]}})
        self.node.expect(self, "POLLED")
        self.operator({"type": "START_MAINTENANCE",
                       "start_maintenance": {"machines": [machine]}})
        out, err = self.node.finish()
        self.assertEqual(self.node.p.returncode, 0,
                         "browser check failed: %s\n%s" % (out, err[-4000:]))
        self.assertIn("OK", out)
        for name in ("roles", "maintenance", "agent", "registry"):
            self.assertTrue(os.path.getsize(
                os.path.join(shots, name + ".png")) > 0)


class StandbyUI(unittest.TestCase):
    def test_standby_follows_the_leader(self):
        check_tools(self)
        from hacluster import HACluster
        c = HACluster(masters=2)
        node = None
        try:
            work = os.path.join(c.dir, "webui")
            npm_ci(self, work)
            leader = c.leader()
            standby = [p for p in c.masters if p is not leader][0]
            node = Node(work, [
                "standby.js", "http://127.0.0.1:%d/" % standby.port,
                "http://127.0.0.1:%d/" % leader.port, c.zk.url(), "2",
                os.path.join(work, "profile"), str(int(TIMEOUT))])
            out, err = node.finish()
            self.assertEqual(node.p.returncode, 0,
                             "browser check failed: %s\n%s"
                             % (out, err[-4000:]))
            self.assertIn("OK", out)
        finally:
            if node:
                node.kill()
            c.close()


if __name__ == "__main__":
    run()
