// Renders the JSON from /ui/api into the page. Every value goes in as text (textContent), never as HTML:
// model names come from clients and must not become markup.
'use strict';

window.Views = (() => {
  const { ms, compact } = window.Charts;
  const num = new Intl.NumberFormat();

  function el(tag, props = {}, children = []) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props)) {
      if (k === 'text') node.textContent = v;
      else if (k === 'class') node.className = v;
      else node.setAttribute(k, v);
    }
    for (const child of [].concat(children)) if (child !== null && child !== undefined) node.append(child);
    return node;
  }

  function table(caption, headers, rows, emptyText) {
    if (rows.length === 0) return el('p', { class: 'empty', text: emptyText });
    const head = el('tr', {}, headers.map((h) => el('th', { scope: 'col', class: h.num ? 'num' : '', text: h.label })));
    const body = rows.map((cells) => el('tr', {}, cells.map((c, i) => (c instanceof Node ? el('td', {}, c) : el('td', { class: headers[i].num ? 'num' : '', text: c ?? '–' })))));
    return el('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': caption }, el('table', {}, [el('caption', { text: caption }), el('thead', {}, head), el('tbody', {}, body)]));
  }

  const pill = (text, kind) => el('span', { class: `pill ${kind}`, text });

  // ---- Backends ----

  function backends(container, report) {
    // With Redis the traffic is every replica's; up/down, circuit and in flight are always this process's.
    document.getElementById('backends-scope').textContent = report.shared
      ? 'Up or down from this router process\'s readiness probes; traffic and latency per minute over the last hour, every replica (Redis).'
      : 'Up or down from the readiness probes; traffic and latency per minute over the last hour, as this router process saw them.';
    const seen = new Set();
    for (const b of report.data) {
      seen.add(b.name);
      let card = container.querySelector(`[data-backend="${CSS.escape(b.name)}"]`);
      if (!card) {
        card = el('article', { class: 'card backend', 'data-backend': b.name }, [
          el('header', { class: 'card-head' }),
          el('dl', { class: 'stats' }),
          el('div', { class: 'chart', 'data-height': '190', role: 'img', 'aria-label': `Time to first byte and router overhead of ${b.name} over the last hour` }),
        ]);
        container.append(card);
      }
      const status = b.status === 'up' ? pill('up', 'ok') : pill(`down${b.reason ? ` (${b.reason})` : ''}`, 'bad');
      const circuit = b.circuit === 'closed' ? pill('circuit closed', 'quiet') : pill(`circuit ${b.circuit.replace('_', '-')}`, 'warn');
      card.querySelector('.card-head').replaceChildren(
        el('h3', {}, [b.name, el('span', { class: 'prefix', text: ` ${b.prefix}${b.default ? ' · default' : ''}` })]),
        el('div', { class: 'pills' }, [status, circuit]),
      );
      const errorRate = b.error_rate === null ? '–' : `${(b.error_rate * 100).toFixed(b.error_rate < 0.1 ? 1 : 0)}%`;
      const stat = (label, value) => el('div', { class: 'stat' }, [el('dt', { text: label }), el('dd', { text: value })]);
      card.querySelector('.stats').replaceChildren(
        stat('In flight', num.format(b.in_flight)),
        stat('Requests/min', num.format(b.requests_per_minute)),
        stat(`Errors (${report.error_rate_minutes} min)`, errorRate),
        stat('TTFB p50 now', ms(lastValue(b.series.ttfb_p50_ms))),
      );
      window.Charts.latency(card.querySelector('.chart'), b.series);
    }
    for (const card of container.querySelectorAll('[data-backend]')) {
      if (seen.has(card.dataset.backend)) continue;
      window.Charts.remove(card.querySelector('.chart'));
      card.remove();
    }
  }

  // ---- Pools: backends sharing a prefix, each member's load on this router process ----

  function pools(container, report) {
    const list = report.pools || [];
    container.hidden = list.length === 0;
    container.replaceChildren(
      ...list.map((p) => {
        const load = (m) => {
          const cap = m.max_concurrent;
          const bar = el('meter', { min: '0', max: String(cap || Math.max(1, ...p.members.map((x) => x.in_flight))), value: String(m.in_flight), 'aria-label': `${m.name} in flight` });
          return el('span', { class: 'load' }, [bar, ` ${num.format(m.in_flight)}${cap ? ` / ${num.format(cap)}` : ''}`]);
        };
        const rows = p.members.map((m) => [
          m.name,
          num.format(m.weight),
          load(m),
          num.format(m.chosen),
          num.format(m.failed_over),
          `${num.format(m.affinity_hits)} / ${num.format(m.affinity_misses)}`,
          m.ttfb_ewma_ms === null ? '–' : ms(m.ttfb_ewma_ms),
          m.circuit === 'closed' ? 'closed' : m.circuit.replace('_', '-'),
        ]);
        const headers = [
          { label: 'Member' },
          { label: 'Weight', num: true },
          { label: 'In flight' },
          { label: 'Chosen', num: true },
          { label: 'Failed over', num: true },
          { label: 'Affinity hit / miss', num: true },
          { label: 'TTFB avg', num: true },
          { label: 'Circuit' },
        ];
        const pills = [pill(p.strategy.replace('_', ' '), 'quiet'), pill(p.session_affinity ? 'session affinity' : 'no affinity', 'quiet')];
        if (p.waiting > 0) pills.push(pill(`${num.format(p.waiting)} waiting`, 'warn'));
        return el('article', { class: 'card pool', 'data-pool': p.prefix }, [
          el('header', { class: 'card-head' }, [el('h3', {}, ['Pool ', el('span', { class: 'prefix', text: p.prefix })]), el('div', { class: 'pills' }, pills)]),
          table(`Members of pool ${p.prefix}`, headers, rows, 'No members.'),
        ]);
      }),
    );
  }

  function lastValue(values) {
    for (let i = values.length - 1; i >= 0; i--) if (values[i] !== null) return values[i];
    return null;
  }

  // ---- Usage ----

  function sum(rows) {
    return rows.reduce((t, r) => ({ requests: t.requests + r.requests, in: t.in + r.prompt_tokens, out: t.out + r.completion_tokens }), { requests: 0, in: 0, out: 0 });
  }

  function groupBy(days, field) {
    const groups = new Map();
    days.forEach((day, d) => {
      for (const row of day.data) {
        const name = row[field];
        if (!groups.has(name)) groups.set(name, { name, perDay: days.map(() => []) });
        groups.get(name).perDay[d].push(row);
      }
    });
    return [...groups.values()].map((g) => ({ name: g.name, today: sum(g.perDay[days.length - 1]), week: sum(g.perDay.flat()), perDay: g.perDay.map(sum) }));
  }

  function limitMeters(key) {
    if (!key || key.limits.length === 0) return el('span', { class: 'muted', text: 'no limit' });
    return el('div', { class: 'limits' }, key.limits.map((l) => {
      const label = l.kind === 'requests_per_minute' ? 'requests/min' : 'tokens/min';
      const used = Math.min(l.used, l.limit);
      const id = `limit-${key.name}-${l.kind}`.replace(/[^A-Za-z0-9_-]/g, '_');
      return el('div', { class: 'limit' }, [
        el('label', { for: id, text: `${num.format(used)} / ${num.format(l.limit)} ${label}` }),
        el('meter', { id, min: '0', max: String(l.limit), value: String(used), low: String(l.limit * 0.6), high: String(l.limit * 0.85), optimum: '0' }),
      ]);
    }));
  }

  const dayLabel = (iso) => new Date(iso).toLocaleDateString([], { month: 'short', day: 'numeric', timeZone: 'UTC' });

  function usage(root, report, role) {
    const days = report.days;
    const labels = days.map((d) => dayLabel(d.start));
    const byKey = groupBy(days, 'key');
    const byModel = groupBy(days, 'model');
    const today = sum(days[days.length - 1].data);
    const week = sum(days.flatMap((d) => d.data));
    const card = (label, value, sub) => el('div', { class: 'card tile' }, [el('div', { class: 'tile-label', text: label }), el('div', { class: 'tile-value', text: value }), el('div', { class: 'tile-sub', text: sub })]);
    root.querySelector('#usage-tiles').replaceChildren(
      card('Requests today', num.format(today.requests), `${num.format(week.requests)} in 7 days`),
      card('Input tokens today', compact(today.in), `${compact(week.in)} in 7 days`),
      card('Output tokens today', compact(today.out), `${compact(week.out)} in 7 days`),
    );
    root.querySelector('#usage-scope').textContent = `UTC days${report.shared ? ', every replica (Redis)' : ', this router process'}`;

    // Requests per day: one line per key (the 6 busiest, the rest summed as "others").
    const ranked = [...byKey].sort((a, b) => b.week.requests - a.week.requests);
    const shown = ranked.slice(0, 6);
    const rest = ranked.slice(6);
    const lines = shown.map((k) => ({ label: k.name, values: k.perDay.map((d) => d.requests) }));
    if (rest.length > 0) lines.push({ label: 'others', values: days.map((_, d) => rest.reduce((n, k) => n + k.perDay[d].requests, 0)) });
    if (lines.length === 0) lines.push({ label: 'requests', values: days.map(() => 0) });
    window.Charts.daily(root.querySelector('#chart-requests'), labels, lines, 'lines');
    const perDay = days.map((d) => sum(d.data));
    window.Charts.daily(root.querySelector('#chart-tokens'), labels, [
      { label: 'input tokens', values: perDay.map((d) => d.in) },
      { label: 'output tokens', values: perDay.map((d) => d.out) },
    ], 'bars');

    const keysByName = new Map(report.keys.map((k) => [k.name, k]));
    const keyNames = [...new Set([...report.keys.map((k) => k.name), ...byKey.map((k) => k.name)])];
    const usageOf = new Map(byKey.map((k) => [k.name, k]));
    const zero = { requests: 0, in: 0, out: 0 };
    const counts = (u) => [num.format(u.requests), num.format(u.in), num.format(u.out)];
    const usageHeaders = [
      { label: 'Requests today', num: true }, { label: 'Input today', num: true }, { label: 'Output today', num: true },
      { label: 'Requests 7 days', num: true }, { label: 'Input 7 days', num: true }, { label: 'Output 7 days', num: true },
    ];
    root.querySelector('#usage-keys').replaceChildren(table(
      role === 'admin' ? 'Usage and limits per key' : 'Your usage and limits',
      [{ label: 'Key' }, ...usageHeaders, { label: 'Rate limits (this minute)' }],
      keyNames.map((name) => {
        const u = usageOf.get(name);
        return [name, ...counts(u?.today ?? zero), ...counts(u?.week ?? zero), limitMeters(keysByName.get(name))];
      }),
      'No keys yet.',
    ));
    root.querySelector('#usage-models').replaceChildren(table(
      'Usage per model',
      [{ label: 'Model' }, ...usageHeaders],
      [...byModel].sort((a, b) => b.week.requests - a.week.requests).map((m) => [m.name, ...counts(m.today), ...counts(m.week)]),
      'No requests in the last 7 days.',
    ));
  }

  // ---- Recent requests ----

  function requests(container, report) {
    document.getElementById('requests-scope').textContent = report.shared
      ? 'Answered by every replica (Redis): the last 500 together.'
      : 'Answered by this router process (each replica keeps its own last 500).';
    const time = (iso) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
    const rows = report.data.map((r) => {
      const failed = r.status >= 400 || r.error_code !== null;
      const status = el('span', { class: failed ? 'status bad' : 'status ok', text: r.error_code ? `${r.status} ${r.error_code}` : String(r.status) });
      const tokens = r.prompt_tokens === null && r.completion_tokens === null ? '–' : `${num.format(r.prompt_tokens ?? 0)} / ${num.format(r.completion_tokens ?? 0)}`;
      return [time(r.time), r.key, r.model, r.backend, status, r.ttfb_ms === null ? '–' : ms(r.ttfb_ms), ms(r.total_ms), tokens];
    });
    container.replaceChildren(table(
      `The last ${num.format(report.data.length)} requests, newest first`,
      [{ label: 'Time' }, { label: 'Key' }, { label: 'Model' }, { label: 'Backend' }, { label: 'Status' }, { label: 'TTFB', num: true }, { label: 'Total', num: true }, { label: 'Tokens in / out', num: true }],
      rows,
      'No requests yet.',
    ));
  }

  function models(container, list) {
    container.replaceChildren(list.length === 0 ? el('p', { class: 'empty', text: 'No model is available to this key right now.' }) : el('ul', { class: 'model-list' }, list.map((m) => el('li', { text: m }))));
  }

  return { backends, pools, usage, requests, models };
})();
