// SPDX-License-Identifier: Apache-2.0
//
// dashboard.js: drives the master's web UI in headless Chromium for
// tests/integration/test_webui.py.
//   node dashboard.js <master url> <agent id> <task id> <expected stdout>
//                     <screenshot path> <profile dir> <timeout secs>
// Protocol on stdout (one line each): "READY" once the dashboard lists the
// agent and is live on the event stream (the test then launches the
// task); "OK" at the end. Any failure: "FAIL <reason>" and exit 1.
'use strict';
const {chromium} = require('playwright-core');

const [url, agentId, taskId, expected, shot, profile, secs] = process.argv.slice(2);
const timeout = Number(secs) * 1000;

async function main() {
  let ctx;
  try {
    ctx = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium', headless: true, timeout,
      viewport: {width: 1366, height: 900},
      args: ['--headless', '--no-sandbox', '--disable-gpu',
        '--disable-background-networking', '--disable-component-update',
        '--no-first-run', '--disable-sync'],
    });
  } catch (e) {
    throw new Error('cannot launch /usr/bin/chromium: ' + e.message);
  }
  const errors = [];
  try {
    const page = ctx.pages()[0] || await ctx.newPage();
    page.setDefaultTimeout(timeout);
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.evaluate(() => { window.__notReloaded = true; });
    await page.waitForSelector('#agents tbody tr[data-agent="' + agentId + '"]');
    await page.waitForSelector('#conn.live');
    console.log('READY');
    const row = '#tasks tbody tr[data-task="' + taskId + '"]';
    await page.waitForSelector(row);
    await page.waitForSelector(row + ' .state.TASK_FINISHED');
    if (!await page.evaluate(() => window.__notReloaded === true))
      throw new Error('the page reloaded');
    // Framework events re-read /master/state: the scheduler is listed.
    await page.waitForSelector('#frameworks tbody tr[data-framework]');
    await page.click(row + ' a[data-log="stdout"]');
    const frame = page.frameLocator('#log-frame');
    await frame.locator('body').filter({hasText: expected}).waitFor();
    await page.screenshot({path: shot, fullPage: true});
    if (errors.length) throw new Error('page errors: ' + errors.join('; '));
    console.log('OK');
  } finally {
    await ctx.close();
  }
}

main().then(() => process.exit(0), (e) => {
  console.log('FAIL ' + String(e && e.message || e).split('\n').join(' | '));
  process.exit(1);
});
