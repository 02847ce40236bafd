// The bench's report: the ratios between targets, the table, the targets of issue 10 met or missed,
// and the same results as JSON (bench/results/latest.json unless --out says otherwise).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const fmt = (x, d = 2) => (x === null || x === undefined || Number.isNaN(x) ? '-' : Number(x).toFixed(d));

/** Prints the table and the targets to stdout and writes the JSON; `rows` are sorted and compared in place. */
export function report(rows, { args, routerMain, machine, started }) {
  const kindOrder = ['load', 'latency', 'ttfb', 'streams', 'split'];
  const targetOrder = (t) => ['direct', 'reference', 'ceiling'].indexOf(t) + 1 || 4;
  rows.sort((x, y) => x.scenario.localeCompare(y.scenario) || kindOrder.indexOf(x.kind) - kindOrder.indexOf(y.kind) || targetOrder(x.target) - targetOrder(y.target));
  compare(rows);
  const results = checks(rows);
  process.stdout.write(`\nLLM-router benchmark (${args.mode}), ${machine.nproc} x ${machine.cpu}, proxies on Node ${machine.proxyNode} ${machine.v8Flags || '(no V8 flags)'}, pinned: ${machine.pinned}\n\n`);
  process.stdout.write(`${table(rows)}\n\n`);
  for (const c of results) process.stdout.write(`${c.ok ? 'PASS' : 'MISS'}  ${c.target}: ${c.value}\n`);
  const errors = rows.filter((r) => r.errors > 0 || r.non2xx > 0);
  for (const r of errors) process.stdout.write(`note: (${r.scenario}) ${r.target} had ${r.errors} errors and ${r.non2xx} non-2xx answers\n`);
  mkdirSync(dirname(args.out), { recursive: true });
  writeFileSync(
    args.out,
    JSON.stringify({ date: new Date().toISOString(), mode: args.mode, router: routerMain, machine, seconds: (Date.now() - started) / 1000, rows, checks: results }, null, 2),
  );
  process.stdout.write(`\nwrote ${args.out} in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
}

/** Each row's ratios to the reference, the ceiling app and direct calls of the same scenario (router xN rows included). */
function compare(rows) {
  const find = (s, kind, target) => rows.find((r) => r.scenario === s && r.kind === kind && r.target === target);
  for (const r of rows) {
    if (r.target === 'direct') continue;
    const ref = find(r.scenario, r.kind, 'reference');
    const ceiling = find(r.scenario, r.kind, 'ceiling');
    const direct = find(r.scenario, r.kind, 'direct');
    if (r.kind === 'load' && ref) r.rpsVsReference = r.rps / ref.rps;
    const isRouter = r.target.startsWith('router');
    if (r.cpuMsPerRequest && ceiling?.cpuMsPerRequest && isRouter) r.cpuVsCeiling = r.cpuMsPerRequest / ceiling.cpuMsPerRequest;
    if (r.kind === 'load' && ceiling && isRouter) r.rpsVsCeiling = r.rps / ceiling.rps;
    if (r.peakRssMb && ref?.peakRssMb) r.rssVsReference = r.peakRssMb / ref.peakRssMb;
    if (r.peakRssMb && ceiling?.peakRssMb && isRouter) r.rssVsCeiling = r.peakRssMb / ceiling.peakRssMb;
    if ((r.kind === 'latency' || r.kind === 'ttfb') && direct) {
      r.addedP50Ms = r.p50 - direct.p50;
      r.addedP99Ms = r.p99 - direct.p99;
    }
    if (r.kind === 'streams' && ref?.kibPerStream) r.perStreamVsReference = r.kibPerStream / ref.kibPerStream;
    // The pool against the single backend of the same run.
    const single = rows.find((x) => x.kind === 'split' && x.title.startsWith('single'));
    if (r.kind === 'split' && single && single !== r) r.rpsVsSingle = r.rps / single.rps;
  }
}

function vsText(r) {
  if (r.kind === 'split') {
    const total = Object.values(r.split ?? {}).reduce((s, n) => s + n, 0) || 1;
    const split = Object.entries(r.split ?? {}).map(([name, n]) => `${name} ${fmt((n / total) * 100, 0)}%`).join(' / ');
    return [r.rpsVsSingle !== undefined ? `${fmt(r.rpsVsSingle * 100, 0)}% req/s of single` : '', split].filter(Boolean).join(', ');
  }
  if (r.target === 'direct' || r.target === 'reference') return r.kibPerStream !== undefined ? `${fmt(r.kibPerStream, 0)} KiB/stream` : '';
  if (r.addedP50Ms !== undefined) return `+${fmt(r.addedP50Ms, 3)} ms p50, +${fmt(r.addedP99Ms, 3)} ms p99 over direct`;
  const parts = [];
  if (r.rpsVsReference !== undefined) parts.push(`${fmt(r.rpsVsReference * 100, 0)}% req/s`);
  if (r.rssVsReference !== undefined) parts.push(`${fmt(r.rssVsReference, 2)}x RSS`);
  if (r.kibPerStream !== undefined) parts.push(`${fmt(r.kibPerStream, 0)} KiB/stream (${fmt(r.perStreamVsReference, 2)}x)`);
  return parts.join(', ');
}

function vsCeilingText(r) {
  const parts = [];
  if (r.rpsVsCeiling !== undefined) parts.push(`${fmt(r.rpsVsCeiling * 100, 0)}% req/s`);
  if (r.cpuVsCeiling !== undefined) parts.push(`${fmt(r.cpuVsCeiling, 2)}x CPU/req`);
  if (r.rssVsCeiling !== undefined) parts.push(`${fmt(r.rssVsCeiling, 2)}x RSS`);
  return parts.join(', ');
}

function table(rows) {
  const header = ['scenario', 'target', 'runtime', 'req/s', 'p50 ms', 'p99 ms', 'CPU ms/req', 'peak RSS MB', 'vs reference', 'vs ceiling'];
  const lines = rows.map((r) => [
    `(${r.scenario}) ${r.title}`,
    r.target,
    r.runtime ?? '-',
    r.kind === 'streams' ? `${r.completed}/${r.count} done` : r.kind === 'load' || r.kind === 'split' ? fmt(r.rps, 0) : '-',
    r.kind === 'idle' ? '-' : fmt(r.p50, r.kind === 'load' ? 0 : r.kind === 'split' ? 1 : 3),
    r.kind === 'idle' ? '-' : fmt(r.p99, r.kind === 'load' ? 0 : r.kind === 'split' ? 1 : 3),
    fmt(r.cpuMsPerRequest, 3),
    fmt(r.peakRssMb, 1),
    vsText(r),
    vsCeilingText(r),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => String(l[i]).length)));
  const row = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
  return [row(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(row)].join('\n');
}

/** The targets of issue 10, each a ratio within this run and runtime. */
function checks(rows) {
  const r = (s, kind, target = 'router') => rows.find((x) => x.scenario === s && x.kind === kind && x.target === target);
  const out = [];
  const add = (name, value, ok) => value !== undefined && out.push({ target: name, value, ok });
  const pct = (x) => (x === undefined ? undefined : fmt(x * 100, 0) + '%');
  const a = r('a', 'load');
  const b = r('b', 'load');
  const c = r('c', 'load');
  const e = r('e', 'streams');
  const idle = r('idle', 'idle');
  add('(a) req/s >= 90% of the ceiling app', a && pct(a.rpsVsCeiling), a?.rpsVsCeiling >= 0.9);
  add('(a) peak RSS <= the ceiling app', a?.rssVsCeiling !== undefined ? fmt(a.rssVsCeiling) + 'x' : undefined, a?.rssVsCeiling <= 1);
  add('(b) req/s >= 85% of reference', b && pct(b.rpsVsReference), b?.rpsVsReference >= 0.85);
  add('(b) peak RSS <= 1.5x reference', b?.rssVsReference !== undefined ? fmt(b.rssVsReference) + 'x' : undefined, b?.rssVsReference <= 1.5);
  add('(c) req/s >= 90% of reference', c && pct(c.rpsVsReference), c?.rpsVsReference >= 0.9);
  const ttfb = r('d', 'ttfb');
  add('(d) added TTFB p50 <= 0.5 ms', ttfb && fmt(ttfb.addedP50Ms, 3) + ' ms', ttfb?.addedP50Ms <= 0.5);
  add('(d) added TTFB p99 <= 2 ms', ttfb && fmt(ttfb.addedP99Ms, 3) + ' ms', ttfb?.addedP99Ms <= 2);
  add('(e) every stream complete', e && `${e.completed}/${e.count}`, e?.completed === e?.count);
  add('(e) every first byte within 1.5 s', e && fmt(e.maxFirstByteMs, 0) + ' ms', e?.maxFirstByteMs <= 1500);
  add('(e) memory per open stream <= 1.3x reference', e?.perStreamVsReference !== undefined ? fmt(e.perStreamVsReference) + 'x' : undefined, e?.perStreamVsReference <= 1.3);
  add('(idle) resident memory <= 100 MB', idle && fmt(idle.peakRssMb, 1) + ' MB', idle?.peakRssMb <= 100);
  return out;
}
