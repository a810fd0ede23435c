// SPDX-License-Identifier: Apache-2.0
//
// roles.js: the master web UI's roles, maintenance, agent and registry
// views in headless Chromium, for tests/integration/test_webui.py.
//   node roles.js <master url> <expect.json> <screenshot dir> <profile dir>
//                 <timeout secs>
// expect.json (written by the test, which has set them through
// POST /api/v1): {role, weight, framework, guarantee: {cpus, mem},
// limit: {cpus, mem}, consumed: {cpus, mem}, agent, host, ip, duration,
// principal, reserved: {cpus, mem}, task, leader, new_weight}; values as
// the UI prints them.
// Protocol on stdout (one line each):
//   "VIEWS"   every view showed the expected values; the roles view is
//             left open (the test then sets the role's weight to
//             <new_weight>, which no event announces);
//   "POLLED"  the open roles view showed the new weight without a reload
//             or a navigation (its 5 s re-read; the test then puts the
//             machine DOWN with START_MAINTENANCE);
//   "OK"      the maintenance view showed the machine down, and the page
//             made no request beyond the master.
// Any failure: "FAIL <reason>" and exit 1.
'use strict';
const fs = require('fs');
const path = require('path');
const {launch, watch} = require('./lib');

const [url, expectFile, shots, profile, secs] = process.argv.slice(2);
const want = JSON.parse(fs.readFileSync(expectFile, 'utf8'));
const timeout = Number(secs) * 1000;

// Wait until the text of selector contains every string of parts.
async function shows(page, selector, parts) {
  try {
    await page.waitForFunction(([sel, ps]) => {
      const el = document.querySelector(sel);
      return el && ps.every((p) => el.textContent.includes(p));
    }, [selector, parts]);
  } catch (e) {
    const el = await page.$(selector);
    const got = el ? await el.textContent() : '(no such element)';
    throw new Error(selector + ' shows ' + JSON.stringify(got) + ', expected ' +
      JSON.stringify(parts));
  }
}

// Open a view from the header; once body[data-view] names it, the view
// shows only what it has read since (nothing left from an earlier visit).
async function go(page, name) {
  await page.click('#nav a[data-view="' + name + '"]');
  await page.waitForSelector('body[data-view="' + name + '"]');
}

async function rolesView(page) {
  await go(page, 'roles');
  if (new URL(page.url()).hash !== '#/roles') throw new Error('URL is ' + page.url());
  const row = '#roles tbody tr[data-role="' + want.role + '"]';
  await shows(page, row + ' td.weight', [want.weight]);
  await shows(page, row + ' td.fws', [want.framework]);
  await shows(page, row + ' td[data-res="cpus"]', [want.consumed.cpus,
    'guarantee ' + want.guarantee.cpus, 'limit ' + want.limit.cpus]);
  await shows(page, row + ' td[data-res="mem"]', [want.consumed.mem,
    'guarantee ' + want.guarantee.mem, 'limit ' + want.limit.mem]);
  if (!await page.isHidden('#view-dashboard'))
    throw new Error('the dashboard is still shown on #/roles');
  await page.screenshot({path: path.join(shots, 'roles.png'), fullPage: true});
}

async function maintenanceView(page) {
  await go(page, 'maintenance');
  const key = want.host + '/' + want.ip;
  const m = '#machines tbody tr[data-machine="' + key + '"]';
  await shows(page, m, [want.host, want.ip, 'draining']);
  await page.waitForSelector(m + ' a[href="#/agents/' + want.agent + '"]');
  const w = '#schedule tbody tr[data-machine="' + key + '"]';
  await shows(page, w + ' td.duration', [want.duration]);
  await shows(page, w + ' td.start', ['(in ']);
  await shows(page, w, ['draining']);
  await page.screenshot({path: path.join(shots, 'maintenance.png'), fullPage: true});
}

async function agentView(page) {
  // From the machine's row to its agent's page.
  const key = want.host + '/' + want.ip;
  await page.click('#machines tbody tr[data-machine="' + key + '"] a[href^="#/agents/"]');
  await page.waitForSelector('body[data-view="agent/' + want.agent + '"]');
  if (new URL(page.url()).hash !== '#/agents/' + want.agent)
    throw new Error('URL is ' + page.url());
  await shows(page, '#ag-id', [want.agent]);
  await page.waitForSelector('#ag-maint[data-mode="DRAINING"]');
  await shows(page, '#ag-maint', ['draining', 'window 1', want.duration]);
  const r = '#ag-reserved tbody tr[data-role="' + want.role + '"]';
  await shows(page, r, ['dynamic', want.principal]);
  await shows(page, r + ' td[data-res="cpus"]', [want.reserved.cpus]);
  await shows(page, r + ' td[data-res="mem"]', [want.reserved.mem]);
  await page.waitForSelector('#ag-tasks tbody tr[data-task="' + want.task + '"]');
  await page.screenshot({path: path.join(shots, 'agent.png'), fullPage: true});
}

async function registryView(page) {
  await go(page, 'registry');
  await shows(page, '#rg-leader', [want.leader]);
  await shows(page, '#rg-self', [want.leader, '(leader)']);
  await shows(page, '#rg-zk', ['none']);
  await shows(page, '#rg-store', ['in_memory']);
  // The registrar's metrics: a store has happened (the weight, the quota).
  await page.waitForFunction(() => /^\d+(\.\d+)? (B|KiB|MiB)$/.test(
    document.getElementById('rg-size').textContent) &&
    / ms$/.test(document.getElementById('rg-storems').textContent));
  await shows(page, '#rg-elected', ['ago']);
  await page.screenshot({path: path.join(shots, 'registry.png'), fullPage: true});
}

async function main() {
  const ctx = await launch(profile, timeout);
  try {
    const page = ctx.pages()[0] || await ctx.newPage();
    page.setDefaultTimeout(timeout);
    const seen = watch(page, new URL(url).origin);
    await page.goto(url);
    await page.waitForSelector('#conn.live');
    await rolesView(page);
    await maintenanceView(page);
    await agentView(page);
    await registryView(page);
    // Leave the roles view open for the re-read check.
    await go(page, 'roles');
    const weight = '#roles tbody tr[data-role="' + want.role + '"] td.weight';
    await shows(page, weight, [want.weight]);
    await page.evaluate(() => { window.__notReloaded = true; });
    if (seen.errors.length)
      throw new Error('page errors: ' + seen.errors.join('; '));
    console.log('VIEWS');

    await page.waitForFunction(([sel, w]) =>
      (document.querySelector(sel) || {}).textContent === w, [weight, want.new_weight]);
    if (!await page.evaluate(() => window.__notReloaded === true &&
        location.hash === '#/roles'))
      throw new Error('the page reloaded or left #/roles');
    console.log('POLLED');

    await go(page, 'maintenance');
    const key = want.host + '/' + want.ip;
    await shows(page, '#machines tbody tr[data-machine="' + key + '"]', ['down']);
    await shows(page, '#schedule tbody tr[data-machine="' + key + '"]', ['down']);
    await page.screenshot({path: path.join(shots, 'maintenance-down.png'), fullPage: true});
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
