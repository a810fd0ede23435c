// SPDX-License-Identifier: Apache-2.0
//
// app.js: the master's dashboard. No framework, no build step.
//
// Data flow: GET /master/state once; then live updates from the v1
// operator event stream (POST /api/v1 {"type":"SUBSCRIBE"}, RecordIO
// "<len>\n<json>" records read from fetch()'s body stream). Task events are
// applied in place; agent/framework events (and task ends, which change
// resources) trigger a re-read of /master/state, at most one a second.
// If the stream fails the page polls /master/state every 5 s and retries
// the stream every 30 s. A standby master (leader_info.id != id) shows who
// leads and links to the leader's UI; it never subscribes.
//
// Task output is read by the browser from the agent's
// /files/read?path=/frameworks/<fw>/executors/<exec>/runs/latest/<file>
// (agent address from /master/state slaves[]). TODO: a master-side proxy
// (later slice) so agents need not be reachable from the browser.
'use strict';

const POLL_MS = 5000;
const RESUBSCRIBE_MS = 30000;
const REFRESH_MIN_MS = 1000;
const MAX_RECORD = 64 << 20;
const TERMINAL = new Set(['TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED',
  'TASK_LOST', 'TASK_ERROR', 'TASK_DROPPED', 'TASK_GONE',
  'TASK_GONE_BY_OPERATOR']);

const ui = {
  state: null,        // last /master/state
  metrics: {},        // last /metrics/snapshot
  tasks: new Map(),   // "<fw>/<task>" -> task (normalized)
  mode: 'connecting', // 'live' | 'poll' | 'standby' | 'connecting'
  refreshing: false,
  refreshAgain: false,
  lastRefresh: 0,
  pollTimer: null,
  renderQueued: false,
};

const $ = (id) => document.getElementById(id);

function esc(s) {
  return String(s == null ? '' : s).replace(/[&<>"']/g, (c) => ({
    '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c]));
}

function fmtMem(mb) {
  if (!mb) return '0 B';
  return mb >= 1024 ? (mb / 1024).toFixed(1) + ' GB' : Math.round(mb) + ' MB';
}

function fmtNum(x) {
  return x == null ? '0' : String(Math.round(x * 100) / 100);
}

function fmtTime(secs) {
  return secs ? new Date(secs * 1000).toLocaleString() : '–';
}

function fmtDuration(secs) {
  secs = Math.max(0, Math.floor(secs));
  const d = Math.floor(secs / 86400), h = Math.floor(secs / 3600) % 24;
  const m = Math.floor(secs / 60) % 60, s = secs % 60;
  return (d ? d + 'd ' : '') + (d || h ? h + 'h ' : '') + m + 'm ' + s + 's';
}

// "name@ip:port" -> "ip:port" (the address the process registered with).
function pidAddress(pid) {
  const at = pid ? pid.indexOf('@') : -1;
  return at >= 0 ? pid.slice(at + 1) : null;
}

// ---- tasks ---------------------------------------------------------------

function taskKey(fw, id) { return fw + '/' + id; }

function fromV0(t) {
  const st = t.statuses || [];
  const last = st.length ? st[st.length - 1].timestamp : null;
  return {id: t.id, name: t.name, framework_id: t.framework_id,
    agent_id: t.slave_id, executor_id: t.executor_id || t.id,
    state: t.state, updated: last};
}

function fromV1(t) {
  const v = (o) => (o && o.value) || '';
  return {id: v(t.task_id), name: t.name, framework_id: v(t.framework_id),
    agent_id: v(t.agent_id), executor_id: v(t.executor_id) || v(t.task_id),
    state: t.state, updated: Date.now() / 1000};
}

function putTask(t, fromRefresh) {
  const k = taskKey(t.framework_id, t.id);
  const old = ui.tasks.get(k);
  // A refresh computed just before an event must not undo it.
  if (fromRefresh && old && TERMINAL.has(old.state) && !TERMINAL.has(t.state))
    return;
  ui.tasks.set(k, Object.assign({}, old || {}, t));
}

function tasksFromState(s) {
  const fresh = new Map();
  const add = (list) => (list || []).forEach((t) => {
    const n = fromV0(t);
    fresh.set(taskKey(n.framework_id, n.id), n);
  });
  for (const f of (s.frameworks || []).concat(s.completed_frameworks || [])) {
    add(f.tasks); add(f.unreachable_tasks); add(f.completed_tasks);
  }
  const old = ui.tasks;
  ui.tasks = new Map();
  for (const [k, t] of old) if (!fresh.has(k)) ui.tasks.set(k, t);
  for (const [k, t] of fresh) {
    const prev = old.get(k);
    if (prev) ui.tasks.set(k, prev);
    putTask(t, true);
  }
}

// ---- data ----------------------------------------------------------------

async function getJSON(path) {
  const r = await fetch(path, {cache: 'no-store'});
  if (!r.ok) throw new Error(path + ': HTTP ' + r.status);
  return r.json();
}

async function refresh() {
  if (ui.refreshing) { ui.refreshAgain = true; return; }
  ui.refreshing = true;
  try {
    const [s, m] = await Promise.all([getJSON('/master/state'),
      getJSON('/metrics/snapshot').catch(() => ({}))]);
    ui.state = s;
    ui.metrics = m;
    tasksFromState(s);
    showError(null);
  } catch (e) {
    showError('Cannot read /master/state: ' + e.message);
  } finally {
    ui.refreshing = false;
    ui.lastRefresh = Date.now();
    render();
    if (ui.refreshAgain) { ui.refreshAgain = false; scheduleRefresh(); }
  }
}

let refreshTimer = null;
function scheduleRefresh() {
  if (refreshTimer) return;
  const wait = Math.max(0, ui.lastRefresh + REFRESH_MIN_MS - Date.now());
  refreshTimer = setTimeout(() => { refreshTimer = null; refresh(); }, wait);
}

function isStandby() {
  const s = ui.state;
  if (!s) return false;
  if (ui.metrics['master/elected'] === 0) return true;
  return !!(s.leader_info && s.leader_info.id && s.leader_info.id !== s.id);
}

// ---- event stream --------------------------------------------------------

// Splits RecordIO "<len>\n<bytes>" records out of a byte stream.
class RecordIO {
  constructor() { this.buf = new Uint8Array(0); this.dec = new TextDecoder(); }
  push(chunk) {
    const b = new Uint8Array(this.buf.length + chunk.length);
    b.set(this.buf); b.set(chunk, this.buf.length);
    this.buf = b;
    const out = [];
    for (;;) {
      const nl = this.buf.indexOf(10);
      if (nl < 0) {
        if (this.buf.length > 20) throw new Error('bad RecordIO header');
        break;
      }
      const len = Number(this.dec.decode(this.buf.subarray(0, nl)));
      if (!Number.isInteger(len) || len < 0 || len > MAX_RECORD)
        throw new Error('bad RecordIO length');
      if (this.buf.length < nl + 1 + len) break;
      out.push(this.dec.decode(this.buf.subarray(nl + 1, nl + 1 + len)));
      this.buf = this.buf.slice(nl + 1 + len);
    }
    return out;
  }
}

function onEvent(ev) {
  switch (ev.type) {
    case 'SUBSCRIBED': {
      const gt = (ev.subscribed.get_state || {}).get_tasks || {};
      for (const list of ['tasks', 'unreachable_tasks', 'completed_tasks'])
        (gt[list] || []).forEach((t) => putTask(fromV1(t), false));
      setMode('live');
      scheduleRefresh();
      break;
    }
    case 'TASK_ADDED':
      putTask(fromV1(ev.task_added.task), false);
      break;
    case 'TASK_UPDATED': {
      const u = ev.task_updated, st = u.status || {};
      const id = (st.task_id || {}).value, fw = (u.framework_id || {}).value;
      if (!id || !fw) break;
      putTask({id: id, framework_id: fw, state: u.state,
        agent_id: (st.agent_id || {}).value ||
          (ui.tasks.get(taskKey(fw, id)) || {}).agent_id,
        updated: st.timestamp || Date.now() / 1000}, false);
      if (!ui.tasks.get(taskKey(fw, id)).executor_id)
        ui.tasks.get(taskKey(fw, id)).executor_id = id;
      if (TERMINAL.has(u.state) || u.state === 'TASK_RUNNING') scheduleRefresh();
      break;
    }
    case 'AGENT_ADDED': case 'AGENT_REMOVED':
    case 'FRAMEWORK_ADDED': case 'FRAMEWORK_UPDATED': case 'FRAMEWORK_REMOVED':
      scheduleRefresh();
      break;
    default: // HEARTBEAT and anything newer
      break;
  }
  render();
}

async function subscribe() {
  let heartbeat = 15;
  const ctl = new AbortController();
  let lastData = Date.now();
  const watchdog = setInterval(() => {
    if (Date.now() - lastData > heartbeat * 5 * 1000) ctl.abort();
  }, 1000);
  try {
    const r = await fetch('/api/v1', {method: 'POST', signal: ctl.signal,
      cache: 'no-store', redirect: 'error',
      headers: {'Content-Type': 'application/json', 'Accept': 'application/json'},
      body: JSON.stringify({type: 'SUBSCRIBE'})});
    if (!r.ok || !r.body) throw new Error('SUBSCRIBE: HTTP ' + r.status);
    const reader = r.body.getReader();
    const rio = new RecordIO();
    for (;;) {
      const {value, done} = await reader.read();
      if (done) throw new Error('event stream closed');
      lastData = Date.now();
      for (const text of rio.push(value)) {
        const ev = JSON.parse(text);
        if (ev.type === 'SUBSCRIBED' && ev.subscribed.heartbeat_interval_seconds)
          heartbeat = ev.subscribed.heartbeat_interval_seconds;
        onEvent(ev);
      }
    }
  } catch (e) {
    console.warn('event stream failed:', e.message);
  } finally {
    clearInterval(watchdog);
    ctl.abort();
  }
  startPolling();
  setTimeout(connect, RESUBSCRIBE_MS);
}

function startPolling() {
  setMode(isStandby() ? 'standby' : 'poll');
  if (ui.pollTimer) return;
  ui.pollTimer = setInterval(refresh, POLL_MS);
}

function stopPolling() {
  if (ui.pollTimer) clearInterval(ui.pollTimer);
  ui.pollTimer = null;
}

async function connect() {
  await refresh();
  if (!ui.state || isStandby()) { startPolling(); return; }
  stopPolling();
  subscribe();
}

function setMode(mode) {
  ui.mode = mode;
  if (mode === 'live') stopPolling();
  const c = $('conn');
  c.className = 'conn ' + mode;
  c.textContent = {live: 'live (event stream)', poll: 'polling every 5 s',
    standby: 'standby master (polling)', connecting: 'connecting…'}[mode];
}

function showError(msg) {
  $('error').hidden = !msg;
  $('error').textContent = msg || '';
}

// ---- rendering -----------------------------------------------------------

function render() {
  if (ui.renderQueued) return;
  ui.renderQueued = true;
  requestAnimationFrame(() => { ui.renderQueued = false; renderNow(); });
}

function agentById(id) {
  return ((ui.state && ui.state.slaves) || []).find((a) => a.id === id);
}

function agentAddress(a) {
  return pidAddress(a.pid) || (a.hostname + ':' + a.port);
}

function sumRes(list, field) {
  const t = {cpus: 0, mem: 0, disk: 0, gpus: 0};
  for (const a of list) for (const k in t) t[k] += ((a[field] || {})[k] || 0);
  return t;
}

function rows(tbody, html, cols, empty) {
  tbody.innerHTML = html.length ? html.join('')
    : '<tr class="empty"><td colspan="' + cols + '">' + empty + '</td></tr>';
}

function renderOverview(s) {
  $('cluster-name').textContent = s.cluster || '';
  document.title = 'Corral' + (s.cluster ? ' – ' + s.cluster : '');
  const li = s.leader_info || {};
  const leaderAddr = pidAddress(s.leader) || (li.hostname ? li.hostname + ':' + li.port : '');
  $('ov-leader').textContent = leaderAddr || 'none elected';
  $('ov-self').textContent = (pidAddress(s.pid) || s.hostname || '') +
    (isStandby() ? ' (standby)' : ' (leader)');
  $('ov-version').textContent = s.version || '–';
  const up = ui.metrics['master/uptime_secs'] != null ? ui.metrics['master/uptime_secs']
    : Date.now() / 1000 - (s.start_time || Date.now() / 1000);
  $('ov-uptime').textContent = fmtDuration(up);
  const agents = s.slaves || [];
  $('ov-agents').textContent = agents.filter((a) => a.active).length + ' active, ' +
    agents.filter((a) => !a.active).length + ' inactive, ' +
    (s.unreachable_slaves || 0) + ' unreachable';
  const fws = s.frameworks || [];
  $('ov-frameworks').textContent = fws.filter((f) => f.active).length + ' active, ' +
    fws.filter((f) => !f.active).length + ' inactive, ' +
    (s.completed_frameworks || []).length + ' completed';
  const byState = {};
  for (const t of ui.tasks.values()) byState[t.state] = (byState[t.state] || 0) + 1;
  const parts = Object.keys(byState).sort().map((k) =>
    '<span class="state ' + esc(k) + '">' + esc(k.replace('TASK_', '').toLowerCase()) +
    '</span> ' + byState[k]);
  $('ov-tasks').innerHTML = parts.length ? parts.join(', ') : 'none';
  const res = [['Total', sumRes(agents, 'resources')],
    ['Used', sumRes(agents, 'used_resources')],
    ['Offered', sumRes(agents, 'offered_resources')]];
  $('ov-resources').innerHTML = res.map(([n, r]) => '<tr><th>' + n + '</th><td>' +
    fmtNum(r.cpus) + '</td><td>' + fmtMem(r.mem) + '</td><td>' + fmtMem(r.disk) +
    '</td><td>' + fmtNum(r.gpus) + '</td></tr>').join('');
}

function renderStandby(s) {
  const b = $('standby');
  if (!isStandby()) { b.hidden = true; return; }
  const addr = pidAddress(s.leader) ||
    (s.leader_info && s.leader_info.hostname ? s.leader_info.hostname + ':' + s.leader_info.port : '');
  b.hidden = false;
  b.innerHTML = addr
    ? 'This master is a standby. The leader is <strong>' + esc(addr) +
      '</strong>: <a id="leader-link" href="http://' + esc(addr) + '/">open the leader\'s UI</a>.'
    : 'This master is a standby and no leader is elected right now.';
}

function renderAgents(s) {
  const agents = s.slaves || [];
  $('agents-count').textContent = '(' + agents.length + ')';
  rows(document.querySelector('#agents tbody'), agents.map((a) => {
    const r = a.resources || {}, u = a.used_resources || {};
    return '<tr data-agent="' + esc(a.id) + '"><td class="id">' + esc(a.id) + '</td><td>' +
      esc(a.hostname) + ':' + esc(a.port) + '</td><td>' + (a.active ? 'yes' : 'no') +
      '</td><td>' + fmtNum(u.cpus) + ' / ' + fmtNum(r.cpus) + '</td><td>' +
      fmtMem(u.mem) + ' / ' + fmtMem(r.mem) + '</td><td>' + fmtMem(u.disk) + ' / ' +
      fmtMem(r.disk) + '</td><td>' + esc(fmtTime(a.registered_time)) + '</td></tr>';
  }), 7, 'No agents registered.');
}

function renderFrameworks(s) {
  const fws = s.frameworks || [];
  $('frameworks-count').textContent = '(' + fws.length + ')';
  rows(document.querySelector('#frameworks tbody'), fws.map((f) => {
    const u = f.used_resources || {};
    const status = !f.active ? 'inactive' : f.connected === false ? 'disconnected' : 'active';
    const name = f.webui_url ? '<a href="' + esc(f.webui_url) + '">' + esc(f.name) + '</a>'
      : esc(f.name);
    return '<tr data-framework="' + esc(f.id) + '"><td class="id">' + esc(f.id) +
      '</td><td>' + name + '</td><td>' + esc(f.role || (f.roles || []).join(', ')) +
      '</td><td>' + esc(f.user) + '</td><td>' + status + '</td><td>' +
      (f.tasks || []).length + '</td><td>' + fmtNum(u.cpus) + '</td><td>' +
      fmtMem(u.mem) + '</td></tr>';
  }), 8, 'No frameworks registered.');
}

function renderTasks() {
  const tasks = Array.from(ui.tasks.values()).sort((a, b) =>
    (TERMINAL.has(a.state) - TERMINAL.has(b.state)) || ((b.updated || 0) - (a.updated || 0)));
  $('tasks-count').textContent = '(' + tasks.length + ')';
  rows(document.querySelector('#tasks tbody'), tasks.map((t) => {
    const a = agentById(t.agent_id);
    const k = esc(taskKey(t.framework_id, t.id));
    const logs = a ? '<a href="#" data-log="stdout" data-task="' + k + '">stdout</a>' +
      '<a href="#" data-log="stderr" data-task="' + k + '">stderr</a>' : '';
    return '<tr data-task="' + esc(t.id) + '"><td class="id">' + esc(t.id) + '</td><td>' +
      esc(t.name) + '</td><td><span class="state ' + esc(t.state) + '">' + esc(t.state) +
      '</span></td><td class="id">' + esc(t.framework_id) + '</td><td>' +
      (a ? esc(a.hostname) : '<span class="id">' + esc(t.agent_id) + '</span>') + '</td><td>' +
      esc(fmtTime(t.updated)) + '</td><td class="logs">' + logs + '</td></tr>';
  }), 7, 'No tasks.');
}

function renderNow() {
  const s = ui.state;
  if (!s) return;
  renderStandby(s);
  renderOverview(s);
  renderAgents(s);
  renderFrameworks(s);
  renderTasks();
}

// ---- task output ---------------------------------------------------------

function showLog(key, file) {
  const t = ui.tasks.get(key);
  const a = t && agentById(t.agent_id);
  if (!a) return;
  const path = '/frameworks/' + t.framework_id + '/executors/' + t.executor_id +
    '/runs/latest/' + file;
  const url = 'http://' + agentAddress(a) + '/files/read?path=' +
    encodeURIComponent(path) + '&offset=0';
  $('log-title').textContent = t.id + ' (' + file + ')';
  $('log-open').href = url;
  $('log-frame').src = url;
  $('logview').hidden = false;
  $('logview').scrollIntoView({block: 'nearest'});
}

document.addEventListener('click', (e) => {
  const el = e.target.closest('a[data-log]');
  if (!el) return;
  e.preventDefault();
  showLog(el.dataset.task, el.dataset.log);
});
$('log-close').addEventListener('click', () => {
  $('logview').hidden = true;
  $('log-frame').src = 'about:blank';
});
setInterval(render, 1000); // uptime
connect();
