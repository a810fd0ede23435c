// SPDX-License-Identifier: Apache-2.0
//
// lib.js: what the browser checks share: launching Debian's Chromium
// headless (playwright-core) and watching a page for script errors and for
// requests that leave the page's origin (the UIs must never reach an
// agent or any other host directly).
'use strict';
const {chromium} = require('playwright-core');

async function launch(profile, timeout) {
  try {
    return await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium', headless: true, timeout,
      viewport: {width: 1366, height: 900},
      args: ['--headless', '--no-sandbox', '--disable-gpu',
        '--disable-background-networking', '--disable-component-update',
        '--no-first-run', '--disable-sync'],
    });
  } catch (e) {
    throw new Error('cannot launch /usr/bin/chromium: ' + e.message);
  }
}

// Record page's script errors and its requests beyond origin (null: do
// not check origins). check() throws if there was any.
function watch(page, origin) {
  const errors = [];
  const foreign = [];
  page.on('pageerror', (e) => errors.push(e.message));
  if (origin)
    page.on('request', (r) => {
      if (new URL(r.url()).origin !== origin) foreign.push(r.url());
    });
  return {
    errors,
    check() {
      if (errors.length) throw new Error('page errors: ' + errors.join('; '));
      if (foreign.length)
        throw new Error('requests beyond ' + origin + ': ' + foreign.join(' '));
    },
  };
}

module.exports = {launch, watch};
