// SPDX-License-Identifier: Apache-2.0
//
// dashboard.js: drives the master's web UI in headless Chromium for
// tests/integration/test_webui.py.
//   node dashboard.js <master url> <agent id> <task id> <first line>
//                     <second line> <screenshot path> <profile dir>
//                     <timeout secs>
// Protocol on stdout (one line each):
//   "READY"     the dashboard lists the agent and is live on the event
//               stream (the test then launches the task, which prints
//               <first line> and waits for a file "go" in its sandbox);
//   "FOLLOWING" the task's sandbox is open in the UI, its stdout viewed
//               and followed, showing <first line> (the test then creates
//               "go": the task prints <second line> and finishes);
//   "OK"        the view followed the second line, stopped once the task
//               finished, and every request the page made went to the
//               master (sandbox files come through its /files proxy).
// Any failure: "FAIL <reason>" and exit 1.
'use strict';
const {launch, watch} = require('./lib');

const [url, agentId, taskId, first, second, shot, profile, secs] =
  process.argv.slice(2);
const timeout = Number(secs) * 1000;

// Wait until the file view's text is exactly want.
async function viewIs(page, want) {
  try {
    await page.waitForFunction((w) =>
      document.getElementById('sb-view').textContent === w, want);
  } catch (e) {
    const got = await page.textContent('#sb-view');
    throw new Error('file view shows ' + JSON.stringify(got) + ', expected ' +
      JSON.stringify(want));
  }
}

async function main() {
  const ctx = await launch(profile, timeout);
  try {
    const page = ctx.pages()[0] || await ctx.newPage();
    page.setDefaultTimeout(timeout);
    const seen = watch(page, new URL(url).origin);
    await page.goto(url);
    await page.evaluate(() => { window.__notReloaded = true; });
    await page.waitForSelector('#agents tbody tr[data-agent="' + agentId + '"]');
    await page.waitForSelector('#conn.live');
    console.log('READY');

    const row = '#tasks tbody tr[data-task="' + taskId + '"]';
    await page.waitForSelector(row + ' .state.TASK_RUNNING');
    // The sandbox listing, through the master.
    await page.click(row + ' a[data-sandbox=""]');
    const entry = (name) => '#sb-list tbody tr[data-path$="/' + name + '"]';
    await page.waitForSelector(entry('stdout'));
    await page.waitForSelector(entry('stderr'));
    await page.waitForSelector('#sb-task:text-is("' + taskId + '")');
    // Click stdout: it is viewed and followed while the task runs.
    await page.click(entry('stdout') + ' a[data-sb-file]');
    await viewIs(page, first + '\n');
    await page.waitForSelector('#sb-file-status:has-text("following")');
    console.log('FOLLOWING');

    // The second line arrives without any click, appended once.
    await viewIs(page, first + '\n' + second + '\n');
    await page.waitForSelector(row + ' .state.TASK_FINISHED');
    await page.waitForSelector('#sb-file[data-complete="true"]');
    await viewIs(page, first + '\n' + second + '\n');
    if (!await page.evaluate(() => window.__notReloaded === true))
      throw new Error('the page reloaded');
    // Framework events re-read /master/state: the scheduler is listed.
    await page.waitForSelector('#frameworks tbody tr[data-framework]');
    // The listing's download link goes through the master too.
    const href = await page.getAttribute(entry('stdout') + ' a[download]', 'href');
    if (!href.startsWith('/files/download?agent_id='))
      throw new Error('download link is ' + href);
    await page.screenshot({path: shot, fullPage: true});
    seen.check();
    console.log('OK');
  } finally {
    await ctx.close();
  }
}

main().then(() => process.exit(0), (e) => {
  console.log('FAIL ' + String(e && e.message || e).split('\n').join(' | '));
  process.exit(1);
});
