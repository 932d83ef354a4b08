// spine console: the pages (runs, run, workflows, workflow, quality, queues) over the JSON API.
// Plain browser JavaScript, served as is: no build step, no network beyond this console's own origin.
// Every stored string reaches the page through text nodes (never innerHTML), control characters
// shown as their visible pictures; the page's CSP allows no inline script.
'use strict';

(() => {
  const BASE = new URL(document.baseURI);
  const CSRF = document.querySelector('meta[name="spine-csrf"]').content;
  const READ_ONLY = document.querySelector('meta[name="spine-read-only"]').content === '1';
  const LIVE = new Set(['queued', 'running', 'waiting']);
  const main = document.getElementById('main');
  let poll = null;
  let renderToken = 0;

  // ── text and elements ──────────────────────────────────────────────────────────────────────

  /** Control characters (terminal escapes, bidi overrides) as visible pictures: text stays text. */
  function visible(text) {
    return String(text).replace(/[\u0000-\u0008\u000b-\u001f\u007f\u202a-\u202e\u2066-\u2069]/g, (c) => {
      const code = c.charCodeAt(0);
      if (code < 0x20) return String.fromCharCode(0x2400 + code);
      if (code === 0x7f) return '\u2421';
      return `<U+${code.toString(16).toUpperCase()}>`;
    });
  }

  /** An element with attributes (`on*` take functions) and children (strings become text nodes). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
      else if (key === 'class') node.className = value;
      else node.setAttribute(key, value === true ? '' : String(value));
    }
    append(node, children);
    return node;
  }

  function append(node, children) {
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(visible(child)));
    }
    return node;
  }

  const svgNs = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(svgNs, tag);
    for (const [key, value] of Object.entries(attrs || {})) if (value !== null && value !== undefined) node.setAttribute(key, String(value));
    for (const child of children.flat()) if (child !== null && child !== undefined) node.append(child instanceof Node ? child : document.createTextNode(visible(child)));
    return node;
  }

  function json(value) {
    return visible(JSON.stringify(value, null, 2));
  }

  function fmtTime(iso) {
    if (!iso) return '—';
    const d = new Date(iso);
    return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 19)}`;
  }

  function fmtDuration(ms) {
    if (ms === null || ms === undefined) return '—';
    if (ms < 1000) return `${Math.round(ms)} ms`;
    if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
    const m = Math.floor(ms / 60_000);
    return m < 60 ? `${m} min ${Math.round((ms % 60_000) / 1000)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
  }

  function fmtPartition(partition) {
    if (!partition) return '—';
    return Object.keys(partition).sort().map((k) => `${k}=${partition[k]}`).join(', ');
  }

  function pct(rate) {
    return rate === null || rate === undefined ? '—' : `${(rate * 100).toFixed(2)}%`;
  }

  function badge(status) {
    return el('span', { class: `badge s-${status}`, 'data-status': status }, status);
  }

  function link(path, text, attrs) {
    return el('a', { href: path, ...attrs }, text);
  }

  /** A long id as its start and end (the whole id is the link's title). */
  function shortId(id) {
    return id.length > 16 ? `${id.slice(0, 8)}…${id.slice(-4)}` : id;
  }

  /** Text cut to three lines in a listing; the whole of it shows on hover. */
  function clamped(text) {
    return el('div', { class: 'clamp', title: text }, text);
  }

  function runPath(runId) {
    return `runs/${encodeURIComponent(runId)}`;
  }

  function workflowPath(name) {
    return `workflows/${encodeURIComponent(name)}`;
  }

  function table(headers, rows, attrs) {
    return el('table', attrs, el('thead', null, el('tr', null, headers.map((h) => el('th', null, h)))), el('tbody', null, rows));
  }

  function section(title, ...children) {
    return el('section', { class: 'card' }, el('h2', null, title), children);
  }

  function pre(value) {
    return el('pre', { class: 'value' }, json(value));
  }

  function problem(text) {
    return el('p', { class: 'error', role: 'alert' }, text);
  }

  // ── the API ────────────────────────────────────────────────────────────────────────────────

  async function api(path, options) {
    const response = await fetch(new URL(`api/${path}`, BASE), {
      credentials: 'same-origin',
      headers: { Accept: 'application/json', ...(options && options.method === 'POST' && { 'Content-Type': 'application/json', 'X-Spine-CSRF': CSRF }) },
      ...options,
    });
    if (response.status === 401) {
      location.assign(new URL('login', BASE));
      throw new Error('Log in first.');
    }
    const body = await response.json().catch(() => ({ error: `The console answered ${response.status} without JSON.` }));
    if (!response.ok) throw new Error(body.error || `The console answered ${response.status}.`);
    return body;
  }

  const post = (path, body) => api(path, { method: 'POST', body: JSON.stringify(body || {}) });

  // ── routing ────────────────────────────────────────────────────────────────────────────────

  function relativePath() {
    const path = location.pathname.startsWith(BASE.pathname) ? location.pathname.slice(BASE.pathname.length) : location.pathname.replace(/^\//, '');
    return path.split('/').filter((p) => p !== '').map(decodeURIComponent);
  }

  function navigate(href, replace) {
    const url = new URL(href, BASE);
    if (replace) history.replaceState(null, '', url);
    else history.pushState(null, '', url);
    render();
  }

  document.addEventListener('click', (event) => {
    const a = event.target instanceof Element ? event.target.closest('a[href]') : null;
    if (!a || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || a.target) return;
    const url = new URL(a.href);
    if (url.origin !== location.origin || !url.pathname.startsWith(BASE.pathname)) return;
    event.preventDefault();
    navigate(url.href);
  });
  window.addEventListener('popstate', () => render());

  function every(ms, fn) {
    stopPolling();
    poll = setInterval(fn, ms);
  }

  function stopPolling() {
    if (poll !== null) clearInterval(poll);
    poll = null;
    if (stream !== null) stream.close();
    stream = null;
  }

  /** The page's live stream of a run's events (Server-Sent Events), closed when the page changes. */
  let stream = null;

  async function render() {
    stopPolling();
    const token = ++renderToken;
    const [page, id] = relativePath();
    for (const a of document.querySelectorAll('[data-nav]')) a.classList.toggle('active', a.dataset.nav === (page || 'runs'));
    const pages = { runs: id === undefined ? runsPage : runPage, workflows: id === undefined ? workflowsPage : workflowPage, quality: qualityPage, queues: queuesPage };
    const show = pages[page || 'runs'];
    try {
      if (!show) throw new Error(`No page "${page}".`);
      const content = await show(id, () => token === renderToken);
      if (token !== renderToken) return;
      main.replaceChildren(content);
    } catch (error) {
      if (token === renderToken) main.replaceChildren(problem(error.message));
    }
  }

  // ── runs ───────────────────────────────────────────────────────────────────────────────────

  let session = null;

  function runRows(runs) {
    return runs.map((r) =>
      el(
        'tr',
        { 'data-run': r.runId },
        el('td', null, badge(r.status)),
        el('td', { class: 'mono nowrap' }, link(runPath(r.runId), shortId(r.runId), { title: r.runId })),
        el('td', null, link(workflowPath(r.workflow), r.workflow)),
        el('td', { class: 'small' }, r.partition ? fmtPartition(r.partition) : el('span', { class: 'muted' }, r.paramsText)),
        el('td', null, r.trigger, r.schedule ? el('div', { class: 'muted small' }, r.schedule) : null),
        el('td', { class: 'nowrap' }, fmtTime(r.startedAt)),
        el('td', { class: 'num' }, fmtDuration(r.durationMs)),
        el('td', { class: 'num' }, `${r.completedSteps}/${r.totalSteps}`, r.failedSteps > 0 ? el('span', { class: 'bad' }, ` · ${r.failedSteps} failed`) : null),
        el('td', { class: 'error-cell' }, r.error ? clamped(visible(`${r.errorStep ? `${r.errorStep}: ` : ''}${r.error}`)) : ''),
      ),
    );
  }

  async function runsPage() {
    const query = new URLSearchParams(location.search);
    const load = () => api(`runs?${query}`);
    const [known, page] = await Promise.all([session || api('session'), load()]);
    session = known;
    const select = (name, values, label) =>
      el('label', null, label, el('select', { name }, el('option', { value: '' }, 'any'), values.map((v) => el('option', { value: v, selected: query.get(name) === v }, v))));
    const input = (name, type, label, placeholder) => el('label', null, label, el('input', { name, type, value: query.get(name) || '', placeholder }));
    const form = el(
      'form',
      {
        class: 'filters',
        'data-testid': 'run-filters',
        onsubmit: (event) => {
          event.preventDefault();
          const params = new URLSearchParams();
          for (const [key, value] of new FormData(form)) if (value !== '') params.set(key, String(value));
          navigate(`runs${params.size > 0 ? `?${params}` : ''}`);
        },
      },
      select('workflow', session.workflows, 'Workflow'),
      select('status', session.statuses, 'Status'),
      select('trigger', session.triggers, 'Trigger'),
      input('partition', 'text', 'Partition', 'e.g. 2026-09-18'),
      input('since', 'date', 'From'),
      input('until', 'date', 'To'),
      el('button', { type: 'submit' }, 'Filter'),
      query.size > 0 ? link('runs', 'Clear') : null,
    );
    const body = el('tbody', null, runRows(page.runs));
    const list = el(
      'table',
      { class: 'runs', 'data-testid': 'runs' },
      el('thead', null, el('tr', null, ['Status', 'Run', 'Workflow', 'Partition / params', 'Trigger', 'Started', 'Duration', 'Steps', 'Error'].map((h) => el('th', null, h)))),
      body,
    );
    const pager = el('nav', { class: 'pager' });
    if (query.has('before')) {
      const first = new URLSearchParams(query);
      first.delete('before');
      pager.append(link(`runs${first.size > 0 ? `?${first}` : ''}`, '« Newest'));
    }
    if (page.next) {
      const older = new URLSearchParams(query);
      older.set('before', page.next);
      pager.append(link(`runs?${older}`, 'Older »', { 'data-testid': 'older' }));
    }
    const live = el('span', { class: 'muted live' });
    const refresh = async () => {
      const fresh = await load().catch(() => null);
      if (fresh) body.replaceChildren(...runRows(fresh.runs));
      const active = fresh ? fresh.runs.some((r) => LIVE.has(r.status)) : false;
      live.textContent = active ? '● live' : '';
      if (!active) stopPolling();
    };
    if (page.runs.some((r) => LIVE.has(r.status))) {
      live.textContent = '● live';
      every(2000, refresh);
    }
    const empty = page.runs.length === 0 ? el('p', { class: 'muted' }, query.size > 0 ? 'No run matches these filters.' : 'No runs yet. Start one with: npx spine run <workflow>') : null;
    return el('div', null, el('h1', null, 'Runs ', live), strandedBanner(page.stranded), form, empty || el('div', { class: 'scroll' }, list), pager);
  }

  /** Runs no live process can execute (a deploy dropped their version): how many, per version, and the fix. */
  function strandedBanner(stranded) {
    if (!stranded || stranded.count === 0) return null;
    return el(
      'div',
      { class: 'card notice', 'data-testid': 'stranded-count' },
      el('strong', null, `${stranded.count} stranded run${stranded.count === 1 ? '' : 's'}: `),
      stranded.versions.map((v) => `${v.workflow} v${v.version} (${v.count})`).join(', '),
      ' — no live process holds their version. List them with ',
      el('code', null, 'npx spine runs --stranded'),
      '; start a worker of the build that has it, or move them with ',
      el('code', null, 'npx spine migrate-runs <workflow> --from <version> --dry-run'),
      '.',
    );
  }

  // ── one run ────────────────────────────────────────────────────────────────────────────────

  function timeline(run, steps) {
    if (steps.length === 0) return el('p', { class: 'muted' }, 'No step has run yet.');
    const start = Math.min(...steps.map((s) => Date.parse(s.startedAt)), Date.parse(run.startedAt));
    const end = Math.max(...steps.map((s) => Date.parse(s.finishedAt)), run.finishedAt ? Date.parse(run.finishedAt) : Date.now());
    const span = Math.max(end - start, 1);
    const rows = steps.map((s) => {
      const left = ((Date.parse(s.startedAt) - start) / span) * 100;
      const width = Math.max((s.durationMs / span) * 100, 0.4);
      const bar = el('div', { class: `bar s-${s.status}`, title: `${s.stepName} #${s.attempt}: ${s.status}, ${fmtDuration(s.durationMs)}` });
      bar.style.left = `${Math.min(left, 99.6)}%`;
      bar.style.width = `${Math.min(width, 100 - Math.min(left, 99.6))}%`;
      return el(
        'div',
        { class: 'gantt-row', 'data-step': s.stepName, 'data-status': s.status },
        el('span', { class: 'gantt-label' }, s.stepName, s.iteration > 1 ? ` ⟳${s.iteration}` : '', s.attempt > 1 ? ` #${s.attempt}` : ''),
        el('div', { class: 'gantt-track' }, bar),
        el('span', { class: 'gantt-time' }, fmtDuration(s.durationMs)),
      );
    });
    return el('div', { class: 'gantt', 'data-testid': 'timeline' }, rows, el('div', { class: 'gantt-axis muted' }, el('span', null, fmtTime(new Date(start).toISOString())), el('span', null, `${fmtDuration(span)} in all`)));
  }

  /** A workflow graph laid out by dagre, each step coloured by its status in this run. */
  function drawGraph(graph, statusOf) {
    if (!graph) return el('p', { class: 'muted' }, 'This workflow is not registered in this application, so its graph is not known here.');
    if (typeof dagre === 'undefined') return el('p', { class: 'muted' }, 'The graph library did not load.');
    const canvas = document.createElement('canvas').getContext('2d');
    canvas.font = '12px system-ui, sans-serif';
    const g = new dagre.graphlib.Graph({ compound: true, multigraph: true });
    g.setGraph({ rankdir: 'TB', nodesep: 28, ranksep: 34, marginx: 12, marginy: 12 });
    g.setDefaultEdgeLabel(() => ({}));
    const edges = [];
    const addNodes = (gr, parent) => {
      for (const n of gr.nodes) {
        const lines = n.label.split('\n');
        const width = Math.max(...lines.map((l) => canvas.measureText(l).width)) + (n.shape === 'diamond' ? 48 : n.shape === 'hexagon' ? 36 : 24);
        g.setNode(n.id, { node: n, lines, width: Math.max(width, n.shape === 'terminal' ? 56 : 70), height: 18 + lines.length * 15 + (n.shape === 'diamond' ? 14 : 0), parent });
        if (parent) g.setParent(n.id, parent);
      }
      for (const c of gr.clusters) {
        g.setNode(c.id, { cluster: c, paddingTop: 24 });
        if (parent) g.setParent(c.id, parent);
        addNodes(c.graph, c.id);
      }
      edges.push(...gr.edges);
    };
    addNodes(graph, null);
    edges.forEach((e, i) => g.setEdge(e.from, e.to, { label: e.label, width: e.label ? canvas.measureText(e.label).width + 6 : 0, height: e.label ? 14 : 0, labelpos: 'c' }, `e${i}`));
    dagre.layout(g);
    const size = g.graph();
    const root = svg('svg', { class: 'graph', viewBox: `0 0 ${Math.ceil(size.width)} ${Math.ceil(size.height)}`, width: Math.ceil(size.width), 'data-testid': 'graph', role: 'img', 'aria-label': `graph of ${graph.title}` });
    root.append(svg('defs', null, svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrowhead' }))));
    for (const id of g.nodes()) {
      const v = g.node(id);
      if (!v.cluster) continue;
      root.append(
        svg('g', { class: 'cluster' }, svg('rect', { x: v.x - v.width / 2, y: v.y - v.height / 2, width: v.width, height: v.height, rx: 6 }), svg('text', { x: v.x - v.width / 2 + 8, y: v.y - v.height / 2 + 15 }, v.cluster.title)),
      );
    }
    for (const e of g.edges()) {
      const edge = g.edge(e);
      const d = edge.points.map((p, i) => `${i === 0 ? 'M' : 'L'} ${p.x.toFixed(1)} ${p.y.toFixed(1)}`).join(' ');
      root.append(svg('path', { class: 'edge', d, 'marker-end': 'url(#arrow)' }));
      if (edge.label) root.append(svg('text', { class: 'edge-label', x: edge.x, y: edge.y + 4, 'text-anchor': 'middle' }, edge.label));
    }
    for (const id of g.nodes()) {
      const v = g.node(id);
      if (v.cluster) continue;
      const n = v.node;
      const status = n.step !== null && v.parent === null ? statusOf(n.step) : null;
      const x = v.x - v.width / 2;
      const y = v.y - v.height / 2;
      const group = svg('g', { class: `node shape-${n.shape}${status ? ` s-${status}` : ''}`, 'data-step': n.step || '', 'data-status': status || '' });
      const w = v.width;
      const h = v.height;
      if (n.shape === 'diamond') group.append(svg('polygon', { points: `${v.x},${y} ${x + w},${v.y} ${v.x},${y + h} ${x},${v.y}` }));
      else if (n.shape === 'hexagon') group.append(svg('polygon', { points: `${x + 12},${y} ${x + w - 12},${y} ${x + w},${v.y} ${x + w - 12},${y + h} ${x + 12},${y + h} ${x},${v.y}` }));
      else group.append(svg('rect', { x, y, width: w, height: h, rx: n.shape === 'terminal' ? h / 2 : 4 }));
      if (n.shape === 'subroutine') group.append(svg('path', { class: 'inner', d: `M ${x + 6} ${y} V ${y + h} M ${x + w - 6} ${y} V ${y + h}` }));
      const top = v.y - ((v.lines.length - 1) * 15) / 2 + 4;
      group.append(svg('text', { x: v.x, y: top, 'text-anchor': 'middle' }, v.lines.map((line, i) => svg('tspan', { x: v.x, dy: i === 0 ? 0 : 15 }, line))));
      if (status) group.append(svg('title', null, `${n.step}: ${status}`));
      root.append(group);
    }
    return el('div', { class: 'graph-box' }, root, legend());
  }

  function legend() {
    return el('div', { class: 'legend' }, ['completed', 'failed', 'retried', 'skipped', 'waiting'].map((s) => el('span', { class: `key s-${s}` }, s)), el('span', { class: 'key' }, 'not run'));
  }

  function quality(q) {
    if (!q) return '';
    const rate = q.validRate !== undefined ? q.validRate : q.recordCount === 0 ? 1 : (q.validCount !== undefined ? q.validCount : q.recordCount - (q.invalidCount || 0)) / q.recordCount;
    return el(
      'span',
      { class: q.passed === false ? 'bad' : '' },
      `${q.recordCount} records, valid ${pct(rate)}`,
      q.nullRate !== undefined && q.nullRate !== null ? `, null ${pct(q.nullRate)}` : '',
      q.passed === false ? ' — gate breached' : '',
    );
  }

  function actionPanel(detail, rerender) {
    if (READ_ONLY) return null;
    const { run, actions } = detail;
    const bar = el('div', { class: 'actions', 'data-testid': 'actions' });
    const panel = el('div', { class: 'confirm', hidden: true });
    const status = el('p', { class: 'muted', role: 'status' });
    const open = (...content) => {
      panel.replaceChildren(...content);
      panel.hidden = false;
    };
    const act = async (button, work) => {
      button.disabled = true;
      status.textContent = 'Working…';
      try {
        status.textContent = await work();
        panel.hidden = true;
        await rerender();
      } catch (error) {
        status.replaceChildren(problem(error.message));
        button.disabled = false;
      }
    };
    if (actions.resume) {
      bar.append(
        el('button', {
          type: 'button',
          'data-testid': 'resume',
          onclick: () => {
            const params = el('textarea', { name: 'params', rows: 4, spellcheck: 'false', 'aria-label': 'params override (JSON)' }, '{}');
            const from = el('select', { name: 'startFrom', 'aria-label': 'start from' }, el('option', { value: '' }, 'where it stopped'), detail.stepNames.map((s) => el('option', { value: s }, s)));
            const via = el(
              'select',
              { name: 'via', 'aria-label': 'where it runs' },
              actions.resumeVia.map((v) => el('option', { value: v }, v === 'queue' ? `on its queue \u201c${run.queue}\u201d (a worker resumes it)` : 'in this console\u2019s process')),
            );
            // a worker resumes a queued run where it stopped: no other start step
            const sync = () => {
              from.disabled = via.value === 'queue';
              if (from.disabled) from.value = '';
            };
            via.addEventListener('change', sync);
            sync();
            const confirm = el('button', { type: 'button', class: 'primary', 'data-testid': 'confirm-resume' }, 'Resume the run');
            confirm.addEventListener('click', () =>
              act(confirm, async () => {
                let override;
                try {
                  override = JSON.parse(params.value || '{}');
                } catch {
                  throw new Error('The params override is not JSON: write an object such as {"fail_week": ""}.');
                }
                const body = { params: override, via: via.value, ...(from.value && { startFrom: from.value }) };
                const reply = await post(`runs/${encodeURIComponent(run.runId)}/resume`, body);
                if (reply.resumed === 'queued') {
                  return `Back on queue \u201c${reply.queue}\u201d: a worker resumes it, and this page follows it.${reply.workers === 0 ? ` No worker serves that queue now; start one with: npx spine worker --queue ${reply.queue}` : ''}`;
                }
                return reply.resumed === 'finished' ? 'Resumed; the run has already finished.' : 'Resumed; this page follows it.';
              }),
            );
            open(
              el('p', null, 'Resume this run where it stopped? Params override, merged over the run\u2019s params: ', el('span', { class: 'muted mono' }, JSON.stringify(run.params))),
              params,
              el('label', null, 'Start from ', from),
              actions.resumeVia.length > 1 ? el('label', null, ' Runs ', via) : null,
              el('div', null, confirm, ' ', el('button', { type: 'button', onclick: () => (panel.hidden = true) }, 'Never mind')),
            );
          },
        }, 'Resume…'),
      );
    }
    if (actions.cancel) {
      bar.append(
        el('button', {
          type: 'button',
          'data-testid': 'cancel',
          onclick: () => {
            const confirm = el('button', { type: 'button', class: 'danger', 'data-testid': 'confirm-cancel' }, 'Cancel the run');
            confirm.addEventListener('click', () => act(confirm, async () => (await post(`runs/${encodeURIComponent(run.runId)}/cancel`), 'Cancel requested: the run stops at its next step boundary.')));
            open(el('p', null, 'Cancel this run? Its owner stops it at the next step boundary; a cancelled run cannot be resumed.'), confirm, ' ', el('button', { type: 'button', onclick: () => (panel.hidden = true) }, 'Never mind'));
          },
        }, 'Cancel…'),
      );
    }
    if (actions.decide && detail.waiting) {
      const step = detail.waiting.step;
      for (const [verb, approved] of [
        ['Approve', true],
        ['Reject', false],
      ]) {
        bar.append(
          el('button', {
            type: 'button',
            'data-testid': verb.toLowerCase(),
            onclick: () => {
              const note = el('input', { type: 'text', name: 'note', maxlength: 2000, 'aria-label': 'note', placeholder: approved ? 'why (optional)' : 'why (the step fails with it)' });
              const confirm = el('button', { type: 'button', class: approved ? 'primary' : 'danger', 'data-testid': `confirm-${verb.toLowerCase()}` }, `${verb} “${step}”`);
              confirm.addEventListener('click', () =>
                act(confirm, async () => {
                  await post(`runs/${encodeURIComponent(run.runId)}/${approved ? 'approve' : 'reject'}`, { step, ...(note.value && { note: note.value }) });
                  return approved ? `Approved “${step}”: the run goes on.` : `Rejected “${step}”: the step fails.`;
                }),
              );
              open(el('p', null, `${verb} the quality gate of step “${step}”?`), note, el('div', null, confirm, ' ', el('button', { type: 'button', onclick: () => (panel.hidden = true) }, 'Never mind')));
            },
          }, `${verb}…`),
        );
      }
    }
    if (actions.signal) {
      bar.append(
        el('button', {
          type: 'button',
          'data-testid': 'signal',
          onclick: () => {
            const awaited = detail.waiting && detail.waiting.kind === 'signal' ? detail.waiting.signal : '';
            const name = el('input', { type: 'text', name: 'signal', maxlength: 255, value: awaited, 'aria-label': 'signal name' });
            const payload = el('textarea', { name: 'payload', rows: 3, spellcheck: 'false', 'aria-label': 'payload (JSON)' }, '{}');
            const confirm = el('button', { type: 'button', class: 'primary', 'data-testid': 'confirm-signal' }, 'Send the signal');
            confirm.addEventListener('click', () =>
              act(confirm, async () => {
                let value;
                try {
                  value = JSON.parse(payload.value || 'null');
                } catch {
                  throw new Error('The payload is not JSON: write a value such as {"approved": true}.');
                }
                await post(`runs/${encodeURIComponent(run.runId)}/signals`, { name: name.value, payload: value });
                return `Signal “${name.value}” sent: a wait for it consumes it.`;
              }),
            );
            open(el('p', null, 'Send a signal to this run (kept until a wait for it consumes it).'), el('label', null, 'Name ', name), payload, el('div', null, confirm, ' ', el('button', { type: 'button', onclick: () => (panel.hidden = true) }, 'Never mind')));
          },
        }, 'Signal…'),
      );
    }
    if (actions.resuming) bar.append(el('span', { class: 'muted' }, 'Resuming in this console…'));
    return bar.childElementCount === 0 ? null : el('div', null, bar, panel, status);
  }

  async function runPage(runId, current) {
    const detail = await api(`runs/${encodeURIComponent(runId)}`);
    const view = el('div', { 'data-testid': 'run-page' });
    const fill = (d) => {
      const { run } = d;
      const latest = new Map();
      for (const s of d.steps) if (s.iteration >= (latest.get(s.stepName) ? latest.get(s.stepName).iteration : 0)) latest.set(s.stepName, s);
      const meta = [
        ['Run', el('span', { class: 'mono' }, run.runId)],
        ['Workflow', el('span', null, link(workflowPath(run.workflow), run.workflow), ` v${run.version}`, el('span', { class: 'muted mono small' }, ` ${run.hash}`))],
        run.appVersion ? ['Build', run.appVersion] : null,
        ['Trigger', `${run.trigger}${run.schedule ? ` (${run.schedule})` : ''}`],
        ['Partition', fmtPartition(run.partition)],
        ['Started', fmtTime(run.startedAt)],
        ['Finished', fmtTime(run.finishedAt)],
        ['Duration', `${fmtDuration(run.durationMs)} executing${d.wallMs !== null && d.wallMs !== undefined ? ` · ${fmtDuration(d.wallMs)} from start to ${run.finishedAt ? 'end' : 'now'}` : ''}`],
        d.waiting ? ['Waiting for', el('span', { 'data-testid': 'waiting' }, d.waiting.kind === 'approval' ? `a person to approve or reject the quality gate of “${d.waiting.step}”` : d.waiting.kind === 'signal' ? `the signal “${d.waiting.signal}”${d.waiting.until ? ` (until ${fmtTime(d.waiting.until)})` : ''}` : `its timer, until ${fmtTime(d.waiting.until)}`)] : null,
        ['Steps', `${run.completedSteps} completed, ${run.failedSteps} failed, ${run.skippedSteps} skipped of ${run.totalSteps}`],
        ['Queue', d.queue ? `${d.queue.name} · ${d.queue.workers === 0 ? 'no worker serving it now' : `${d.queue.workers} worker${d.queue.workers === 1 ? '' : 's'} serving it`}` : '— (runs where it was started)'],
        ['Trace', el('span', { class: 'mono' }, run.traceId)],
        run.parentRunId ? ['Map item of', link(runPath(run.parentRunId), run.parentRunId)] : null,
        run.leaseOwner ? ['Held by', `${run.leaseOwner} until ${fmtTime(run.leaseExpiresAt)}`] : null,
      ].filter(Boolean);
      const items = d.children.length > 0 ? d.children : null;
      view.replaceChildren();
      append(view, [
        el('h1', null, run.workflow, ' ', badge(run.status), run.cancelRequested && LIVE.has(run.status) ? el('span', { class: 'muted' }, ' cancel requested') : null),
        d.stranded
          ? el(
              'div',
              { class: 'card notice', 'data-testid': 'stranded' },
              el('strong', null, `Stranded since ${fmtTime(d.stranded.since)}: `),
              visible(d.stranded.reason),
              ' Fix: start a worker of the build that holds it, or ',
              el('code', null, d.stranded.fix[0]),
              '.',
            )
          : null,
        run.status === 'queued' && d.queue && d.queue.workers === 0
          ? el('div', { class: 'card notice', 'data-testid': 'no-worker' }, `Queued on \u201c${d.queue.name}\u201d, and no worker serves that queue now: start one with `, el('code', null, `npx spine worker --queue ${d.queue.name}`), '.')
          : null,
        run.error ? el('div', { class: 'card error-box', 'data-testid': 'run-error' }, el('strong', null, `${LIVE.has(run.status) ? 'Before it was resumed: ' : ''}${run.errorCategory || 'ERROR'}${run.errorStep ? ` at step “${run.errorStep}”` : ''}: `), el('pre', { class: 'value' }, visible(run.error))) : null,
        actionPanel(d, async () => (fill(await api(`runs/${encodeURIComponent(runId)}`)), startFollowing())),
        el('div', { class: 'columns' }, section('Run', el('dl', { class: 'meta' }, meta.map(([k, v]) => [el('dt', null, k), el('dd', null, v)]))), section('Params', pre(run.params))),
        section('Timeline', timeline(run, d.steps)),
        section('Graph', drawGraph(d.graph, (step) => (latest.get(step) ? latest.get(step).status : null))),
        section(
          'Steps',
          table(
            ['Step', 'Iter.', 'Attempt', 'Status', 'Started', 'Duration', 'Quality', 'Error', 'Output'],
            d.steps.map((s) =>
              el(
                'tr',
                { 'data-step': s.stepName, 'data-status': s.status },
                el('td', null, s.stepName, el('span', { class: 'muted' }, ` ${s.stepType}`)),
                el('td', { class: 'num' }, s.iteration),
                el('td', { class: 'num' }, s.attempt),
                el('td', null, badge(s.status)),
                el('td', { class: 'nowrap' }, fmtTime(s.startedAt)),
                el('td', { class: 'num' }, fmtDuration(s.durationMs)),
                el('td', null, quality(s.quality)),
                el('td', { class: 'error-cell' }, s.error ? `${s.errorCategory ? `${s.errorCategory}: ` : ''}${s.error}` : ''),
                el('td', null, s.output === null ? '' : el('details', null, el('summary', null, 'output'), pre(s.output))),
              ),
            ),
            { 'data-testid': 'steps' },
          ),
        ),
        items
          ? section(
              `Map items (${items.length}${d.childrenCapped ? '+' : ''}: ${items.filter((i) => i.status === 'completed').length} completed, ${items.filter((i) => i.status === 'failed').length} failed)`,
              table(
                ['Status', 'Item run', 'Partition / params', 'Duration', 'Error'],
                items.map((i) =>
                  el('tr', { 'data-item': i.runId, 'data-status': i.status }, el('td', null, badge(i.status)), el('td', { class: 'mono nowrap' }, link(runPath(i.runId), i.runId.startsWith(`${run.runId}:`) ? `…${i.runId.slice(run.runId.length)}` : shortId(i.runId), { title: i.runId })), el('td', { class: 'small' }, i.partition ? fmtPartition(i.partition) : i.paramsText), el('td', { class: 'num' }, fmtDuration(i.durationMs)), el('td', { class: 'error-cell' }, i.error ? visible(`${i.errorStep ? `${i.errorStep}: ` : ''}${i.error}`) : '')),
                ),
                { 'data-testid': 'map-items' },
              ),
            )
          : null,
        d.mapItems.length > 0
          ? section(
              `Map items run in place (${d.mapItems.length})`,
              table(
                ['Step', 'Item', 'Status', 'Attempts', 'Duration', 'Error', 'Output'],
                d.mapItems.map((i) =>
                  el('tr', { 'data-item': `${i.stepName}:${i.index}`, 'data-status': i.status }, el('td', null, i.stepName), el('td', { class: 'num' }, i.index), el('td', null, badge(i.status)), el('td', { class: 'num' }, i.attempts), el('td', { class: 'num' }, fmtDuration(i.durationMs)), el('td', { class: 'error-cell' }, visible(i.error || '')), el('td', null, i.output === null ? '' : el('details', null, el('summary', null, 'output'), pre(i.output)))),
                ),
                { 'data-testid': 'map-items-in-place' },
              ),
            )
          : null,
        section(
          'Events',
          d.events === null
            ? el('p', { class: 'muted' }, 'This store does not keep events (a database store does).')
            : d.events.length === 0
              ? el('p', { class: 'muted' }, 'No events stored for this run.')
              : table(['Time', 'Event', 'Step', 'Attempt', 'Details'], d.events.map((e) => el('tr', null, el('td', { class: 'nowrap' }, fmtTime(e.at)), el('td', null, e.type), el('td', null, e.step || ''), el('td', { class: 'num' }, e.attempt === null ? '' : e.attempt), el('td', { class: 'mono small' }, visible(JSON.stringify(e.payload))))), { 'data-testid': 'events' }),
        ),
      ]);
      return d;
    };
    const follow = (d) => LIVE.has(d.run.status) || d.actions.resuming || d.children.some((c) => LIVE.has(c.status));
    let since = Date.now();
    // follows a live run (and a resume or cancel started here, for a few seconds at least) until it settles:
    // its events stream in (GET api/runs/:id/events) and each redraws the page; a slow poll stays as the fallback
    let refreshing = false;
    const refresh = async () => {
      if (!current()) return stopPolling();
      if (refreshing) return;
      refreshing = true;
      try {
        const fresh = await api(`runs/${encodeURIComponent(runId)}`).catch(() => null);
        if (fresh && current() && !view.querySelector('.confirm:not([hidden])')) fill(fresh);
        if (fresh && !follow(fresh) && Date.now() - since > 3000) stopPolling();
      } finally {
        refreshing = false;
      }
    };
    const startFollowing = () => {
      since = Date.now();
      if (poll !== null) return;
      every(10000, refresh);
      if (typeof EventSource === 'function') {
        stream = new EventSource(new URL(`api/runs/${encodeURIComponent(runId)}/events`, BASE));
        view.dataset.live = 'streaming';
        stream.onmessage = refresh;
        for (const type of ['run_started', 'run_resumed', 'step_completed', 'step_failed', 'step_retried', 'step_skipped', 'signal_waiting', 'signal_received', 'run_parked', 'run_requeued', 'run_completed', 'run_failed', 'run_cancelled', 'run_stopped', 'end']) {
          stream.addEventListener(type, refresh);
        }
        stream.addEventListener('end', () => {
          if (stream !== null) stream.close();
          stream = null;
        });
      } else every(1500, refresh);
    };
    fill(detail);
    if (follow(detail)) startFollowing();
    return view;
  }

  // ── workflows ──────────────────────────────────────────────────────────────────────────────

  async function workflowsPage() {
    const { days, workflows } = await api('workflows');
    return el(
      'div',
      null,
      el('h1', null, 'Workflows'),
      workflows.length === 0
        ? el('p', { class: 'muted' }, 'No workflows are registered in this application.')
        : table(
            ['Workflow', 'Description', 'Steps', 'Queue', `Runs (${days} days)`, 'Success rate', 'Failed', 'Last run'],
            workflows.map((w) =>
              el(
                'tr',
                { 'data-workflow': w.name },
                el('td', null, link(workflowPath(w.name), w.name), el('span', { class: 'muted' }, ` v${w.version}`), w.tags.length > 0 ? el('span', { class: 'muted small' }, ` ${w.tags.join(', ')}`) : null),
                el('td', null, w.description || ''),
                el('td', { class: 'num' }, w.steps),
                el('td', null, w.queue || '—'),
                el('td', { class: 'num' }, w.runs),
                el('td', { class: 'num' }, pct(w.successRate)),
                el('td', { class: 'num' }, w.byStatus.failed ? link(`runs?workflow=${encodeURIComponent(w.name)}&status=failed`, String(w.byStatus.failed)) : '0'),
                el('td', { class: 'nowrap' }, fmtTime(w.lastStartedAt)),
              ),
            ),
            { 'data-testid': 'workflows' },
          ),
    );
  }

  /** The form that starts a run of a workflow: one field per declared param (its type, default, allowed values), the queue, and Start. */
  function startForm(w) {
    if (READ_ONLY) return null;
    const params = w.params || {};
    const fields = Object.entries(params).map(([name, spec]) => {
      const value = spec.default === undefined ? '' : typeof spec.default === 'string' ? spec.default : JSON.stringify(spec.default);
      const input =
        spec.type === 'boolean'
          ? el('select', { name, 'aria-label': name }, ['', 'true', 'false'].map((v) => el('option', { value: v, ...(String(spec.default) === v && { selected: true }) }, v === '' ? '(default)' : v)))
          : Array.isArray(spec.enum)
            ? el('select', { name, 'aria-label': name }, ['', ...spec.enum.map(String)].map((v) => el('option', { value: v, ...(String(spec.default ?? '') === v && v !== '' && { selected: true }) }, v === '' ? '(none)' : v)))
            : el('input', { type: 'text', name, value, 'aria-label': name, placeholder: spec.format ? (spec.format === 'date' ? '2026-10-23' : '2026-10-23T16:00:00Z') : spec.type });
      return { name, input, row: el('tr', null, el('td', null, name, spec.required ? el('span', { class: 'muted' }, ' *') : null), el('td', null, input), el('td', { class: 'muted' }, `${spec.type}${spec.description ? ` — ${spec.description}` : ''}`)) };
    });
    const free = el('textarea', { name: 'params', rows: 3, spellcheck: 'false', 'aria-label': 'params (JSON)' }, '{}');
    const queue = el('input', { type: 'text', name: 'queue', value: w.queue || '', 'aria-label': 'queue', placeholder: 'runs here when empty' });
    const status = el('p', { class: 'muted', role: 'status' });
    const start = el('button', { type: 'button', class: 'primary', 'data-testid': 'start' }, 'Start a run');
    start.addEventListener('click', async () => {
      start.disabled = true;
      status.textContent = 'Starting…';
      try {
        let body = {};
        if (fields.length === 0) {
          try {
            body = JSON.parse(free.value || '{}');
          } catch {
            throw new Error('The params are not JSON: write an object such as {"week_ending": "2026-10-23"}.');
          }
        }
        // text as typed: the server converts it by the param's type and names what it cannot read
        for (const f of fields) if (f.input.value !== '') body[f.name] = f.input.value;
        const reply = await post(`workflows/${encodeURIComponent(w.name)}/runs`, { params: body, ...(queue.value && { queue: queue.value }) });
        navigate(runPath(reply.runId));
      } catch (error) {
        status.replaceChildren(problem(error.message));
        start.disabled = false;
      }
    });
    return section(
      'Start a run',
      fields.length > 0 ? table(['Param', 'Value', 'Type'], fields.map((f) => f.row)) : el('label', null, 'Params (JSON) ', free),
      el('p', null, el('label', null, 'Queue ', queue), ' ', start),
      status,
    );
  }

  async function workflowPage(name) {
    const w = await api(`workflows/${encodeURIComponent(name)}`);
    const byStatus = Object.entries(w.stats.byStatus).map(([s, n]) => el('span', { class: 'stat' }, badge(s), ` ${n}`));
    return el(
      'div',
      { 'data-testid': 'workflow-page' },
      el('h1', null, w.name, el('span', { class: 'muted' }, ` v${w.version}`)),
      w.description ? el('p', null, w.description) : null,
      el('p', null, `Queue: ${w.queue || '— (runs where it is started)'}`, w.tags.length > 0 ? ` · tags: ${w.tags.join(', ')}` : '', w.timeoutMs ? ` · timeout ${fmtDuration(w.timeoutMs)}` : ''),
      section('Last 30 days', w.stats.total === 0 ? el('p', { class: 'muted' }, 'No runs.') : el('p', null, `${w.stats.total} runs: `, byStatus)),
      w.schedules.length > 0
        ? section('Schedules', table(['Schedule', 'Cron', 'Time zone', 'State', 'Next fires'], w.schedules.map((s) => el('tr', null, el('td', null, s.name), el('td', { class: 'mono' }, s.cron), el('td', null, s.timezone), el('td', null, s.paused ? 'paused' : 'active'), el('td', null, s.nextFireTimes.map(fmtTime).join(', '))))))
        : null,
      startForm(w),
      section('Graph', drawGraph(w.graph, () => null)),
      section('Steps', table(['Step', 'Type', 'Quality gate', 'Description'], w.steps.map((s) => el('tr', null, el('td', null, s.name), el('td', null, s.type), el('td', null, s.quality ? `${visible(JSON.stringify(s.quality))} (${s.qualityMode})` : ''), el('td', null, s.description || ''))))),
      section('Recent runs', w.recentRuns.length === 0 ? el('p', { class: 'muted' }, 'No runs yet.') : el('table', { class: 'runs' }, el('thead', null, el('tr', null, ['Status', 'Run', 'Workflow', 'Partition / params', 'Trigger', 'Started', 'Duration', 'Steps', 'Error'].map((h) => el('th', null, h)))), el('tbody', null, runRows(w.recentRuns)))),
      el('p', null, link(`runs?workflow=${encodeURIComponent(w.name)}`, `All runs of ${w.name} »`)),
    );
  }

  // ── quality ────────────────────────────────────────────────────────────────────────────────

  function qualityChart(series) {
    const box = el('div', { class: 'chart', 'data-testid': 'quality-chart', 'data-points': series.points.length, 'data-breaches': series.points.filter((p) => !p.passed).length });
    if (typeof uPlot === 'undefined') return append(box, [el('p', { class: 'muted' }, 'The chart library did not load.')]);
    const xs = series.points.map((p) => Date.parse(p.at) / 1000);
    const rate = series.points.map((p) => +(p.validRate * 100).toFixed(3));
    const records = series.points.map((p) => p.recordCount);
    const breaches = series.points.map((p) => (p.passed ? null : +(p.validRate * 100).toFixed(3)));
    const min = series.thresholds && typeof series.thresholds.minValidRate === 'number' ? series.thresholds.minValidRate * 100 : null;
    const low = Math.min(...rate, min === null ? 100 : min);
    const data = [xs, rate, records, breaches];
    const opts = {
      width: 320,
      height: 220,
      scales: { x: xs.length === 1 ? { time: true, range: [xs[0] - 3600, xs[0] + 3600] } : { time: true }, pct: { range: [Math.max(0, Math.floor(low - 1)), 100] }, n: { range: (u, lo, hi) => [0, Math.max(1, hi * 1.1)] } },
      series: [
        {},
        { label: 'valid rate %', scale: 'pct', stroke: '#1f8a4c', width: 2, value: (u, v) => (v === null ? '—' : `${v.toFixed(2)}%`) },
        { label: 'records', scale: 'n', stroke: '#4c6ef5', width: 1, dash: [4, 3] },
        { label: 'gate breached', scale: 'pct', stroke: '#d6336c', width: 0, paths: () => null, points: { show: true, size: 9, fill: '#d6336c', stroke: '#d6336c' } },
      ],
      axes: [{}, { scale: 'pct', size: 64, values: (u, ticks) => ticks.map((t) => `${t}%`) }, { scale: 'n', side: 1, size: 56, grid: { show: false } }],
    };
    if (min !== null) {
      data.push(xs.map(() => min));
      opts.series.push({ label: `gate ≥ ${min}%`, scale: 'pct', stroke: '#999', width: 1, dash: [2, 4], points: { show: false } });
    }
    // sized to its card once the card is on the page
    requestAnimationFrame(() => new uPlot({ ...opts, width: Math.max(320, box.clientWidth) }, data, box));
    return box;
  }

  async function qualityPage() {
    const query = new URLSearchParams(location.search);
    const days = Number(query.get('days')) || 30;
    const { steps } = await api(`quality?days=${days}`);
    const picker = el('form', { class: 'filters', onsubmit: (e) => (e.preventDefault(), navigate(`quality?days=${new FormData(e.target).get('days')}`)) }, el('label', null, 'Days ', el('select', { name: 'days' }, [7, 30, 90, 365].map((d) => el('option', { value: d, selected: d === days }, d)))), el('button', { type: 'submit' }, 'Show'));
    return el(
      'div',
      null,
      el('h1', null, 'Quality'),
      el('p', { class: 'muted' }, 'Valid rate and record count of every step that reports quality metrics, per execution; red points breached the step\u2019s gate.'),
      picker,
      steps.length === 0
        ? el('p', { class: 'muted' }, `No step recorded quality metrics in the last ${days} days.`)
        : steps.map((s) =>
            el(
              'section',
              { class: 'card', 'data-quality': `${s.workflow}/${s.step}` },
              el('h2', null, link(workflowPath(s.workflow), s.workflow), ' › ', s.step),
              el('p', null, `${s.executions} executions, `, el('span', { class: s.failed > 0 ? 'bad' : '' }, `${s.failed} breached the gate`), s.thresholds ? el('span', { class: 'muted' }, ` · gate ${visible(JSON.stringify(s.thresholds))} (${s.qualityMode})`) : null),
              qualityChart(s),
              el(
                'details',
                null,
                el('summary', null, 'Points'),
                table(
                  ['Time', 'Run', 'Records', 'Valid', 'Valid rate', 'Null rate', 'Gate'],
                  s.points.map((p) => el('tr', { 'data-passed': p.passed ? '1' : '0' }, el('td', { class: 'nowrap' }, fmtTime(p.at)), el('td', { class: 'mono' }, link(runPath(p.runId), p.runId)), el('td', { class: 'num' }, p.recordCount), el('td', { class: 'num' }, p.validCount), el('td', { class: 'num' }, pct(p.validRate)), el('td', { class: 'num' }, pct(p.nullRate)), el('td', null, p.passed ? 'passed' : el('span', { class: 'bad' }, 'breached')))),
                  { class: 'points' },
                ),
              ),
            ),
          ),
    );
  }

  // ── queues, workers, schedules ─────────────────────────────────────────────────────────────

  /** Queued runs no live worker can take (none serves the queue, or none has the workflow): a warning section, or nothing. */
  function unservedSection(queues, now) {
    const rows = queues.flatMap((q) => q.unserved.map((u) => ({ queue: q.queue, ...u })));
    if (rows.length === 0) return [];
    return [
      section(
        'Waiting for a worker that has their workflow',
        [
          el('p', { class: 'notice' }, `No live worker serving these queues has these workflows registered, so nobody claims these runs. Start a worker of the application that defines them: npx spine worker ${[...new Set(rows.map((u) => u.queue))].map((q) => `--queue ${q}`).join(' ')}`),
          table(
            ['Queue', 'Workflow', 'Queued', 'Oldest queued'],
            rows.map((u) => el('tr', { 'data-unserved': `${u.queue}/${u.workflow}` }, el('td', null, u.queue), el('td', null, link(workflowPath(u.workflow), u.workflow)), el('td', { class: 'num' }, u.count), el('td', null, `${fmtTime(u.oldestQueuedAt)} (${fmtDuration(now - Date.parse(u.oldestQueuedAt))} ago)`))),
            { 'data-testid': 'unserved' },
          ),
        ],
      ),
    ];
  }

  /** What a schedule action said (kept across the page's refreshes). */
  const scheduleStatus = el('p', { class: 'muted', role: 'status', 'data-testid': 'schedule-status' });

  /** Pause or resume, trigger now, and backfill a range (its plan shown first) of one schedule. */
  function scheduleButtons(s, refresh) {
    if (READ_ONLY) return null;
    const path = (action) => `schedules/${encodeURIComponent(s.name)}/${action}`;
    const run = async (button, work) => {
      button.disabled = true;
      try {
        scheduleStatus.textContent = await work();
        await refresh();
      } catch (error) {
        scheduleStatus.replaceChildren(problem(error.message));
        button.disabled = false;
      }
    };
    const toggle = el('button', { type: 'button', 'data-testid': `schedule-${s.paused ? 'resume' : 'pause'}` }, s.paused ? 'Resume' : 'Pause');
    toggle.addEventListener('click', () => run(toggle, async () => (await post(path(s.paused ? 'resume' : 'pause')), `${s.name}: ${s.paused ? 'resumed' : 'paused'}.`)));
    const trigger = el('button', { type: 'button', 'data-testid': 'schedule-trigger' }, 'Fire now');
    trigger.addEventListener('click', () => run(trigger, async () => `${s.name}: fired (run ${(await post(path('trigger'))).runId}).`));
    const backfill = el('button', { type: 'button', 'data-testid': 'schedule-backfill' }, 'Backfill…');
    backfill.addEventListener('click', async () => {
      const from = window.prompt(`Backfill ${s.name} from (YYYY-MM-DD):`);
      const to = from && window.prompt(`Backfill ${s.name} to (YYYY-MM-DD):`);
      if (!from || !to) return;
      await run(backfill, async () => {
        const plan = await post(path('backfill'), { from, to, dryRun: true });
        const todo = plan.entries.filter((e) => e.action !== 'skip');
        if (todo.length === 0) return `${s.name}: nothing to backfill from ${from} to ${to} (${plan.entries.length} fire times, all done).`;
        if (!window.confirm(`${todo.length} of ${plan.entries.length} fire times would run:\n${todo.map((e) => `${e.localDate}: ${e.action} (${e.reason})`).join('\n')}\n\nGo ahead?`)) return 'Backfill not started.';
        const done = await post(path('backfill'), { from, to, dryRun: false });
        return `${s.name}: ${done.entries.filter((e) => e.action !== 'skip').length} fire times enqueued or resumed.`;
      });
      backfill.disabled = false;
    });
    return [toggle, ' ', trigger, ' ', backfill];
  }

  async function queuesPage(id, current) {
    const view = el('div', null);
    const fill = ({ queues, workers, schedules }) => {
      const now = Date.now();
      view.replaceChildren();
      append(view, [
        el('h1', null, 'Queues, workers and schedules'),
        section(
          'Queues',
          queues.length === 0
            ? el('p', { class: 'muted' }, 'No queued, running or waiting runs on any queue.')
            : table(
                ['Queue', 'Queued', 'Due now', 'Running', 'Waiting', 'Oldest queued', 'Per key'],
                queues.map((q) => el('tr', { 'data-queue': q.queue }, el('td', null, link(`runs?status=queued`, q.queue)), el('td', { class: 'num' }, q.queued), el('td', { class: 'num' }, q.due), el('td', { class: 'num' }, q.running), el('td', { class: 'num' }, q.waiting), el('td', null, q.oldestQueuedAt ? `${fmtTime(q.oldestQueuedAt)} (${fmtDuration(now - Date.parse(q.oldestQueuedAt))} ago)` : '—'), el('td', { class: 'small' }, q.keys.map((k) => `${k.key}: ${k.running} running, ${k.queued} queued`).join('; ')))),
                { 'data-testid': 'queues' },
              ),
        ),
        ...unservedSection(queues, now),
        section(
          'Workers',
          workers.length === 0
            ? el('p', { class: 'muted' }, 'No workers registered. Start one with: npx spine worker --queue <queue>')
            : table(['Worker', 'Host', 'PID', 'Queues', 'Running', 'Started', 'Heartbeat'], workers.map((w) => el('tr', null, el('td', { class: 'mono' }, w.workerId), el('td', null, w.hostname), el('td', { class: 'num' }, w.pid), el('td', null, w.queues.join(', ')), el('td', { class: 'num' }, `${w.running}/${w.concurrency}`), el('td', { class: 'nowrap' }, fmtTime(w.startedAt)), el('td', null, `${fmtDuration(now - Date.parse(w.heartbeatAt))} ago`))), { 'data-testid': 'workers' }),
        ),
        section(
          'Schedules',
          schedules.length === 0
            ? el('p', { class: 'muted' }, 'No schedules are defined.')
            : table(['Schedule', 'Workflow', 'Cron', 'Time zone', 'State', 'Next fires', 'Last fire', ''], schedules.map((s) => el('tr', { 'data-schedule': s.name }, el('td', null, s.name), el('td', null, link(workflowPath(s.workflow), s.workflow)), el('td', { class: 'mono' }, s.cron), el('td', null, s.timezone), el('td', null, s.paused ? 'paused' : 'active'), el('td', { class: 'small' }, s.nextFireTimes.map(fmtTime).join(', ')), el('td', null, s.lastFire ? [fmtTime(s.lastFire.fireTime), ' ', s.lastFire.runId ? link(runPath(s.lastFire.runId), s.lastFire.runStatus || 'run') : s.lastFire.error || ''] : 'never'), el('td', { class: 'nowrap' }, scheduleButtons(s, refresh)))), { 'data-testid': 'schedules' }),
        ),
        scheduleStatus,
      ]);
    };
    const refresh = async () => fill(await api('queues'));
    await refresh();
    every(3000, async () => {
      if (!current()) return stopPolling();
      const fresh = await api('queues').catch(() => null);
      if (fresh && current()) fill(fresh);
    });
    return view;
  }

  render();
})();
