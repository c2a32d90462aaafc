// The operator's dashboard of a snapstream node (served at / and /ui/).
// Plain JS, no build step. It reads the control plane of docs/http.md with
// the bearer token the operator gives (kept in sessionStorage only), follows
// GET /events through fetch() (EventSource cannot send Authorization), and
// renders every string that comes from the node or a peer with textContent.
'use strict';

(() => {
  const TOKEN_KEY = 'snapstream.token';
  const CHART_SECONDS = 300;            // the throughput chart's window
  const POLL_ACTIVE_MS = 1000;          // sessions while a job is planning or syncing
  const POLL_IDLE_MS = 5000;            // sessions otherwise
  const MIN_REFRESH_MS = 1000;          // no JSON route is read more often than this
  const NODE_REFRESH_MS = 30000;        // GET /node (uptime runs on locally between reads)
  const STREAM_STALL_MS = 45000;        // 3 heartbeats (15 s each) missed: the stream is dead
  const BACKOFF_FIRST_MS = 1000;
  const BACKOFF_MAX_MS = 30000;
  const EVENT_LOG_MAX = 500;
  const ACTIVE_STATES = new Set(['planning', 'syncing']);
  const SESSION_STATES = new Set(['planning', 'syncing', 'verified', 'failed', 'cancelled']);

  const $ = (id) => document.getElementById(id);

  // ---------------------------------------------------------------- formatting

  const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

  function fmtBytes (n) {
    if (typeof n !== 'number' || !isFinite(n)) return '–';
    let i = 0;
    while (n >= 1024 && i < UNITS.length - 1) { n /= 1024; i++; }
    return (i === 0 ? String(n) : n.toFixed(n < 10 ? 2 : 1)) + ' ' + UNITS[i];
  }

  function fmtRate (n) { return typeof n === 'number' ? fmtBytes(n) + '/s' : '–'; }

  function fmtDuration (s) {
    if (typeof s !== 'number' || !isFinite(s) || s < 0) return '–';
    s = Math.round(s);
    const d = Math.floor(s / 86400); const h = Math.floor(s / 3600) % 24;
    const m = Math.floor(s / 60) % 60; const sec = s % 60;
    if (d) return `${d}d ${h}h ${m}m`;
    if (h) return `${h}h ${m}m ${sec}s`;
    if (m) return `${m}m ${sec}s`;
    return `${sec}s`;
  }

  function fmtCount (n) { return typeof n === 'number' ? n.toLocaleString('en-US') : '–'; }

  function fmtTime (date) {
    return date.toLocaleTimeString('en-GB', { hour12: false });
  }

  /** `error (code, HTTP status)`, as the API answered it. */
  function describeError (e) {
    if (e instanceof ApiError) return e.status ? `${e.message} (${e.code}, HTTP ${e.status})` : e.message;
    return String((e && e.message) || e);
  }

  /** A new element with optional class and text (always textContent). */
  function el (tag, className, text) {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function setText (node, text) {
    const t = text === undefined || text === null ? '' : String(text);
    if (node.textContent !== t) node.textContent = t;
  }

  // ---------------------------------------------------------------- the API

  class ApiError extends Error {
    constructor (status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  /**
   * JSON.parse that keeps u64 ids beyond 2^53 exact: a `session` number a
   * double cannot hold stays the decimal text it was sent as.
   */
  function parseJson (text) {
    return JSON.parse(text, (key, value, context) =>
      key === 'session' && typeof value === 'number' && !Number.isSafeInteger(value) && context && context.source
        ? context.source
        : value);
  }

  let token = readStoredToken();
  let authBlocked = false;              // a call answered 401: everything waits for a token

  function readStoredToken () {
    try { return sessionStorage.getItem(TOKEN_KEY) || ''; } catch { return ''; }
  }

  function storeToken (value) {
    try {
      if (value) sessionStorage.setItem(TOKEN_KEY, value); else sessionStorage.removeItem(TOKEN_KEY);
    } catch { /* storage disabled: the token lives in memory for this page only */ }
  }

  function authHeaders (extra) {
    const h = Object.assign({}, extra);
    if (token) h.Authorization = 'Bearer ' + token;
    return h;
  }

  /** One JSON call: resolves with the parsed body (null for 204), throws ApiError. */
  async function api (method, path, body) {
    const init = { method, headers: authHeaders({ Accept: 'application/json' }), cache: 'no-store' };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch (e) {
      throw new ApiError(0, 'network', `${method} ${path} failed: ${e.message}`);
    }
    const text = res.status === 204 ? '' : await res.text();
    let json = null;
    try { json = text ? parseJson(text) : null; } catch { json = null; }
    if (!res.ok) {
      const err = new ApiError(res.status,
        json && typeof json.code === 'string' ? json.code : `http_${res.status}`,
        json && typeof json.error === 'string' ? json.error : `HTTP ${res.status} ${res.statusText}`.trim());
      if (res.status === 401) needToken(err);
      throw err;
    }
    return json;
  }

  // ---------------------------------------------------------------- token

  const tokenPanel = $('token-panel');
  const dashboard = $('dashboard');

  /** A call answered 401: stop polling and streaming, ask for the token. */
  function needToken (err) {
    const sentToken = token !== '';
    if (sentToken) {
      token = '';
      storeToken('');
    }
    authBlocked = true;
    stopStream();
    clearTimeout(refreshTimer);
    refreshTimer = null;
    dashboard.hidden = true;
    tokenPanel.hidden = false;
    // Only a token that was sent and refused is an error; a first visit just asks.
    if (sentToken) setText($('token-error'), `${err.message} (${err.code})`);
    setStreamStatus('stopped', 'stopped (token needed)');
    $('token').focus();
  }

  $('token-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const input = $('token');
    const value = input.value.trim();
    if (!value) return;
    input.value = '';
    token = value;
    storeToken(value);
    setText($('token-error'), '');
    $('token-submit').disabled = true;
    start().finally(() => { $('token-submit').disabled = false; });
  });

  // ---------------------------------------------------------------- node panel

  let node = null;
  let nodeFetchedAt = 0;

  async function loadNode () {
    const n = await api('GET', '/node');
    node = n || {};
    nodeFetchedAt = Date.now();
    renderNode();
    setText($('node-error'), '');
  }

  function renderNode () {
    if (!node) return;
    setText($('node-peer-id'), node.peer_id);
    setText($('node-version'), node.version);
    const addresses = $('node-addresses');
    addresses.replaceChildren(...(Array.isArray(node.addresses) ? node.addresses : []).map((a) => el('li', null, a)));
    renderUptime();
    const rows = (Array.isArray(node.snapshots) ? node.snapshots : []).map((s) => {
      const tr = el('tr');
      tr.append(el('td', 'num', fmtCount(s.height)));
      const plan = el('td', 'id mono', s.plan_id);
      plan.title = String(s.plan_id ?? '');
      tr.append(plan, el('td', 'num', fmtBytes(s.total_bytes)), el('td', 'num', fmtCount(s.record_count)),
        el('td', 'num', fmtCount(s.page_count)), el('td', 'num', fmtCount(s.update_count)));
      return tr;
    });
    if (rows.length === 0) {
      const td = el('td', 'hint', 'This node serves no snapshot yet.');
      td.colSpan = 6;
      rows.push(el('tr'));
      rows[0].append(td);
    }
    $('node-snapshots').replaceChildren(...rows);
  }

  function renderUptime () {
    if (!node || typeof node.uptime_s !== 'number') return;
    setText($('node-uptime'), fmtDuration(node.uptime_s + (Date.now() - nodeFetchedAt) / 1000));
  }

  // ---------------------------------------------------------------- sessions

  let sessions = [];                    // the last GET /p2p/snapshots
  let breakersByPeer = new Map();       // peer id -> [breaker, ...]
  const jobViews = new Map();           // session id (string) -> view

  function isActive (s) { return ACTIVE_STATES.has(s.state); }

  function sessionKey (s) { return String(s.session); }

  function chunkProgress (s) {
    const total = typeof s.total_chunks === 'number' ? s.total_chunks : null;
    let applied = typeof s.chunks_applied === 'number'
      ? s.chunks_applied
      : (typeof s.last_chunk_index === 'number' ? s.last_chunk_index + 1 : 0);
    if (s.state === 'verified' && total !== null) applied = Math.max(applied, total);
    return { total, applied };
  }

  /** Seconds until the job is done at its present throughput, or null. */
  function eta (s, p) {
    if (!isActive(s) || p.total === null || !(s.throughput > 0)) return null;
    const perChunk = p.applied > 0 ? s.bytes_received / p.applied : s.chunk_size;
    if (!(perChunk > 0)) return null;
    return Math.max(0, p.total - p.applied) * perChunk / s.throughput;
  }

  function createJobView (key) {
    const root = $('job-template').content.firstElementChild.cloneNode(true);
    root.dataset.session = key;
    const q = (sel) => root.querySelector(sel);
    return {
      root,
      id: q('.session-id'),
      state: q('.state'),
      progress: q('progress.progress'),
      percent: q('.percent'),
      chunks: q('.chunks'),
      bytes: q('.bytes'),
      rate: q('.rate'),
      eta: q('.eta'),
      plan: q('.plan'),
      retries: q('.retries'),
      lastError: q('.last-error'),
      cancel: q('button.cancel'),
      peerRows: q('.peer-rows'),
      peers: new Map()                  // peer id -> row view
    };
  }

  function updateJobView (v, s) {
    setText(v.id, s.session);
    setText(v.state, s.state);
    v.state.className = 'state' + (SESSION_STATES.has(s.state) ? ' state-' + s.state : '');
    const p = chunkProgress(s);
    if (p.total !== null && p.total > 0) {
      v.progress.max = p.total;
      v.progress.value = Math.min(p.applied, p.total);
      setText(v.percent, Math.floor(Math.min(p.applied, p.total) * 100 / p.total) + '%');
    } else if (isActive(s)) {
      v.progress.removeAttribute('value'); // indeterminate while the plan is not known
      setText(v.percent, '…');
    } else {
      v.progress.max = 1;
      v.progress.value = s.state === 'verified' ? 1 : 0;
      setText(v.percent, s.state === 'verified' ? '100%' : '–');
    }
    setText(v.chunks, `${fmtCount(p.applied)} / ${p.total === null ? '?' : fmtCount(p.total)}`);
    setText(v.bytes, fmtBytes(s.bytes_received));
    setText(v.rate, isActive(s) ? fmtRate(s.throughput) : '–');
    const left = eta(s, p);
    setText(v.eta, s.state === 'verified' ? 'done' : left === null ? '–' : fmtDuration(left));
    const plan = s.plan_id || s.root || '';
    setText(v.plan, plan || '–');
    v.plan.title = plan;
    setText(v.retries, fmtCount(s.retries));
    setText(v.lastError, s.error ? `${s.error}${s.error_code ? ` (${s.error_code})` : ''}` : '');
    setText(v.cancel, isActive(s) ? 'Cancel' : 'Remove');
    v.cancel.title = isActive(s) ? 'Cancel this sync job (DELETE)' : 'Remove this job\'s status (DELETE)';
    updatePeerRows(v, Array.isArray(s.peers) ? s.peers : []);
  }

  function updatePeerRows (v, peers) {
    const seen = new Set();
    peers.forEach((p, index) => {
      const key = String(p.peer);
      seen.add(key);
      let row = v.peers.get(key);
      if (!row) {
        const tr = el('tr');
        tr.dataset.peer = key;
        row = {
          tr,
          peer: el('td', 'id mono', key),
          state: el('td'),
          bytes: el('td', 'num'),
          chunks: el('td', 'num'),
          rate: el('td', 'num'),
          breaker: el('td'),
          lastError: el('td', 'wrap error-cell')
        };
        row.peer.title = key;
        tr.append(row.peer, row.state, row.bytes, row.chunks, row.rate, row.breaker, row.lastError);
        v.peers.set(key, row);
      }
      setText(row.state, p.state);
      row.state.className = /^[a-z_]+$/.test(String(p.state)) ? 'peer-' + p.state : '';
      setText(row.bytes, fmtBytes(p.bytes));
      setText(row.chunks, fmtCount(p.chunks));
      setText(row.rate, fmtRate(p.rate));
      const breakers = breakersByPeer.get(key) || [];
      setText(row.breaker, breakers.map((b) => `${b.state} (${b.side})`).join(', ') || '–');
      const open = breakers.find((b) => b.state === 'open' || b.state === 'half_open');
      row.breaker.className = open ? 'breaker-' + open.state : '';
      setText(row.lastError, p.last_error ? `${p.last_error}${p.last_error_code ? ` (${p.last_error_code})` : ''}` : '');
      if (v.peerRows.children[index] !== row.tr) v.peerRows.insertBefore(row.tr, v.peerRows.children[index] || null);
    });
    for (const [key, row] of v.peers) {
      if (!seen.has(key)) { row.tr.remove(); v.peers.delete(key); }
    }
  }

  function renderJobs () {
    const jobs = $('jobs');
    const list = sessions.slice().sort((a, b) => compareIds(sessionKey(b), sessionKey(a)));
    const seen = new Set();
    list.forEach((s, index) => {
      const key = sessionKey(s);
      seen.add(key);
      let v = jobViews.get(key);
      if (!v) { v = createJobView(key); jobViews.set(key, v); }
      updateJobView(v, s);
      if (jobs.children[index] !== v.root) jobs.insertBefore(v.root, jobs.children[index] || null);
    });
    for (const [key, v] of jobViews) {
      if (!seen.has(key)) { v.root.remove(); jobViews.delete(key); }
    }
    $('jobs-empty').hidden = list.length > 0;
  }

  /** Orders decimal ids (u64: longer is greater, then lexically). */
  function compareIds (a, b) {
    return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
  }

  function renderBreakers (list) {
    breakersByPeer = new Map();
    const rows = list.map((b) => {
      const key = String(b.peer);
      if (!breakersByPeer.has(key)) breakersByPeer.set(key, []);
      breakersByPeer.get(key).push(b);
      const tr = el('tr');
      tr.dataset.peer = key;
      const peer = el('td', 'id mono', key);
      peer.title = key;
      const state = el('td', /^[a-z_]+$/.test(String(b.state)) ? 'breaker-' + b.state : '', b.state);
      tr.append(peer, el('td', null, b.side), state, el('td', 'num', fmtCount(b.recent_failures)),
        el('td', 'num', b.state === 'closed' ? '–' : fmtDuration((b.retry_after_ms || 0) / 1000)));
      return tr;
    });
    if (rows.length === 0) {
      const td = el('td', 'hint', 'No breaker.');
      td.colSpan = 5;
      rows.push(el('tr'));
      rows[0].append(td);
    }
    $('breakers').replaceChildren(...rows);
  }

  // ---------------------------------------------------------------- refresh loop

  let refreshTimer = null;
  let refreshDue = 0;
  let lastRefresh = 0;
  let refreshing = false;
  let refreshQueued = false;
  let nodeStale = false;

  /** Reads the JSON routes again after `delay` ms, but never sooner than 1 s after the last read. */
  function requestRefresh (delay = 0) {
    if (authBlocked) return;
    if (refreshing) { refreshQueued = true; return; }
    const due = Math.max(Date.now() + delay, lastRefresh + MIN_REFRESH_MS);
    if (refreshTimer !== null && refreshDue <= due) return;
    clearTimeout(refreshTimer);
    refreshDue = due;
    refreshTimer = setTimeout(refresh, Math.max(0, due - Date.now()));
  }

  async function refresh () {
    refreshTimer = null;
    if (authBlocked) return;
    refreshing = true;
    refreshQueued = false;
    lastRefresh = Date.now();
    try {
      const wantNode = nodeStale || Date.now() - nodeFetchedAt >= NODE_REFRESH_MS;
      const [list, breakers] = await Promise.all([
        api('GET', '/p2p/snapshots'),
        api('GET', '/p2p/snapshots/breaker'),
        wantNode ? loadNode().then(() => { nodeStale = false; }, (e) => { setText($('node-error'), describeError(e)); }) : null
      ]);
      sessions = Array.isArray(list) ? list : [];
      renderBreakers(Array.isArray(breakers) ? breakers : []);
      renderJobs();
      setText($('jobs-error'), '');
    } catch (e) {
      if (e.status !== 401) setText($('jobs-error'), describeError(e));
    } finally {
      refreshing = false;
    }
    if (authBlocked) return;
    requestRefresh(refreshQueued ? 0 : sessions.some(isActive) ? POLL_ACTIVE_MS : POLL_IDLE_MS);
  }

  // ---------------------------------------------------------------- event stream

  /**
   * Server-Sent Events parser (the WHATWG event-stream format): feed it text
   * as it arrives; it calls onEvent({id, type, data}) at each blank line that
   * ends an event with data, onComment(text) for `:` lines, onRetry(ms).
   */
  class SseParser {
    constructor (lastId, handlers) {
      this.buffer = '';
      this.data = [];
      this.type = '';
      this.lastId = lastId;
      this.handlers = handlers;
    }

    push (text) {
      this.buffer += text;
      const re = /\r\n|\n|\r/g;
      let pos = 0;
      let m;
      while ((m = re.exec(this.buffer)) !== null) {
        // A CR that ends the text may be the first half of a CRLF.
        if (m[0] === '\r' && m.index === this.buffer.length - 1) break;
        this.line(this.buffer.slice(pos, m.index));
        pos = re.lastIndex;
      }
      this.buffer = this.buffer.slice(pos);
      if (this.buffer.length > (1 << 20)) throw new Error('event stream line exceeds 1 MiB');
    }

    line (line) {
      if (line === '') return this.dispatch();
      if (line[0] === ':') return this.handlers.onComment(line.slice(1).trim());
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value[0] === ' ') value = value.slice(1);
      if (field === 'event') this.type = value;
      else if (field === 'data') this.data.push(value);
      else if (field === 'id') { if (!value.includes('\0')) this.lastId = value; }
      else if (field === 'retry') { if (/^\d+$/.test(value)) this.handlers.onRetry(Number(value)); }
    }

    dispatch () {
      const data = this.data;
      const type = this.type || 'message';
      this.data = [];
      this.type = '';
      if (data.length === 0) return;
      this.handlers.onEvent({ id: this.lastId, type, data: data.join('\n') });
    }
  }

  let lastEventId = null;              // the id of the last event seen: Last-Event-ID on reconnect
  let streamGeneration = 0;
  let streamAbort = null;
  let retryFloor = BACKOFF_FIRST_MS;   // the server's `retry:` field, if it sends one

  function setStreamStatus (kind, text) {
    const s = $('stream-status');
    setText(s, text);
    s.className = 'status-' + kind;
  }

  function stopStream () {
    streamGeneration++;
    if (streamAbort) streamAbort.abort();
    streamAbort = null;
  }

  function sleep (ms) { return new Promise((resolve) => setTimeout(resolve, ms)); }

  /**
   * Reads GET /events until it ends or fails, then reconnects with
   * exponential backoff (1 s, 2 s, ... 30 s, with jitter; back to 1 s once
   * data flows), sending Last-Event-ID so that no event is seen twice. A
   * stream silent for 3 heartbeats is taken as dead. 401 stops it (token form).
   */
  async function runStream () {
    stopStream();
    const generation = streamGeneration;
    let backoff = BACKOFF_FIRST_MS;
    let attempt = 0;
    while (generation === streamGeneration && !authBlocked) {
      const abort = new AbortController();
      streamAbort = abort;
      let watchdog = null;
      const arm = () => {
        clearTimeout(watchdog);
        watchdog = setTimeout(() => abort.abort(new Error(`no data for ${STREAM_STALL_MS / 1000} s`)), STREAM_STALL_MS);
      };
      let why = 'the stream ended';
      try {
        setStreamStatus(attempt === 0 ? 'connecting' : 'reconnecting', attempt === 0 ? 'connecting…' : 'reconnecting…');
        arm();
        const headers = authHeaders({ Accept: 'text/event-stream' });
        if (lastEventId !== null) headers['Last-Event-ID'] = lastEventId;
        const res = await fetch('/events', { headers, signal: abort.signal, cache: 'no-store' });
        if (res.status === 401) {
          const json = await res.json().catch(() => ({}));
          needToken(new ApiError(401, json.code || 'unauthorized', json.error || 'unauthorized'));
          return;
        }
        if (!res.ok || !res.body) {
          const json = await res.json().catch(() => ({}));
          why = `${json.error || 'HTTP ' + res.status} (${json.code || 'http_' + res.status})`;
          if (json.code === 'invalid_argument' && lastEventId !== null) lastEventId = null;
        } else {
          setStreamStatus('live', 'live');
          const parser = new SseParser(lastEventId, {
            onEvent: onStreamEvent,
            onComment: () => {},
            onRetry: (ms) => { retryFloor = Math.min(Math.max(ms, 100), BACKOFF_MAX_MS); }
          });
          const reader = res.body.getReader();
          const decoder = new TextDecoder();
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            arm();
            backoff = BACKOFF_FIRST_MS;
            attempt = 1;
            parser.push(decoder.decode(value, { stream: true }));
            if (parser.lastId !== null) lastEventId = parser.lastId;
          }
        }
      } catch (e) {
        if (generation !== streamGeneration) return;
        why = abort.signal.aborted && abort.signal.reason instanceof Error ? abort.signal.reason.message : String(e.message || e);
      } finally {
        clearTimeout(watchdog);
      }
      if (generation !== streamGeneration || authBlocked) return;
      attempt++;
      const delay = Math.max(retryFloor, Math.round(backoff * (0.8 + Math.random() * 0.4)));
      backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
      setStreamStatus('reconnecting', `reconnecting… in ${Math.max(1, Math.round(delay / 1000))} s (${why})`);
      await sleep(delay);
      // Catch up on what happened meanwhile.
      requestRefresh(0);
    }
  }

  function onStreamEvent (ev) {
    let data = null;
    try { data = parseJson(ev.data); } catch { data = null; }
    addLogEntry(ev, data);
    if (ev.type === 'SessionProgress' && data) applyProgress(data);
    if (ev.type === 'HeadVerified') nodeStale = true;
    requestRefresh(0);
  }

  /**
   * Shows a SessionProgress at once, between two reads of the sessions. The
   * stream may replay older events (on connect it starts with the oldest the
   * node holds), so an event never takes a job out of a final state nor its
   * chunk count backwards; the next read of the sessions has the last word.
   */
  function applyProgress (d) {
    const s = sessions.find((x) => sessionKey(x) === String(d.session));
    if (!s) return;
    if (!ACTIVE_STATES.has(s.state) && ACTIVE_STATES.has(d.state)) return;
    if (typeof d.chunks_applied === 'number' && typeof s.chunks_applied === 'number' && d.chunks_applied < s.chunks_applied) return;
    for (const key of ['state', 'bytes_received', 'chunks_applied', 'total_chunks', 'throughput']) {
      if (d[key] !== undefined && d[key] !== null) s[key] = d[key];
    }
    if (Array.isArray(d.peers) && Array.isArray(s.peers)) {
      for (const p of d.peers) {
        const known = s.peers.find((x) => String(x.peer) === String(p.peer));
        if (known) Object.assign(known, { state: p.state, bytes: p.bytes, chunks: p.chunks, rate: p.rate });
      }
    }
    const view = jobViews.get(sessionKey(s));
    if (view) updateJobView(view, s);
  }

  function sessionOf (d) { return d && d.session !== undefined ? `session ${d.session}` : 'session ?'; }

  /** One line of text that says what the event means. */
  function summarize (type, d, raw) {
    if (!d || typeof d !== 'object') return raw;
    switch (type) {
      case 'SessionProgress': {
        const chunks = d.total_chunks === null || d.total_chunks === undefined
          ? `${fmtCount(d.chunks_applied)} chunks`
          : `${fmtCount(d.chunks_applied)}/${fmtCount(d.total_chunks)} chunks`;
        return `${sessionOf(d)}: ${d.state}, ${chunks}, ${fmtBytes(d.bytes_received)}, ${fmtRate(d.throughput)}`;
      }
      case 'HeadVerified': {
        const shares = Array.isArray(d.peers) ? d.peers.map((p) => `${p.peer} ${fmtBytes(p.bytes)}`).join(', ') : '';
        return `${sessionOf(d)} verified height ${d.height}, ${fmtBytes(d.bytes)}, root ${d.state_root}` +
          (shares ? `; shares: ${shares}` : '');
      }
      case 'SnapshotStreamFailed':
        return `${sessionOf(d)}: provider ${d.peer} failed: ${d.error} (${d.error_code}); ` +
          (d.retry_in_ms === null || d.retry_in_ms === undefined ? 'not retried' : `retry in ${d.retry_in_ms} ms`);
      case 'SnapshotChosen':
        return `${sessionOf(d)} chose plan ${d.plan_id} at height ${d.height} (${d.providers} providers)`;
      case 'PeerBanned':
        return `${sessionOf(d)} banned ${d.peer}: ${d.reason} (${d.error_code})`;
      case 'SessionCancelled':
        return `${sessionOf(d)} cancelled`;
      default:
        return raw;
    }
  }

  function addLogEntry (ev, data) {
    const log = $('event-log');
    const li = el('li');
    li.dataset.type = ev.type;
    li.append(el('span', 'time', fmtTime(new Date())), el('span', 'seq', ev.id === null ? '' : '#' + ev.id),
      el('span', 'type', ev.type), el('span', 'text', summarize(ev.type, data, ev.data)));
    log.prepend(li);
    while (log.children.length > EVENT_LOG_MAX) log.lastElementChild.remove();
  }

  // ---------------------------------------------------------------- throughput chart

  const chartTimes = [];
  const chartValues = [];
  let chart = null;

  function fmtAxisRate (v) {
    if (v === 0) return '0';
    let i = 0;
    while (Math.abs(v) >= 1024 && i < UNITS.length - 1) { v /= 1024; i++; }
    return `${+v.toFixed(1)} ${UNITS[i]}/s`;
  }

  // Grid steps of 1, 2, 2.5 and 5 times a power of 1024 bytes/s: labels stay short.
  const BINARY_INCREMENTS = [0, 1, 2, 3, 4].flatMap((k) =>
    [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500].map((m) => m * 1024 ** k));

  function createChart () {
    const box = $('throughput-chart');
    if (typeof window.uPlot !== 'function') {
      box.append(el('p', 'error', 'The chart library did not load.'));
      return;
    }
    const now = Date.now() / 1000;
    chartTimes.push(now);
    chartValues.push(0);
    chart = new window.uPlot({
      width: Math.max(300, box.clientWidth),
      height: 220,
      cursor: { drag: { x: false, y: false } },
      legend: { show: true },
      scales: {
        x: { time: true, range: () => { const t = Date.now() / 1000; return [t - CHART_SECONDS, t]; } },
        y: { range: (u, min, max) => [0, Math.max(1024, max * 1.1)] }
      },
      axes: [
        {},
        { size: 90, incrs: BINARY_INCREMENTS, values: (u, splits) => splits.map(fmtAxisRate) }
      ],
      series: [
        {},
        {
          label: 'throughput',
          stroke: '#2f6fdb',
          fill: 'rgba(47, 111, 219, 0.12)',
          width: 2,
          points: { show: false },
          value: (u, v) => (v === null || v === undefined ? '–' : fmtRate(v))
        }
      ]
    }, [chartTimes, chartValues], box);
    if (typeof ResizeObserver === 'function') {
      new ResizeObserver(() => {
        const w = Math.max(300, box.clientWidth);
        if (chart && chart.width !== w) chart.setSize({ width: w, height: 220 });
      }).observe(box);
    }
  }

  /** Once a second: one point, the sum of the active jobs' throughput. */
  function chartTick () {
    renderUptime();
    if (!chart || authBlocked) return;
    const now = Date.now() / 1000;
    const sum = sessions.filter(isActive).reduce((acc, s) => acc + (Number(s.throughput) || 0), 0);
    chartTimes.push(now);
    chartValues.push(sum);
    while (chartTimes.length > 2 && chartTimes[0] < now - CHART_SECONDS - 5) { chartTimes.shift(); chartValues.shift(); }
    chart.setData([chartTimes, chartValues]);
  }

  // ---------------------------------------------------------------- actions

  /** Runs an action's call; shows its answer or the API's error as text. */
  async function act (button, call) {
    setText($('action-error'), '');
    setText($('action-result'), '');
    button.disabled = true;
    try {
      const message = await call();
      setText($('action-result'), message);
    } catch (e) {
      setText($('action-error'), describeError(e));
    } finally {
      button.disabled = false;
      requestRefresh(0);
    }
  }

  $('sync-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const peers = $('sync-peers').value.split(/[\s,]+/).filter((p) => p !== '');
    const chunkText = $('sync-chunk-size').value.trim();
    const body = { peers };
    // A number goes as one; anything else goes as typed, so the node says what is wrong with it.
    if (chunkText !== '') body.chunk_size = /^\d+$/.test(chunkText) ? Number(chunkText) : chunkText;
    act($('sync-start'), async () => {
      const s = await api('POST', '/p2p/snapshots', body);
      return `Started session ${s && s.session} (${peers.length ? peers.length + ' provider' + (peers.length > 1 ? 's' : '') : 'discovering providers'}).`;
    });
  });

  $('jobs').addEventListener('click', (ev) => {
    const button = ev.target.closest('button.cancel');
    if (!button) return;
    const job = button.closest('[data-session]');
    const id = job && job.dataset.session;
    if (!id) return;
    act(button, async () => {
      await api('DELETE', '/p2p/snapshots/' + encodeURIComponent(id));
      return `Session ${id} cancelled and removed.`;
    });
  });

  $('breaker-reset').addEventListener('click', (ev) => {
    act(ev.currentTarget, async () => {
      await api('POST', '/p2p/snapshots/breaker/reset');
      return 'Every breaker is closed.';
    });
  });

  $('snapshot-create').addEventListener('click', (ev) => {
    act(ev.currentTarget, async () => {
      const s = await api('POST', '/snapshots');
      nodeStale = true;
      return `Snapshot at height ${s && s.height}: plan ${s && s.plan_id}, ${fmtBytes(s && s.total_bytes)}.`;
    });
  });

  // ---------------------------------------------------------------- start

  let chartTimer = null;

  /** Loads the node with the present token; on success shows the dashboard and starts polling and the stream. */
  async function start () {
    authBlocked = false;
    try {
      await loadNode();
    } catch (e) {
      if (e.status === 401) return;
      setText($('node-error'), describeError(e));
    }
    if (authBlocked) return;
    tokenPanel.hidden = true;
    dashboard.hidden = false;
    if (!chart) {
      try {
        createChart();
      } catch (e) {
        $('throughput-chart').append(el('p', 'error', 'The chart could not be drawn: ' + describeError(e)));
      }
    }
    if (chartTimer === null) chartTimer = setInterval(chartTick, 1000);
    lastRefresh = 0;
    requestRefresh(0);
    runStream();
  }

  start();
})();
