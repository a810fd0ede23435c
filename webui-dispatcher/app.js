// SPDX-License-Identifier: Apache-2.0
//
// app.js: corral-dispatcher's web UI (Spark's MesosClusterUI): the drivers
// page (/) and a driver's page (/driver?id=ID). No framework, no build
// step; every request goes to this dispatcher (same origin).
//
// Drivers page: GET /api/state?history=0 every REFRESH_MS (2 s), then the
// overview and the four tables (queued, launched, retrying, finished) are
// redrawn. A standby dispatcher shows who leads (and links to the
// leader's UI when the leader published it).
//
// Driver page: GET /api/driver?id=ID every REFRESH_MS (properties,
// launched state, state history, sandbox links to the master's UI and
// files). The driver's stdout or stderr is followed like `tail -f` through
// GET /api/driver/log (the dispatcher relays the master's /files/read):
// offset=-1 for the file's size, then reads of at most READ_CHUNK bytes
// (the agent serves a read that small whole, so the byte offset advances
// by exactly what was asked for) appended to the view, which scrolls
// along while at the bottom; again every FOLLOW_MS while the task runs,
// and once more after it ended to read the tail, then it stops. A large
// file starts TAIL_START bytes before its end; the view keeps at most
// MAX_VIEW_CHARS characters. A relaunch (a new task id) starts over.
'use strict';

const REFRESH_MS = 2000;
const FOLLOW_MS = 1000;
const READ_CHUNK = 64 * 1024;
const TAIL_START = 256 * 1024;
const MAX_VIEW_CHARS = 2 << 20;
const CALL_TIMEOUT_MS = 15000;

const $ = (id) => document.getElementById(id);

function esc(s) {
  return String(s == null ? '' : s).replace(/[&<>"']/g, (c) => ({
    '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c]));
}

function pad(n) { return (n < 10 ? '0' : '') + n; }

function fmtTime(secs) {
  if (!secs) return '–';
  const d = new Date(secs * 1000);
  return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) +
    ' ' + pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
}

function fmtMem(mb) {
  return mb >= 1024 ? (mb / 1024).toFixed(1) + ' GB' : Math.round(mb) + ' MB';
}

function fmtBytes(n) {
  if (n < 1024) return n + ' B';
  if (n < 1 << 20) return (n / 1024).toFixed(1) + ' KiB';
  return (n / (1 << 20)).toFixed(1) + ' MiB';
}

// GET url as JSON; throws an Error carrying the answer's message and
// status.
async function getJSON(url) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), CALL_TIMEOUT_MS);
  try {
    const r = await fetch(url, {cache: 'no-store', signal: ctl.signal});
    let body = null;
    try { body = await r.json(); } catch (e) { body = null; }
    if (!r.ok) {
      const e = new Error((body && body.message) || ('HTTP ' + r.status));
      e.status = r.status;
      e.body = body;
      throw e;
    }
    return body;
  } catch (e) {
    if (e.name === 'AbortError') throw new Error('no answer in time');
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

function setConn(ok, text) {
  const c = $('conn');
  c.className = 'conn ' + (ok ? 'live' : 'error');
  c.textContent = text;
}

function showBanner(id, html) {
  const b = $(id);
  b.hidden = !html;
  b.innerHTML = html || '';
}

function driverLink(id) {
  return '<a href="/driver?id=' + encodeURIComponent(id) + '">' + esc(id) + '</a>';
}

// A TaskStatus: its state, message and (unless brief) the other fields.
function statusHTML(st, brief) {
  if (!st || !st.state) return '–';
  let h = '<span class="state ' + esc(st.state) + '">' + esc(st.state) + '</span>';
  const more = [];
  if (st.message) more.push(st.message);
  if (st.reason) more.push('reason: ' + st.reason);
  if (!brief && st.source) more.push('source: ' + st.source);
  if (!brief && st.healthy != null) more.push('healthy: ' + st.healthy);
  if (!brief && st.timestamp) more.push('time: ' + fmtTime(st.timestamp));
  if (more.length) h += '<div class="msg">' + esc(more.join(' · ')) + '</div>';
  return h;
}

function resources(d) {
  return 'cpus: ' + d.cores + ', mem: ' + fmtMem(d.memoryMb);
}

function agentHTML(d) {
  if (!d.agentId) return '–';
  return '<span class="mono" title="' + esc(d.agentId) + '">' +
    esc(d.agentHost || d.agentId) + '</span>';
}

function agentURL(masterUrl, agentId) {
  return masterUrl + '/#/agents/' + encodeURIComponent(agentId);
}

function leaderHTML(leader) {
  if (!leader) return 'none elected yet';
  let h = '<span class="mono">' + esc(leader.address) + '</span>';
  if (leader.webuiUrl)
    h += ' (<a href="' + esc(leader.webuiUrl) + '">web UI</a>)';
  return h;
}

// The banner of a standby dispatcher; '' on a leader.
function standbyHTML(disp) {
  if (disp.role !== 'standby') return '';
  return 'This dispatcher is a <b>standby</b>: it takes no submissions and ' +
    'knows no drivers. The leading dispatcher is ' + leaderHTML(disp.leader) + '.';
}

function fillTable(id, drivers, row) {
  const body = document.querySelector('#' + id + ' tbody');
  const cols = document.querySelectorAll('#' + id + ' thead th').length;
  $(id + '-count').textContent = '(' + drivers.length + ')';
  if (!drivers.length) {
    body.innerHTML = '<tr class="empty"><td colspan="' + cols + '">none</td></tr>';
    return;
  }
  body.innerHTML = drivers.map((d) => '<tr data-driver="' + esc(d.id) +
    '" data-state="' + esc(d.state) + '">' +
    row(d).map((c) => '<td' + (c.cls ? ' class="' + c.cls + '"' : '') + '>' +
      c.html + '</td>').join('') + '</tr>').join('');
}

// ---- the drivers page ----

function renderOverview(disp) {
  $('disp-name').textContent = disp.name;
  document.title = 'Spark Drivers — ' + disp.name;
  $('ov-role').textContent = disp.role + (disp.highAvailability ? ' (ZooKeeper)' : '') +
    (disp.stopping ? ' — stopping: ' + disp.stopping :
      disp.role === 'leader' && !disp.ready ? ' — not ready (subscribing)' : '');
  $('ov-leader').innerHTML = leaderHTML(disp.leader);
  $('ov-framework').textContent = disp.frameworkId || '(not registered yet)';
  $('ov-master').innerHTML = disp.masterUrl
    ? '<a href="' + esc(disp.masterUrl) + '">' + esc(disp.masterLeader) + '</a>' +
      ' <span class="note">(' + esc(disp.schedulerState || '') + '; --master ' +
      esc(disp.master) + ')</span>'
    : esc(disp.master) + (disp.schedulerState ? ' <span class="note">(' +
      esc(disp.schedulerState) + ')</span>' : '');
  $('ov-rest').textContent = 'mesos://' + disp.restAddress;
  $('ov-zk').textContent = disp.zookeeper || '–';
  $('ov-queues').textContent = disp.queues.map((q) => q.name + ' (' +
    q.priority + ')').join(', ');
  $('ov-version').textContent = 'Corral ' + disp.version + ', Spark ' + disp.sparkVersion;
  showBanner('standby', standbyHTML(disp));
}

function renderDrivers(s) {
  const disp = s.dispatcher;
  renderOverview(disp);
  const id = (d) => ({cls: 'id', html: driverLink(d.id)});
  const sub = (d) => ({html: esc(fmtTime(d.submitted))});
  const name = (d) => ({html: esc(d.name)});
  const main = (d) => ({cls: 'mono', html: esc(d.mainClass || d.appResource)});
  const queue = (d) => ({html: esc(d.queue)});
  const res = (d) => ({html: esc(resources(d))});
  const task = (d) => ({cls: 'mono', html: esc(d.taskId || '–')});
  const agent = (d) => ({html: agentHTML(d)});
  const state = (d) => ({cls: 'status', html: statusHTML(d.lastStatus, true)});
  fillTable('queued', s.queued, (d) => [id(d), queue(d), sub(d), name(d), main(d), res(d)]);
  fillTable('launched', s.launched, (d) => [id(d), queue(d), sub(d), name(d),
    main(d), res(d), task(d), agent(d), state(d),
    {html: disp.masterUrl && d.agentId ? '<a data-sandbox href="' +
      esc(agentURL(disp.masterUrl, d.agentId)) + '">agent</a>' : '–'}]);
  fillTable('retrying', s.retrying, (d) => [id(d), sub(d), name(d), main(d),
    state(d), {html: esc(fmtTime(d.nextRetry))}, {html: String(d.retries)}]);
  fillTable('finished', s.finished, (d) => [id(d), queue(d), sub(d), name(d),
    main(d), res(d), task(d), agent(d), state(d),
    {html: esc(fmtTime(d.finished))}]);
}

async function refreshDrivers() {
  try {
    renderDrivers(await getJSON('/api/state?history=0'));
    setConn(true, 'live');
    showBanner('error', '');
  } catch (e) {
    setConn(false, 'unreachable');
    showBanner('error', 'Cannot read the dispatcher\'s state: ' + esc(e.message));
  } finally {
    setTimeout(refreshDrivers, REFRESH_MS);
  }
}

// ---- the driver page ----

const page = {
  id: null,
  driver: null,   // last /api/driver answer
  missing: false, // 404: the driver is unknown (or evicted)
};

// The log follower: one file of one task.
const log = {
  file: 'stdout',
  task: null,
  offset: -1,  // next byte to read; -1: not started
  gen: 0,      // bumped on every restart: stale reads are dropped
  busy: null,  // the gen of the read in progress
  timer: null,
};

function fact(dl, pairs) {
  $(dl).innerHTML = pairs.filter((p) => p[1] != null && p[1] !== '')
    .map((p) => '<dt>' + esc(p[0]) + '</dt><dd' + (p[2] ? ' class="' + p[2] + '"' : '') +
      '>' + (p[3] ? p[1] : esc(p[1])) + '</dd>').join('');
}

function kvTable(id, obj) {
  const keys = Object.keys(obj || {}).sort();
  document.querySelector('#' + id + ' tbody').innerHTML = keys.length
    ? keys.map((k) => '<tr><td class="mono">' + esc(k) + '</td><td class="mono">' +
      esc(obj[k]) + '</td></tr>').join('')
    : '<tr class="empty"><td colspan="2">none</td></tr>';
}

function renderHistory(h) {
  $('history-count').textContent = '(' + h.length + ')';
  document.querySelector('#history tbody').innerHTML = h.length
    ? h.map((e) => '<tr data-state="' + esc(e.state) + '"><td>' + esc(fmtTime(e.time)) +
      '</td><td>' + esc(e.state) + '</td><td class="mono">' + esc(e.taskId || '') +
      '</td><td>' + (e.taskState ? '<span class="state ' + esc(e.taskState) + '">' +
      esc(e.taskState) + '</span>' : '') + '</td><td class="wrap">' +
      esc(e.message || '') + '</td></tr>').join('')
    : '<tr class="empty"><td colspan="5">none</td></tr>';
}

function renderSandbox(d) {
  const sb = d.sandbox;
  $('sandbox-links').innerHTML = sb
    ? 'Sandbox <span class="mono">' + esc(sb.path) + '</span> on agent ' +
      '<a data-agent href="' + esc(sb.agentUrl) + '">' + esc(d.agentHost || d.agentId) +
      '</a> (master UI) · from the master: <a data-master-file="stdout" href="' +
      esc(sb.stdoutDownloadUrl) + '">download stdout</a>, <a data-master-file="stderr" href="' +
      esc(sb.stderrDownloadUrl) + '">download stderr</a>'
    : 'No sandbox known yet.';
}

function renderDriver(d) {
  $('driver').hidden = false;
  $('d-state').textContent = d.driverState;
  $('d-state').className = 'dstate ' + d.driverState;
  fact('d-props', [
    ['Name', d.name], ['Id', d.id, 'mono'], ['Cores', String(d.cores)],
    ['Memory', fmtMem(d.memoryMb)], ['Queue', d.queue + ' (priority ' + d.priority + ')'],
    ['Submitted', fmtTime(d.submitted)], ['Supervise', String(d.supervise)],
    ['Kill requested', d.killed ? 'yes' : null]]);
  fact('d-launch', [
    ['Mesos task ID', d.taskId, 'mono'],
    ['Mesos agent', d.agentId ? agentHTML(d) : null, '', true],
    ['Framework ID', d.frameworkId, 'mono'],
    ['Last task status', d.lastStatus ? statusHTML(d.lastStatus) : null, '', true],
    ['Retries', d.retries ? String(d.retries) : null],
    ['Next retry', d.nextRetry ? fmtTime(d.nextRetry) : null],
    ['Finished', d.finished ? fmtTime(d.finished) : null]]);
  $('command-section').hidden = false;
  fact('d-command', [['Main class', d.mainClass, 'mono'],
    ['App resource', d.appResource, 'mono'],
    ['Arguments', (d.appArgs || []).map((a) => JSON.stringify(a)).join(' '), 'mono']]);
  $('props-section').hidden = false;
  kvTable('spark-props', d.sparkProperties);
  $('env-section').hidden = false;
  kvTable('env', d.environmentVariables);
  $('history-section').hidden = false;
  renderHistory(d.history || []);
  $('logs').hidden = false;
  $('log-task').textContent = d.taskId ? '(task ' + d.taskId + ')' : '(not launched yet)';
  renderSandbox(d);
}

async function refreshDriver() {
  try {
    const d = await getJSON('/api/driver?id=' + encodeURIComponent(page.id));
    page.driver = d;
    page.missing = false;
    renderDriver(d);
    setConn(true, 'live');
    showBanner('error', '');
    showBanner('standby', '');
    if (d.taskId && d.taskId !== log.task) restartLog();
    else if (log.task && $('log-follow').checked) resumeLog();
  } catch (e) {
    setConn(e.status ? true : false, e.status ? 'live' : 'unreachable');
    if (e.status === 404) {
      page.missing = true;
      showBanner('error', 'Cannot find driver ' + esc(page.id) +
        ' (never submitted, killed while waiting, or evicted from the finished drivers).');
    } else if (e.status === 503 && e.body && e.body.leader !== undefined) {
      showBanner('standby', standbyHTML({role: 'standby', leader: e.body.leader}));
    } else {
      showBanner('error', 'Cannot read the driver: ' + esc(e.message));
    }
  } finally {
    setTimeout(refreshDriver, REFRESH_MS);
  }
}

function logStatus(text) { $('log-status').textContent = text; }

function appendLog(text) {
  if (!text) return;
  const v = $('log-view');
  const atEnd = v.scrollTop + v.clientHeight >= v.scrollHeight - 4;
  let all = v.textContent + text;
  if (all.length > MAX_VIEW_CHARS) all = all.slice(all.length - MAX_VIEW_CHARS);
  v.textContent = all;
  if (atEnd) v.scrollTop = v.scrollHeight;
}

// The task of the followed file has ended (its tail is read after that).
function taskEnded() {
  const d = page.driver;
  return !d || d.taskId !== log.task || d.state === 'FINISHED' || d.state === 'RETRYING';
}

function logDone() { return $('log-view').dataset.complete === 'true'; }

// Read again unless a read is running or scheduled or the tail is read.
function resumeLog() {
  if (log.busy !== log.gen && !log.timer && log.task && !logDone()) pumpLog(log.gen);
}

function restartLog() {
  log.gen++;
  log.task = page.driver ? page.driver.taskId : null;
  log.offset = -1;
  clearTimeout(log.timer);
  log.timer = null;
  $('log-view').textContent = '';
  delete $('log-view').dataset.complete;
  if (log.task) pumpLog(log.gen);
}

function logURL(offset, length) {
  return '/api/driver/log?id=' + encodeURIComponent(page.id) + '&file=' + log.file +
    '&offset=' + offset + '&length=' + length;
}

async function pumpLog(gen) {
  log.timer = null;
  if (log.busy === gen || gen !== log.gen) return;
  log.busy = gen;
  const ended = taskEnded();
  try {
    const size = (await getJSON(logURL(-1, 0))).offset;
    if (gen !== log.gen) return;
    let partial = false;
    if (log.offset < 0) {
      log.offset = Math.max(0, size - TAIL_START);
      partial = log.offset > 0;
      if (partial) appendLog('[… ' + fmtBytes(log.offset) + ' before this point not shown …]\n');
    } else if (size < log.offset) {
      appendLog('\n[… file truncated …]\n');
      log.offset = 0;
    }
    while (log.offset < size) {
      const len = Math.min(READ_CHUNK, size - log.offset);
      const r = await getJSON(logURL(log.offset, len));
      if (gen !== log.gen) return;
      let text = r.data;
      if (partial) {
        partial = false;
        text = text.slice(text.indexOf('\n') + 1);
      }
      appendLog(text);
      log.offset += len;
    }
  } catch (e) {
    if (gen !== log.gen) return;
    logStatus((e.status === 404 ? 'waiting for the sandbox: ' : 'error: ') + e.message);
    if (!ended) log.timer = setTimeout(() => pumpLog(gen), FOLLOW_MS * 2);
    return;
  } finally {
    if (log.busy === gen) log.busy = null;
  }
  if (ended) {
    logStatus(fmtBytes(log.offset) + ' — complete (task ended)');
    $('log-view').dataset.complete = 'true';
    return;
  }
  if (!$('log-follow').checked) {
    logStatus(fmtBytes(log.offset) + ' — not following');
    return;
  }
  logStatus(fmtBytes(log.offset) + ' — following');
  log.timer = setTimeout(() => pumpLog(gen), FOLLOW_MS);
}

function selectFile(file) {
  log.file = file;
  for (const b of document.querySelectorAll('.tabs button'))
    b.classList.toggle('current', b.dataset.file === file);
  restartLog();
}

function startDriverPage() {
  page.id = new URLSearchParams(location.search).get('id');
  if (!page.id) {
    showBanner('error', 'Missing the driver id (/driver?id=&lt;submission id&gt;).');
    setConn(true, 'live');
    return;
  }
  $('d-id').textContent = page.id;
  document.title = page.id + ' — Corral dispatcher';
  for (const b of document.querySelectorAll('.tabs button'))
    b.addEventListener('click', () => selectFile(b.dataset.file));
  $('log-follow').addEventListener('change', () => {
    if ($('log-follow').checked) resumeLog();
  });
  refreshDriver();
}

if (document.body.dataset.page === 'driver') startDriverPage();
else refreshDrivers();
