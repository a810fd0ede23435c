# SPDX-License-Identifier: Apache-2.0
"""The master's web UI in a real browser: headless Chromium (Debian's
/usr/bin/chromium) driven by playwright-core (tests/webui, installed with
npm ci into the test's temp dir). The dashboard lists the agent, shows a
task launched through the API appear and finish without a reload (event
stream), and shows the task's stdout read from the agent. Missing
Chromium/Node is a failure, not a skip (scripts/install-deps.sh --webui)."""
import os
import shutil
import subprocess
import threading
import unittest

from harness import MULT, Cluster, Scheduler, command_task, run

HERE = os.path.dirname(os.path.abspath(__file__))
WEBUI_TEST = os.path.join(HERE, "..", "webui")
CHROMIUM = "/usr/bin/chromium"
TIMEOUT = 60 * MULT


class WebUI(unittest.TestCase):
    def setUp(self):
        for tool in (CHROMIUM, shutil.which("node"), shutil.which("npm")):
            if not tool or not os.access(tool, os.X_OK):
                self.fail("web UI test needs Chromium at %s, node and npm: "
                          "run scripts/install-deps.sh --webui" % CHROMIUM)
        self.c = Cluster(agents=1)
        self.s = None
        self.node = None

    def tearDown(self):
        if self.node and self.node.poll() is None:
            self.node.kill()
            self.node.wait()
        if self.s:
            self.s.call({"type": "TEARDOWN"})
            self.s.close()
        self.c.close()

    def npm_ci(self, work):
        for f in ("package.json", "package-lock.json", "dashboard.js"):
            shutil.copy(os.path.join(WEBUI_TEST, f), work)
        r = subprocess.run(["npm", "ci", "--no-audit", "--no-fund",
                            "--prefer-offline"], cwd=work,
                           capture_output=True, text=True,
                           timeout=300 * MULT)
        self.assertEqual(r.returncode, 0, "npm ci failed:\n" + r.stderr)

    def test_dashboard_live_task_and_stdout(self):
        work = os.path.join(self.c.dir, "webui")
        os.makedirs(work)
        self.npm_ci(work)
        shot = os.path.join(self.c.dir, "webui-dashboard.png")
        if os.environ.get("CR_WEBUI_SHOT"):
            shot = os.environ["CR_WEBUI_SHOT"]
        agent_id = self.c.state()["slaves"][0]["id"]
        task_id = "webui-task-1"
        text = "hello from the corral web ui"
        self.node = subprocess.Popen(
            ["node", "dashboard.js", "http://127.0.0.1:%d/" % self.c.master_port,
             agent_id, task_id, text, shot, os.path.join(work, "profile"),
             str(int(TIMEOUT))],
            cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        # A hung browser must not hang the test.
        timer = threading.Timer(4 * TIMEOUT, self.node.kill)
        timer.start()
        try:
            first = self.node.stdout.readline().strip()
            if first != "READY":
                out, err = self.node.communicate()
                self.fail("dashboard did not load: %s %s\n%s"
                          % (first, out, err[-4000:]))
            self.s = Scheduler(self.c.master_port, name="webui")
            offer = self.s.offers()[0]
            st, out = self.s.launch(offer, [command_task(
                offer, task_id, "echo '%s'" % text)])
            self.assertEqual(st, 202, out)
            out, err = self.node.communicate()
        finally:
            timer.cancel()
        self.assertEqual(self.node.returncode, 0,
                         "browser check failed: %s\n%s" % (out, err[-4000:]))
        self.assertIn("OK", out)
        self.assertTrue(os.path.getsize(shot) > 0)


if __name__ == "__main__":
    run()
