// SPDX-License-Identifier: Apache-2.0
//
// standby.js: a standby master's web UI in headless Chromium, for
// tests/integration/test_webui.py.
//   node standby.js <standby url> <leader url> <zk url> <quorum>
//                   <profile dir> <timeout secs>
// The standby's registry view (#/registry) must say who leads and follow
// it: the browser ends up on the leader's UI, on the same view, live on
// its event stream; the view shows ZooKeeper, --quorum and the replicated
// log's metrics; the dashboard names the leader. Prints "OK", or
// "FAIL <reason>" and exits 1.
'use strict';
const {launch, watch} = require('./lib');

const [standbyUrl, leaderUrl, zkUrl, quorum, profile, secs] = process.argv.slice(2);
const timeout = Number(secs) * 1000;

async function main() {
  const ctx = await launch(profile, timeout);
  try {
    const page = ctx.pages()[0] || await ctx.newPage();
    page.setDefaultTimeout(timeout);
    const seen = watch(page, null);
    const leader = new URL(leaderUrl);
    await page.goto(standbyUrl + '#/registry');
    // The standby names the leader...
    await page.waitForSelector('#standby:has-text("' + leader.host + '")');
    // ...and the page follows it to the leader's own UI, same view.
    await page.waitForURL((u) => u.origin === leader.origin && u.hash === '#/registry');
    await page.waitForSelector('#conn.live');
    if (!await page.isHidden('#standby'))
      throw new Error('the leader\'s UI shows the standby banner');
    const zkHost = new URL(zkUrl.replace(/^zk:/, 'http:')).host;
    const want = {'rg-leader': leader.host, 'rg-self': '(leader)', 'rg-zk': zkHost,
      'rg-quorum': quorum + ' ', 'rg-store': 'replicated_log',
      'rg-recovered': 'yes', 'rg-ensemble': ' replica'};
    try {
      await page.waitForFunction((w) => Object.keys(w).every((id) =>
        document.getElementById(id).textContent.includes(w[id])), want);
    } catch (e) {
      const got = await page.evaluate((ids) => ids.map((id) => id + '=' +
        JSON.stringify(document.getElementById(id).textContent)), Object.keys(want));
      throw new Error('registry view shows ' + got.join(' '));
    }
    await page.click('#nav a[data-view="dashboard"]');
    try {
      await page.waitForFunction((h) => {
        const t = document.getElementById('ov-self').textContent;
        return t.includes(h) && t.includes('(leader)');
      }, leader.host);
    } catch (e) {
      throw new Error('leader page says "' + await page.textContent('#ov-self') + '"');
    }
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
