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
// leads and sends the browser on to the leader's UI (location.replace,
// at most MAX_HOPS times in a row, so masters that disagree during a
// failover cannot bounce the page forever; "?stay" opts out); it never
// subscribes.
//
// Sandboxes are read through this master's /files proxy
// (/files/{browse,read,download}?agent_id=<agent>&path=<path>), so the
// browser only ever talks to the master. A task's sandbox is the agent's
// virtual path /frameworks/<fw>/executors/<exec>/runs/latest. Viewing a
// file follows it like `tail -f`: GET /files/read?offset=-1 for its size,
// then reads of at most READ_CHUNK bytes (the agent serves a read that
// small whole, so the byte offset advances by exactly what was asked for)
// appended to the view, which scrolls along while it is at the bottom;
// every FOLLOW_MS while the task runs, and once more after it is terminal
// to read the tail, then it stops. A large file starts TAIL_START bytes
// before its end; the view keeps at most MAX_VIEW_CHARS characters. The
// listing is re-read every LIST_REFRESH_MS while a file is followed.
//
// Views are hash routes: "#/" the dashboard (above), "#/roles",
// "#/maintenance", "#/registry" and "#/agents/<id>". Roles (weights,
// quota), maintenance, reservations and registrar metrics are not in the
// event stream, so those views read their operator calls (POST /api/v1,
// same origin) when entered, after each event-driven refresh of the
// state, and every VIEW_POLL_MS while they are open: the one polling the
// page does while it is live. Leaving the dashboard pauses the sandbox
// follower; coming back resumes it.
'use strict';

const POLL_MS = 5000;
const RESUBSCRIBE_MS = 30000;
const REFRESH_MIN_MS = 1000;
const MAX_RECORD = 64 << 20;
const FOLLOW_MS = 1000;
const LIST_REFRESH_MS = 5000;
const READ_CHUNK = 64 * 1024;
const TAIL_START = 1 << 20;
const MAX_VIEW_CHARS = 4 << 20;
const MAX_HOPS = 3;
const VIEW_POLL_MS = 5000;
const CALL_TIMEOUT_MS = 15000; // a view's call that hangs is given up
const KINDS = ['cpus', 'mem', 'disk', 'gpus']; // the scalars shown
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
  sawLeader: false,   // this page has shown a leading master
  following: false,   // on its way to the leader's UI
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

async function getJSON(path, opts) {
  const r = await fetch(path, Object.assign({cache: 'no-store'}, opts));
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
    if (Date.now() - view.loadedAt >= REFRESH_MIN_MS) loadView();
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

function sumRes(list, field) {
  const t = {cpus: 0, mem: 0, disk: 0, gpus: 0};
  for (const a of list) for (const k in t) t[k] += ((a[field] || {})[k] || 0);
  return t;
}

// Fill a tbody; left alone when nothing changed (a text selection or a
// hover survives the once-a-second render).
const shownRows = new WeakMap(); // element -> the HTML it was given
function rows(tbody, html, cols, empty) {
  const out = html.length ? html.join('')
    : '<tr class="empty"><td colspan="' + cols + '">' + empty + '</td></tr>';
  if (shownRows.get(tbody) === out) return;
  tbody.innerHTML = out;
  shownRows.set(tbody, out);
}

function leaderAddress(s) {
  const li = s.leader_info || {};
  return pidAddress(s.leader) || (li.hostname ? li.hostname + ':' + li.port : '');
}

function selfText(s) {
  return (pidAddress(s.pid) || s.hostname || '') +
    (isStandby() ? ' (standby)' : ' (leader)');
}

function renderHeader(s) {
  $('cluster-name').textContent = s.cluster || '';
  document.title = 'Corral' + (s.cluster ? ' – ' + s.cluster : '');
}

function renderOverview(s) {
  $('ov-leader').textContent = leaderAddress(s) || 'none elected';
  $('ov-self').textContent = selfText(s);
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

// Standby hops so far: the pages of masters that each named another as
// leader, in a row (a page that has shown a leader starts again at 0).
function hops() {
  if (ui.sawLeader) return 0;
  return Number(new URLSearchParams(location.search).get('hops')) || 0;
}

// (The leader's page opens the same view.)
function leaderURL(addr) {
  return location.protocol + '//' + addr + '/?hops=' + (hops() + 1) + location.hash;
}

// Follow the leader: a standby's page moves to the leader's UI (once).
function followLeader(addr) {
  if (ui.following || new URLSearchParams(location.search).has('stay') ||
      hops() >= MAX_HOPS)
    return false;
  ui.following = true;
  stopPolling();
  setTimeout(() => location.replace(leaderURL(addr)), 1000);
  return true;
}

function renderStandby(s) {
  const b = $('standby');
  if (!isStandby()) { b.hidden = true; ui.sawLeader = true; return; }
  const addr = leaderAddress(s);
  b.hidden = false;
  if (!addr) {
    b.textContent = 'This master is a standby and no leader is elected right now.';
    return;
  }
  const going = ui.following || followLeader(addr);
  b.innerHTML = 'This master is a standby. The leader is <strong>' + esc(addr) +
    '</strong>' + (going ? ': following it to its UI… (<a href="?stay">stay here</a>)'
      : ': <a id="leader-link" href="' + esc(leaderURL(addr)) + '">open the leader\'s UI</a>.');
}

function renderAgents(s) {
  const agents = s.slaves || [];
  $('agents-count').textContent = '(' + agents.length + ')';
  rows(document.querySelector('#agents tbody'), agents.map((a) => {
    const r = a.resources || {}, u = a.used_resources || {};
    return '<tr data-agent="' + esc(a.id) + '"><td class="id">' + agentLink(a.id, a.id) +
      '</td><td>' +
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

// Live tasks first, then the most recently updated.
function sortedTasks(filter) {
  return Array.from(ui.tasks.values()).filter(filter || (() => true)).sort((a, b) =>
    (TERMINAL.has(a.state) - TERMINAL.has(b.state)) || ((b.updated || 0) - (a.updated || 0)));
}

function renderTasks() {
  const tasks = sortedTasks();
  $('tasks-count').textContent = '(' + tasks.length + ')';
  rows(document.querySelector('#tasks tbody'), tasks.map((t) => {
    const a = agentById(t.agent_id);
    return '<tr data-task="' + esc(t.id) + '"><td class="id">' + esc(t.id) + '</td><td>' +
      esc(t.name) + '</td><td><span class="state ' + esc(t.state) + '">' + esc(t.state) +
      '</span></td><td class="id">' + esc(t.framework_id) + '</td><td>' +
      (a ? agentLink(a.id, a.hostname) : '<span class="id">' + esc(t.agent_id) + '</span>') +
      '</td><td>' + esc(fmtTime(t.updated)) + '</td><td class="logs">' + sandboxLinks(t) +
      '</td></tr>';
  }), 7, 'No tasks.');
}

function agentLink(id, text) {
  return '<a href="#/agents/' + esc(encodeURIComponent(id)) + '">' + esc(text) + '</a>';
}

function sandboxLinks(t) {
  if (!t.agent_id) return '';
  const k = esc(taskKey(t.framework_id, t.id));
  return ['sandbox', 'stdout', 'stderr'].map((f) => '<a href="#" data-sandbox="' +
    (f === 'sandbox' ? '' : f) + '" data-task="' + k + '">' + f + '</a>').join('');
}

function renderNow() {
  const s = ui.state;
  if (!s) return;
  renderStandby(s);
  renderHeader(s);
  switch (view.name) {
    case 'roles': renderRoles(); break;
    case 'maintenance': renderMaintenance(s); break;
    case 'registry': renderRegistry(s); break;
    case 'agent': renderAgentPage(s); break;
    default:
      renderOverview(s);
      renderAgents(s);
      renderFrameworks(s);
      renderTasks();
      if (sb.key) renderSandboxHead();
  }
  renderViewError();
}

// ---- views --------------------------------------------------------------

const view = {
  name: 'dashboard', // 'dashboard' | 'roles' | 'maintenance' | 'registry' | 'agent'
  arg: null,         // the agent id of 'agent'
  data: {},          // the view's last operator answers, by call type
  error: null,       // why the last load failed
  gen: 0,            // bumped on navigation: older loads are dropped
  loading: false,
  loadedAt: 0,       // when the last load ended (ms)
  timer: null,
};

// The operator calls each view needs ('metrics' is /metrics/snapshot).
const VIEW_CALLS = {
  roles: ['GET_ROLES', 'GET_WEIGHTS', 'GET_QUOTA', 'GET_AGENTS'],
  maintenance: ['GET_MAINTENANCE_SCHEDULE', 'GET_MAINTENANCE_STATUS'],
  registry: ['GET_FLAGS', 'GET_MASTER', 'metrics'],
  agent: ['GET_AGENTS', 'GET_MAINTENANCE_SCHEDULE', 'GET_MAINTENANCE_STATUS'],
};

function parseRoute() {
  let h = location.hash.replace(/^#\/?/, '');
  try { h = decodeURIComponent(h); } catch (e) { h = ''; }
  if (h.startsWith('agents/') && h.length > 7) return {name: 'agent', arg: h.slice(7)};
  return {name: VIEW_CALLS[h] ? h : 'dashboard', arg: null};
}

function navigate() {
  const r = parseRoute();
  if (view.timer) clearInterval(view.timer);
  Object.assign(view, {name: r.name, arg: r.arg, data: {}, error: null,
    loading: false, loadedAt: 0, timer: null});
  view.gen++;
  for (const el of document.querySelectorAll('main > .view'))
    el.hidden = el.id !== 'view-' + r.name;
  for (const a of document.querySelectorAll('#nav a'))
    a.classList.toggle('current', a.dataset.view === r.name);
  if (r.name === 'dashboard') resumeSandbox(); else pauseSandbox();
  if (VIEW_CALLS[r.name]) {
    view.timer = setInterval(() => { if (!document.hidden) loadView(); }, VIEW_POLL_MS);
    loadView();
  }
  window.scrollTo(0, 0);
  renderNow(); // now: no moment of another visit's data
  document.body.dataset.view = r.name + (r.arg ? '/' + r.arg : '');
}

// POST /api/v1 {"type": type}; the answer's lowercase field. A standby
// redirects operator calls to the leader (307): not followed, an error.
async function operator(type) {
  let r;
  try {
    r = await fetch('/api/v1', {method: 'POST', cache: 'no-store', redirect: 'error',
      signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
      headers: {'Content-Type': 'application/json', 'Accept': 'application/json'},
      body: JSON.stringify({type: type})});
  } catch (e) {
    throw new Error(type + ': ' + (isStandby()
      ? 'this master is a standby; the leader answers it' : e.message));
  }
  if (!r.ok) {
    const text = (await r.text().catch(() => '')).trim();
    throw new Error(type + ': HTTP ' + r.status + (text ? ' ' + text.slice(0, 200) : ''));
  }
  return (await r.json())[type.toLowerCase()] || {};
}

async function loadView() {
  const calls = VIEW_CALLS[view.name];
  if (!calls || view.loading) return;
  const gen = view.gen;
  view.loading = true;
  const got = await Promise.allSettled(calls.map((c) =>
    c === 'metrics' ? getJSON('/metrics/snapshot',
      {signal: AbortSignal.timeout(CALL_TIMEOUT_MS)}) : operator(c)));
  if (gen !== view.gen) return;
  const data = {}, errors = [];
  got.forEach((g, i) => {
    if (g.status === 'fulfilled') data[calls[i]] = g.value;
    else errors.push(g.reason.message);
  });
  if (data.metrics) ui.metrics = data.metrics;
  // A call that failed keeps its last answer (a blip does not blank the view).
  view.data = Object.assign({}, view.data, data);
  view.error = errors.length ? errors.join('; ') : null;
  view.loading = false;
  view.loadedAt = Date.now();
  render();
}

// What an empty table of a view says: its data are not there yet, or
// could not be read (the error is shown above it).
function notYet() {
  return view.error ? 'Not available.' : 'Loading…';
}

function renderViewError() {
  const el = document.querySelector('#view-' + view.name + ' .view-error');
  if (!el) return;
  el.hidden = !view.error;
  el.textContent = !view.error ? '' : isStandby()
    ? 'This master is a standby: the leader answers the operator calls this page needs.'
    : 'Cannot read: ' + view.error;
}

// ---- resources and times --------------------------------------------------

function fmtKind(k, x) {
  return k === 'mem' || k === 'disk' ? fmtMem(x) : fmtNum(x);
}

// The role a (possibly refined) reservation is for, or null if unreserved.
function reservedRole(r) {
  const rs = r.reservations || [];
  if (rs.length) return rs[rs.length - 1].role || null;
  return r.role && r.role !== '*' ? r.role : null;
}

function addScalar(acc, r) {
  if (r.scalar && KINDS.includes(r.name))
    acc[r.name] = (acc[r.name] || 0) + (r.scalar.value || 0);
}

function nsToSecs(ns) {
  return ns == null ? null : Number(ns) / 1e9;
}

// A span in its two largest units: "1h 30m", "2d 4h", "45s".
function fmtSpan(secs) {
  secs = Math.abs(secs);
  if (secs > 0 && secs < 1) return Math.round(secs * 1000) + 'ms';
  const units = [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]];
  const parts = [];
  for (const [u, n] of units) {
    const v = Math.floor(secs / n);
    if (v || parts.length) parts.push(v + u);
    secs -= v * n;
    if (parts.length === 2) break;
  }
  const out = parts.filter((p) => p[0] !== '0');
  return out.length ? out.join(' ') : '0s';
}

// "<local date> (in 2h 5m)" / "(3m ago)".
function fmtWhen(secs) {
  if (!secs) return '–';
  const d = secs - Date.now() / 1000;
  return new Date(secs * 1000).toLocaleString() + ' (' +
    (d >= 0 ? 'in ' + fmtSpan(d) : fmtSpan(d) + ' ago') + ')';
}

// ---- roles ---------------------------------------------------------------

// Every role any call names, with weight, frameworks, quota, what its
// tasks use and what is reserved for it.
function collectRoles(d) {
  const roles = new Map();
  const get = (name) => {
    if (!roles.has(name))
      roles.set(name, {name: name, weight: null, frameworks: [], guarantees: null,
        limits: null, allocated: {}, unreservedAlloc: {}, reserved: {}});
    return roles.get(name);
  };
  for (const r of (d.GET_ROLES || {}).roles || []) {
    const e = get(r.name);
    e.weight = r.weight;
    e.frameworks = (r.frameworks || []).map((f) => f.value);
    for (const res of r.resources || []) {
      addScalar(e.allocated, res);
      if (!reservedRole(res)) addScalar(e.unreservedAlloc, res);
    }
  }
  for (const w of (d.GET_WEIGHTS || {}).weight_infos || []) get(w.role).weight = w.weight;
  for (const c of ((d.GET_QUOTA || {}).status || {}).configs || []) {
    const e = get(c.role);
    e.guarantees = c.guarantees || {};
    e.limits = c.limits || {};
  }
  for (const a of (d.GET_AGENTS || {}).agents || []) {
    for (const res of a.total_resources || []) {
      const role = reservedRole(res);
      if (role) addScalar(get(role).reserved, res);
    }
  }
  return Array.from(roles.values()).sort((a, b) => a.name.localeCompare(b.name));
}

// Quota's consumption of a role covers its sub-roles ("a" covers "a/b"):
// reservations plus unreserved resources in use.
function consumed(roles, e) {
  const c = {};
  for (const r of roles) {
    if (r.name !== e.name && !r.name.startsWith(e.name + '/')) continue;
    for (const k of KINDS)
      c[k] = (c[k] || 0) + (r.reserved[k] || 0) + (r.unreservedAlloc[k] || 0);
  }
  return c;
}

function quotaValue(map, k) {
  return map && map[k] && map[k].value != null ? map[k].value : null;
}

function quotaCell(e, used, k) {
  const g = quotaValue(e.guarantees, k), l = quotaValue(e.limits, k);
  const u = used[k] || 0;
  const title = 'allocated to tasks ' + fmtKind(k, e.allocated[k] || 0) +
    ', reserved ' + fmtKind(k, e.reserved[k] || 0);
  let html = '<span class="used">' + esc(fmtKind(k, u)) + '</span>';
  if (g != null || l != null) {
    const cap = l != null ? l : g;
    const pct = cap > 0 ? Math.min(100, 100 * u / cap) : (u > 0 ? 100 : 0);
    const over = l != null && u > l + 1e-9;
    html += '<div class="bar' + (over ? ' over' : '') + '"><span style="width:' +
      pct.toFixed(1) + '%"></span></div><div class="quota">' +
      [g != null ? 'guarantee ' + esc(fmtKind(k, g)) : '',
        l != null ? 'limit ' + esc(fmtKind(k, l)) : ''].filter(Boolean).join(' · ') +
      '</div>';
  } else if (e.guarantees) {
    html += '<div class="quota">no quota for ' + esc(k) + '</div>';
  }
  return '<td class="res" data-res="' + k + '" title="' + esc(title) + '">' + html + '</td>';
}

function frameworkNames(ids) {
  if (!ids.length) return '<span class="muted">none</span>';
  const fws = (ui.state && ui.state.frameworks) || [];
  const names = ids.slice(0, 4).map((id) => {
    const f = fws.find((x) => x.id === id);
    return '<span title="' + esc(id) + '">' + esc(f ? f.name : id) + '</span>';
  });
  return names.join(', ') + (ids.length > 4 ? ' +' + (ids.length - 4) + ' more' : '');
}

function renderRoles() {
  const roles = collectRoles(view.data);
  $('roles-count').textContent = view.data.GET_ROLES ? '(' + roles.length + ')' : '';
  rows(document.querySelector('#roles tbody'), roles.map((e) => {
    const used = consumed(roles, e);
    return '<tr data-role="' + esc(e.name) + '"><td class="role">' + esc(e.name) +
      '</td><td class="weight">' + esc(fmtNum(e.weight == null ? 1 : e.weight)) +
      '</td><td class="fws">' + frameworkNames(e.frameworks) + '</td>' +
      KINDS.map((k) => quotaCell(e, used, k)).join('') + '</tr>';
  }), 7, view.data.GET_ROLES ? 'No roles: no weights, quota, reservations or frameworks.'
    : notYet());
}

// ---- maintenance -----------------------------------------------------------

function machineKey(m) { return (m.hostname || '') + '\n' + (m.ip || ''); }

// MachineID key -> 'DRAINING' | 'DOWN'.
function machineModes(d) {
  const st = (d.GET_MAINTENANCE_STATUS || {}).status || {};
  const modes = new Map();
  for (const m of st.draining_machines || []) modes.set(machineKey(m.id || {}), 'DRAINING');
  for (const m of st.down_machines || []) modes.set(machineKey(m), 'DOWN');
  return modes;
}

function agentIP(a) {
  const addr = pidAddress(a.pid);
  return addr ? addr.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1') : null;
}

// As the master matches them: the agent's machine is {hostname, ip},
// {hostname} or {ip}, the first of those the schedule names.
function agentMachine(a, known) {
  const ip = agentIP(a);
  for (const m of [{hostname: a.hostname, ip: ip}, {hostname: a.hostname}, {ip: ip}]) {
    if ((m.hostname || m.ip) && known.has(machineKey(m))) return machineKey(m);
  }
  return null;
}

// Scheduled machine key -> {window, start, duration} (secs).
function machineWindows(d) {
  const out = new Map();
  const windows = ((d.GET_MAINTENANCE_SCHEDULE || {}).schedule || {}).windows || [];
  windows.forEach((w, i) => {
    const u = w.unavailability || {};
    const start = nsToSecs((u.start || {}).nanoseconds);
    const dur = u.duration ? nsToSecs(u.duration.nanoseconds) : null;
    for (const m of w.machine_ids || [])
      out.set(machineKey(m), {window: i + 1, machine: m, start: start, duration: dur});
  });
  return out;
}

function modeBadge(mode) {
  return '<span class="mode ' + esc(mode) + '">' + esc(mode.toLowerCase()) + '</span>';
}

function agentsOn(s, key, known) {
  return (s.slaves || []).filter((a) => agentMachine(a, known) === key);
}

function inverseOffers(statuses) {
  if (!statuses || !statuses.length) return '<span class="muted">no answers yet</span>';
  const by = {};
  for (const x of statuses) by[x.status] = (by[x.status] || 0) + 1;
  return Object.keys(by).sort().map((k) => esc(k.toLowerCase()) + ' ' + by[k]).join(', ');
}

function renderMaintenance(s) {
  const d = view.data, modes = machineModes(d), wins = machineWindows(d);
  const known = new Set([...modes.keys(), ...wins.keys()]);
  const st = (d.GET_MAINTENANCE_STATUS || {}).status || {};
  const machines = (st.draining_machines || []).map((m) => ({id: m.id || {},
    statuses: m.statuses})).concat((st.down_machines || []).map((m) => ({id: m})));
  const loaded = !!d.GET_MAINTENANCE_STATUS;
  $('machines-count').textContent = loaded ? '(' + machines.length + ')' : '';
  rows(document.querySelector('#machines tbody'), machines.map((m) => {
    const key = machineKey(m.id), mode = modes.get(key);
    const agents = agentsOn(s, key, known).map((a) => agentLink(a.id, a.hostname + ':' + a.port));
    return '<tr data-machine="' + esc(key.replace('\n', '/')) + '"><td>' +
      esc(m.id.hostname || '–') + '</td><td>' + esc(m.id.ip || '–') + '</td><td>' +
      modeBadge(mode) + '</td><td>' + (agents.join(', ') ||
        '<span class="muted">none registered</span>') + '</td><td>' +
      (mode === 'DOWN' ? '' : inverseOffers(m.statuses)) + '</td></tr>';
  }), 5, loaded ? 'No machine is draining or down.' : notYet());

  const sched = Array.from(wins.entries());
  const nw = new Set(sched.map(([, w]) => w.window)).size;
  $('windows-count').textContent = d.GET_MAINTENANCE_SCHEDULE
    ? '(' + nw + ' window' + (nw === 1 ? '' : 's') + ')' : '';
  rows(document.querySelector('#schedule tbody'), sched.map(([key, w]) => {
    const end = w.start != null && w.duration != null ? w.start + w.duration : null;
    return '<tr data-machine="' + esc(key.replace('\n', '/')) + '"><td>' + w.window +
      '</td><td>' + esc(w.machine.hostname || '–') + '</td><td>' +
      esc(w.machine.ip || '–') + '</td><td class="start">' + esc(fmtWhen(w.start)) +
      '</td><td class="duration">' +
      (w.duration == null ? 'open-ended' : esc(fmtSpan(w.duration))) +
      '</td><td>' + (end == null ? '–' : esc(new Date(end * 1000).toLocaleString())) +
      '</td><td>' + modeBadge(modes.get(key) || 'UP') + '</td></tr>';
  }), 7, d.GET_MAINTENANCE_SCHEDULE ? 'No maintenance scheduled.' : notYet());
}

// ---- cluster / registry ------------------------------------------------------

// GET_FLAGS as name -> value; a standby (no operator calls) shows the
// flags in its /master/state.
function flagMap(s) {
  const list = (view.data.GET_FLAGS || {}).flags;
  if (!list) return s.flags || {};
  const out = {};
  for (const f of list) out[f.name] = f.value;
  return out;
}

// Credentials in a zk:// URL are not shown.
function maskZk(url) {
  return String(url).replace(/^(zk:\/\/)[^@/]*@/, '$1***@');
}

function setHTML(el, html) {
  if (shownRows.get(el) === html) return;
  el.innerHTML = html;
  shownRows.set(el, html);
}

function setText(id, text, cls) {
  const el = $(id);
  el.textContent = text;
  el.className = cls || '';
}

function renderRegistry(s) {
  const f = flagMap(s), m = ui.metrics || {}, gm = view.data.GET_MASTER || {};
  const leader = leaderAddress(s);
  setText('rg-leader', leader || 'none elected');
  setText('rg-self', selfText(s));
  const elected = gm.elected_time || s.elected_time;
  setText('rg-elected', isStandby() ? '– (standby)' : fmtWhen(elected));
  setText('rg-started', fmtWhen(gm.start_time || s.start_time));
  setText('rg-uptime', m['master/uptime_secs'] != null
    ? fmtDuration(m['master/uptime_secs']) : '–');
  setText('rg-zk', f.zk ? maskZk(f.zk) : 'none: a single master, no election');
  setText('rg-quorum', f.quorum ? f.quorum + ' of the masters\' log replicas'
    : f.zk ? '–' : '1 (no ZooKeeper)');
  const reg = f.registry || '';
  setText('rg-store', reg === 'in_memory' ? 'in_memory (lost on restart)'
    : reg === 'replicated_log' ? 'replicated_log (in --work_dir, ' +
      (f.quorum || 1) + ' replica' + (f.quorum > 1 ? 's' : '') + ' must agree)' : reg || '–');
  const rec = m['registrar/log/recovered'];
  setText('rg-recovered', rec == null ? '– (no replicated log)'
    : rec ? 'yes (voting)' : 'no (catching up)', rec === 0 ? 'err-text' : '');
  const ens = m['registrar/log/ensemble_size'];
  setText('rg-ensemble', ens == null ? '–' : fmtNum(ens) + ' replica' + (ens === 1 ? '' : 's'));
  const ms = (k) => m[k] == null ? '–' : fmtMs(m[k]);
  setText('rg-fetch', ms('registrar/state_fetch_ms'));
  setText('rg-storems', ms('registrar/state_store_ms'));
  const size = m['registrar/registry_size_bytes'];
  setText('rg-size', size == null ? '–' : fmtBytes(size));
  setText('rg-timeouts', (f.registry_fetch_timeout || '–') + ' / ' +
    (f.registry_store_timeout || '–'));
}

function fmtMs(x) {
  return (x >= 100 ? Math.round(x) : x >= 1 ? Math.round(x * 10) / 10
    : Number(x.toPrecision(2))) + ' ms';
}

// ---- agent page ------------------------------------------------------------

// Reserved resources of one agent (GET_AGENTS total_resources), grouped
// by role, reservation type and principal.
function reservations(v1agent) {
  const groups = new Map();
  for (const r of (v1agent && v1agent.total_resources) || []) {
    const role = reservedRole(r);
    if (!role) continue;
    const rs = r.reservations || [];
    const last = rs.length ? rs[rs.length - 1] : {};
    const type = last.type || (rs.length ? 'DYNAMIC' : 'STATIC');
    const principal = last.principal || (r.reservation || {}).principal || '';
    const key = role + '\n' + type + '\n' + principal;
    if (!groups.has(key))
      groups.set(key, {role: role, type: type, principal: principal, scalars: {}, other: []});
    const g = groups.get(key);
    if (r.scalar && KINDS.includes(r.name)) {
      addScalar(g.scalars, r); // (a volume's disk too: it is reserved)
      if (r.disk && r.disk.persistence)
        g.other.push('volume ' + r.disk.persistence.id + ' (' +
          fmtMem(r.scalar.value) + ')');
    } else if (r.ranges) {
      g.other.push(r.name + ' ' + (r.ranges.range || []).map((x) =>
        x.begin === x.end ? x.begin : x.begin + '-' + x.end).join(','));
    } else if (r.set) {
      g.other.push(r.name + ' {' + (r.set.item || []).join(',') + '}');
    } else if (r.scalar) {
      g.other.push(r.name + ' ' + fmtNum(r.scalar.value));
    }
  }
  return Array.from(groups.values()).sort((a, b) => a.role.localeCompare(b.role));
}

function renderAgentPage(s) {
  const id = view.arg, a = agentById(id);
  $('ag-id').textContent = id;
  $('ag-missing').hidden = !!a;
  const v1 = ((view.data.GET_AGENTS || {}).agents || []).find((x) =>
    ((x.agent_info || {}).id || {}).value === id);
  if (a) {
    setText('ag-host', a.hostname + ':' + a.port + (agentIP(a) && agentIP(a) !== a.hostname
      ? ' (' + agentIP(a) + ')' : ''));
    setText('ag-status', a.deactivated ? 'deactivated' : a.active ? 'active' : 'inactive');
    setText('ag-version', a.version || '–');
    setText('ag-registered', fmtWhen(a.reregistered_time || a.registered_time));
    const attrs = Object.keys(a.attributes || {}).map((k) => k + '=' + a.attributes[k]);
    setText('ag-attrs', attrs.length ? attrs.join('; ') : 'none');
  }
  // Maintenance: the agent's machine, matched as the master does.
  const d = view.data, modes = machineModes(d), wins = machineWindows(d);
  const known = new Set([...modes.keys(), ...wins.keys()]);
  const key = a ? agentMachine(a, known) : null;
  const mode = key ? modes.get(key) || 'UP' : 'UP';
  const win = key ? wins.get(key) : null;
  const maint = $('ag-maint');
  if (!d.GET_MAINTENANCE_STATUS) {
    setHTML(maint, view.error ? '–' : 'loading…');
    maint.dataset.mode = '';
  } else {
    setHTML(maint, modeBadge(mode) + (win ? ' window ' + win.window +
      ' starts ' + esc(fmtWhen(win.start)) + (win.duration != null ? ', for ' +
        esc(fmtSpan(win.duration)) : '') : key ? '' : ' (not scheduled)') +
      (key ? ' · <a href="#/maintenance">maintenance</a>' : ''));
    maint.dataset.mode = mode;
  }
  const groups = reservations(v1);
  const reserved = {};
  for (const g of groups)
    for (const k of KINDS) reserved[k] = (reserved[k] || 0) + (g.scalars[k] || 0);
  const res = a ? [['Total', a.resources || {}], ['Reserved', v1 ? reserved : null],
    ['Used', a.used_resources || {}], ['Offered', a.offered_resources || {}]] : [];
  rows($('ag-resources'), res.map(([n, r]) => '<tr><th>' + n + '</th>' +
    KINDS.map((k) => '<td>' + (r ? esc(fmtKind(k, r[k] || 0)) : '…') + '</td>').join('') +
    '</tr>'), 5, 'Unknown agent.');

  $('ag-res-count').textContent = v1 ? '(' + groups.length + ')' : '';
  rows(document.querySelector('#ag-reserved tbody'), groups.map((g) =>
    '<tr data-role="' + esc(g.role) + '"><td class="role">' + esc(g.role) + '</td><td>' +
    esc(g.type.toLowerCase()) + '</td><td>' + esc(g.principal || '–') + '</td>' +
    KINDS.map((k) => '<td data-res="' + k + '">' + (g.scalars[k] ? esc(fmtKind(k, g.scalars[k]))
      : '') + '</td>').join('') + '<td>' + esc(g.other.join('; ')) + '</td></tr>'),
  8, v1 ? 'Nothing is reserved on this agent.' : view.data.GET_AGENTS
    ? 'Unknown agent.' : notYet());

  const tasks = sortedTasks((t) => t.agent_id === id);
  $('ag-tasks-count').textContent = '(' + tasks.length + ')';
  rows(document.querySelector('#ag-tasks tbody'), tasks.map((t) =>
    '<tr data-task="' + esc(t.id) + '"><td class="id">' + esc(t.id) + '</td><td>' +
    esc(t.name) + '</td><td><span class="state ' + esc(t.state) + '">' + esc(t.state) +
    '</span></td><td class="id">' + esc(t.framework_id) + '</td><td>' +
    esc(fmtTime(t.updated)) + '</td><td class="logs">' + sandboxLinks(t) + '</td></tr>'),
  6, 'No tasks on this agent.');
}

// ---- sandbox browser ----------------------------------------------------

const sb = {
  key: null,      // task key whose sandbox is shown
  agent: null,    // its agent id
  root: null,     // sandbox root (virtual path on the agent)
  dir: null,      // directory listed
  file: null,     // file viewed (path), or null
  offset: 0,      // next byte of the file to read
  shown: 0,       // characters in the view
  gen: 0,         // bumped when the file viewed changes: stale reads stop
  dirGen: 0,      // the same for directory listings
  listedAt: 0,    // when the directory was last listed (ms)
  busy: null,     // gen of the pump in progress, if any
  paused: false,  // another view is shown: no reads
  timer: null,
};

function filesURL(op, path, extra) {
  return '/files/' + op + '?agent_id=' + encodeURIComponent(sb.agent) +
    '&path=' + encodeURIComponent(path) + (extra || '');
}

// GET a /files URL as JSON; errors carry the master's (or agent's) text.
async function filesJSON(url) {
  const r = await fetch(url, {cache: 'no-store'});
  if (!r.ok) {
    const text = (await r.text().catch(() => '')).trim();
    throw new Error('HTTP ' + r.status + (text ? ': ' + text : ''));
  }
  return r.json();
}

function fmtBytes(n) {
  if (n == null) return '';
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return (i ? n.toFixed(1) : String(n)) + ' ' + u[i];
}

function sandboxTask() { return sb.key ? ui.tasks.get(sb.key) : null; }

function sandboxError(msg) {
  $('sb-error').hidden = !msg;
  $('sb-error').textContent = msg || '';
}

function renderSandboxHead() {
  const t = sandboxTask();
  if (!t) return;
  $('sb-task').textContent = t.id;
  $('sb-state').textContent = t.state || '';
  $('sb-state').className = 'state ' + (t.state || '');
}

function stopFollow() {
  if (sb.timer) clearTimeout(sb.timer);
  sb.timer = null;
}

async function openSandbox(key, file) {
  const t = ui.tasks.get(key);
  if (!t || !t.agent_id) return;
  stopFollow();
  sb.gen++;
  sb.key = key;
  sb.agent = t.agent_id;
  sb.root = '/frameworks/' + t.framework_id + '/executors/' + t.executor_id +
    '/runs/latest';
  sb.file = null;
  $('sb-file').hidden = true;
  $('sandbox').hidden = false;
  renderSandboxHead();
  await browse(sb.root);
  if (file) openFile(sb.root + '/' + file);
  $('sandbox').scrollIntoView({block: 'nearest'});
}

function renderCrumbs(dir) {
  const rel = dir.slice(sb.root.length).split('/').filter(Boolean);
  const parts = ['<a href="#" data-sb-dir="' + esc(sb.root) + '">sandbox</a>'];
  let p = sb.root;
  for (const name of rel) {
    p += '/' + name;
    parts.push('<a href="#" data-sb-dir="' + esc(p) + '">' + esc(name) + '</a>');
  }
  $('sb-crumbs').innerHTML = parts.join(' / ');
}

async function browse(dir) {
  const gen = ++sb.dirGen;
  sb.dir = dir;
  sb.listedAt = Date.now();
  renderCrumbs(dir);
  let list;
  try {
    list = await filesJSON(filesURL('browse', dir));
  } catch (e) {
    if (gen !== sb.dirGen) return;
    sandboxError('Cannot list ' + dir + ': ' + e.message);
    rows(document.querySelector('#sb-list tbody'), [], 5, 'Not available.');
    return;
  }
  if (gen !== sb.dirGen) return;
  sandboxError(null);
  const html = [];
  if (dir !== sb.root) {
    const up = dir.slice(0, dir.lastIndexOf('/'));
    html.push('<tr><td class="name"><a href="#" data-sb-dir="' + esc(up) +
      '">..</a></td><td></td><td></td><td></td><td></td></tr>');
  }
  for (const f of list) {
    const name = f.path.slice(f.path.lastIndexOf('/') + 1);
    const isDir = (f.mode || '')[0] === 'd';
    const link = isDir
      ? '<a href="#" data-sb-dir="' + esc(f.path) + '">' + esc(name) + '/</a>'
      : '<a href="#" data-sb-file="' + esc(f.path) + '">' + esc(name) + '</a>';
    const dl = isDir ? '' : '<a href="' + esc(filesURL('download', f.path)) +
      '" download="' + esc(name) + '">download</a>';
    html.push('<tr data-path="' + esc(f.path) + '"' +
      (f.path === sb.file ? ' class="current"' : '') + '><td class="name">' + link +
      '</td><td class="num">' + (isDir ? '' : esc(fmtBytes(f.size))) + '</td><td>' +
      esc(fmtTime(f.mtime)) + '</td><td class="id">' + esc(f.mode) + '</td><td>' +
      dl + '</td></tr>');
  }
  rows(document.querySelector('#sb-list tbody'), html, 5, 'Empty directory.');
}

function fileStatus(text) { $('sb-file-status').textContent = text; }

// Append text to the view; keep the bottom in sight if it was.
function appendView(text) {
  if (!text) return;
  const v = $('sb-view');
  const atBottom = v.scrollTop + v.clientHeight >= v.scrollHeight - 4;
  v.appendChild(document.createTextNode(text));
  sb.shown += text.length;
  if (sb.shown > MAX_VIEW_CHARS) {
    const keep = v.textContent.slice(-MAX_VIEW_CHARS / 2);
    v.textContent = '[… earlier output trimmed …]\n' + keep;
    sb.shown = v.textContent.length;
  }
  if (atBottom) v.scrollTop = v.scrollHeight;
}

async function fileSize(path) {
  const d = await filesJSON(filesURL('read', path, '&offset=-1'));
  return d.offset;
}

function openFile(path) {
  stopFollow();
  const gen = ++sb.gen;
  sb.file = path;
  sb.offset = -1; // unknown until the first size read
  sb.shown = 0;
  const name = path.slice(path.lastIndexOf('/') + 1);
  $('sb-file-name').textContent = name;
  $('sb-download').href = filesURL('download', path);
  $('sb-download').setAttribute('download', name);
  $('sb-view').textContent = '';
  delete $('sb-file').dataset.complete;
  $('sb-file').hidden = false;
  for (const tr of document.querySelectorAll('#sb-list tbody tr'))
    tr.classList.toggle('current', tr.dataset.path === path);
  fileStatus('reading…');
  pump(gen);
}

// Read the file up to its current size, then poll again while the task
// runs and following is on; stop once a task already terminal before the
// size read has had its tail read.
async function pump(gen) {
  sb.timer = null;
  if (sb.paused || sb.busy === gen) return;
  sb.busy = gen;
  try {
    await pumpOnce(gen);
  } finally {
    if (sb.busy === gen) sb.busy = null;
  }
}

async function pumpOnce(gen) {
  const path = sb.file;
  const t = sandboxTask();
  const ended = !t || TERMINAL.has(t.state); // (gone from the list: over)
  try {
    const size = await fileSize(path);
    if (gen !== sb.gen) return;
    let partial = false; // starting mid-file: drop the cut first line
    if (sb.offset < 0) {
      sb.offset = Math.max(0, size - TAIL_START);
      partial = sb.offset > 0;
      if (partial)
        appendView('[… ' + fmtBytes(sb.offset) + ' before this point not shown …]\n');
    } else if (size < sb.offset) {
      appendView('\n[… file truncated …]\n');
      sb.offset = 0;
    }
    while (sb.offset < size) {
      const len = Math.min(READ_CHUNK, size - sb.offset);
      const d = await filesJSON(filesURL('read', path,
        '&offset=' + sb.offset + '&length=' + len));
      if (gen !== sb.gen) return;
      let text = d.data;
      if (partial) {
        partial = false;
        text = text.slice(text.indexOf('\n') + 1);
      }
      appendView(text);
      sb.offset += len;
    }
  } catch (e) {
    if (gen !== sb.gen) return;
    fileStatus('error: ' + e.message + (ended ? '' : ' (retrying)'));
    if (!ended) sb.timer = setTimeout(() => pump(gen), FOLLOW_MS * 3);
    return;
  }
  // Sizes in the listing change as the file grows: re-list now and then.
  if (sb.dir && (ended || Date.now() - sb.listedAt > LIST_REFRESH_MS))
    browse(sb.dir);
  if (ended) {
    fileStatus(fmtBytes(sb.offset) + ' — complete' + (t ? ' (task ' +
      t.state.replace('TASK_', '').toLowerCase() + ')' : ''));
    $('sb-file').dataset.complete = 'true';
    return;
  }
  delete $('sb-file').dataset.complete;
  if (!$('sb-follow').checked) {
    fileStatus(fmtBytes(sb.offset) + ' — not following');
    return;
  }
  fileStatus(fmtBytes(sb.offset) + ' — following');
  sb.timer = setTimeout(() => pump(gen), FOLLOW_MS);
}

// Another view is shown: stop reading until the dashboard is back.
function pauseSandbox() {
  sb.paused = true;
  stopFollow();
}

function resumeSandbox() {
  if (!sb.paused) return;
  sb.paused = false;
  if (sb.file && !$('sb-file').dataset.complete && $('sb-follow').checked) pump(sb.gen);
}

function closeSandbox() {
  stopFollow();
  sb.gen++;
  sb.dirGen++;
  sb.key = sb.file = null;
  $('sandbox').hidden = true;
}

document.addEventListener('click', (e) => {
  const el = e.target.closest('a[data-sandbox], a[data-sb-dir], a[data-sb-file]');
  if (!el) return;
  e.preventDefault();
  if (el.dataset.sandbox !== undefined) {
    if (view.name !== 'dashboard') { // (from an agent's page)
      history.pushState(null, '', '#/');
      navigate();
    }
    openSandbox(el.dataset.task, el.dataset.sandbox || null);
  }
  else if (el.dataset.sbDir !== undefined)
    browse(el.dataset.sbDir);
  else
    openFile(el.dataset.sbFile);
});
$('sb-close').addEventListener('click', closeSandbox);
$('sb-follow').addEventListener('change', () => {
  if (!sb.file || $('sb-file').dataset.complete) return;
  if ($('sb-follow').checked) {
    if (!sb.timer) pump(sb.gen);
  } else {
    stopFollow();
    fileStatus(fmtBytes(Math.max(0, sb.offset)) + ' — not following');
  }
});
window.addEventListener('hashchange', navigate);
setInterval(render, 1000); // uptime
navigate();
connect();
