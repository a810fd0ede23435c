// SPDX-License-Identifier: Apache-2.0
//
// dispatcher.js: drives corral-dispatcher's web UI in headless Chromium
// for tests/integration/test_dispatcher_ui.py.
//   node dispatcher.js <ui url> <driver id> <first line> <second line>
//                      <screenshot path> <profile dir> <timeout secs>
// Protocol on stdout (one line each):
//   "LISTED"    the drivers page lists the driver among the launched
//               drivers (refreshed by itself: the page is not reloaded);
//   "FOLLOWING" the driver's page (reached through its link) shows its
//               stdout, read through the dispatcher, ending with <first
//               line> (the test then lets the driver print <second line>
//               and finish);
//   "OK"        the page followed the second line, marked the output
//               complete once the driver finished, shows FINISHED with a
//               FINISHED entry in the state history and the sandbox links
//               to the master, the drivers page lists the driver as
//               finished, and every request went to the dispatcher.
// Any failure: "FAIL <reason>" and exit 1.
'use strict';
const {launch, watch} = require('./lib');

const [url, driverId, first, second, shot, profile, secs] =
  process.argv.slice(2);
const timeout = Number(secs) * 1000;

async function textIs(page, sel, want) {
  try {
    await page.waitForFunction(([s, w]) => {
      const e = document.querySelector(s);
      return e && e.textContent === w;
    }, [sel, want]);
  } catch (e) {
    const got = await page.evaluate((s) => {
      const el = document.querySelector(s);
      return el ? el.textContent : null;
    }, sel);
    throw new Error(sel + ' shows ' + JSON.stringify(got) + ', expected ' +
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
    const row = '#launched tbody tr[data-driver="' + driverId + '"]';
    await page.waitForSelector(row);
    await page.waitForSelector('#conn.live');
    if (!await page.evaluate(() => window.__notReloaded))
      throw new Error('the drivers page reloaded itself');
    console.log('LISTED');

    await page.click(row + ' td.id a');
    await page.waitForURL(/\/driver\?id=/);
    await page.waitForSelector('#d-state:text-is("RUNNING")');
    await textIs(page, '#log-view', first + '\n');
    console.log('FOLLOWING');

    await textIs(page, '#log-view', first + '\n' + second + '\n');
    await page.waitForSelector('#log-view[data-complete="true"]');
    await page.waitForSelector('#d-state:text-is("FINISHED")');
    await page.waitForSelector('#history tbody tr[data-state="QUEUED"]');
    await page.waitForSelector('#history tbody tr[data-state="LAUNCHED"]');
    await page.waitForSelector('#history tbody tr[data-state="FINISHED"]');
    const links = await page.evaluate(() => ({
      agent: document.querySelector('#sandbox-links a[data-agent]').href,
      stdout: document.querySelector('#sandbox-links a[data-master-file="stdout"]').href,
    }));
    if (!/\/#\/agents\//.test(links.agent))
      throw new Error('bad agent link ' + links.agent);
    if (!/\/files\/download\?agent_id=.+&path=\/frameworks\/.+\/stdout$/.test(links.stdout))
      throw new Error('bad stdout link ' + links.stdout);
    await page.screenshot({path: shot, fullPage: true});

    await page.click('a[href="/"]');
    await page.waitForSelector('#finished tbody tr[data-driver="' + driverId + '"]');
    seen.check();
    console.log('OK');
  } finally {
    await ctx.close();
  }
}

main().then(() => process.exit(0), (e) => {
  console.log('FAIL ' + e.message.split('\n')[0]);
  console.error(e.stack);
  process.exit(1);
});
