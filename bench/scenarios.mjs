// The bench's scenarios: the load each mode puts on, the router config they run on, the load client
// that measures them (bench/client.mjs, its own process next to the upstream), and one scenario run
// against each target. `bench` is the run's settings object built by run.mjs.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_DIR, LOAD_CORE, ROUTER_KEY, launch, startCeiling, startReference, startRouter, stop } from './processes.mjs';
import { cpuMs, rssMb, rssSampler } from './proc-stats.mjs';

export const MODES = {
  full: { idleSeconds: 5, seconds: 10, warmup: 2, conns: 64, latencyCount: 5000, latencySeconds: 20, streams: 1000, streamChunks: 20, streamDelayMs: 1000 },
  quick: { idleSeconds: 2, seconds: 1.2, warmup: 0.5, conns: 64, latencyCount: 500, latencySeconds: 1.2, streams: 1000, streamChunks: 2, streamDelayMs: 1000 },
  // Smoke (the test suite's): long enough that a cold process on a busy CI machine still completes requests.
  smoke: { seconds: 1.5, warmup: 0.5, conns: 4, latencyCount: 30, latencySeconds: 5, streams: 20, streamChunks: 2, streamDelayMs: 50, idleSeconds: 0.5 },
};

/**
 * The pool scenario: two model servers of different speed behind one prefix, and the faster one alone.
 * Each serves `slots` requests at once and queues the rest, as a GPU box does.
 */
export const POOL = { fastMs: 20, slowMs: 60, slots: 4, conns: 16 };

/** The scenarios in the order they run; their titles name the mode's sizes. */
export function scenarioList(sizes) {
  return [
    { id: 'a', title: 'small JSON, 64 conns', kind: 'load', model: 'json/gpt-4o-mini', direct: '/json/v1' },
    { id: 'b', title: '400 KB body', kind: 'load', model: 'json/gpt-4o-mini', direct: '/json/v1', large: true },
    { id: 'c', title: 'SSE 200 chunks', kind: 'load', model: 'sse/gpt-4o-mini', direct: '/sse/200/0/v1', stream: true },
    { id: 'd', title: '1 conn latency', kind: 'latency', model: 'json/gpt-4o-mini', direct: '/json/v1' },
    { id: 'd', title: '1 conn stream TTFB', kind: 'ttfb', model: 'ttfb/gpt-4o-mini', direct: '/sse/2/5/v1', stream: true },
    { id: 'e', title: `${sizes.streams} open streams`, kind: 'streams', model: 'slow/gpt-4o-mini', direct: null, stream: true },
    { id: 'idle', title: `idle after ${sizes.idleSeconds} s`, kind: 'idle', direct: null },
    { id: 'pool', title: `single backend (${POOL.fastMs} ms, ${POOL.slots} at once), ${POOL.conns} conns`, kind: 'split', model: 'single/gpt-4o-mini', direct: null },
    { id: 'pool', title: `pool of 2 (${POOL.fastMs} ms + ${POOL.slowMs} ms, ${POOL.slots} at once each), ${POOL.conns} conns`, kind: 'split', model: 'pool/gpt-4o-mini', direct: null },
  ];
}

export function benchConfig(sizes, upstream) {
  const b = (name, path, extra = {}) => ({ name, base_url: `${upstream}${path}`, prefix: `${name}/`, ...extra });
  return {
    backends: [
      b('json', '/json/v1', { default: true }),
      b('sse', '/sse/200/0/v1'),
      b('ttfb', '/sse/2/5/v1'),
      b('slow', `/sse/${sizes.streamChunks}/${sizes.streamDelayMs}/v1`),
      // The pool scenario: two members sharing the prefix "pool/" (least_busy, the default), and the
      // faster one's twin alone.
      b('single', `/delay/${POOL.fastMs}/${POOL.slots}/v1`),
      { ...b('pool-fast', `/delay/${POOL.fastMs}/${POOL.slots}/v1`), prefix: 'pool/' },
      { ...b('pool-slow', `/delay/${POOL.slowMs}/${POOL.slots}/v1`), prefix: 'pool/' },
    ],
    // No pool settings: scenario (e) checks that the defaults do not queue 1,000 streams.
  };
}

// ---------------------------------------------------------------- load

let clientRun = 0;
function runClient(bench, opts) {
  const file = join(bench.work, `client-${clientRun++}.json`);
  writeFileSync(file, JSON.stringify(opts));
  const child = launch(bench, 'client', [join(BENCH_DIR, 'client.mjs'), file], { core: LOAD_CORE });
  return new Promise((res, reject) => {
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`load client failed (${code}), see ${bench.work}/client.log`));
      res(JSON.parse(out.trim().split('\n').pop()));
    });
  });
}

function chatBody(model, { stream = false, contentBytes = 60 } = {}) {
  const content = contentBytes <= 60 ? 'Write a haiku about routers.' : 'x'.repeat(contentBytes);
  return JSON.stringify({
    model,
    messages: [
      { role: 'system', content: 'You are a helpful assistant.' },
      { role: 'user', content },
    ],
    temperature: 0.2,
    stream,
  });
}

async function measure(bench, scenario, target, baseUrl, isDirect) {
  const { sizes } = bench;
  if (scenario.kind === 'idle') {
    await new Promise((r) => setTimeout(r, sizes.idleSeconds * 1000));
    return {};
  }
  const path = isDirect ? `${scenario.direct}/chat/completions` : '/v1/chat/completions';
  const headers = isDirect ? {} : { authorization: `Bearer ${ROUTER_KEY}` };
  const common = { url: baseUrl + path, headers };
  if (scenario.large) {
    const file = join(bench.work, 'large-body.json');
    if (!existsSync(file)) writeFileSync(file, chatBody(scenario.model, { contentBytes: 400 * 1024 }));
    common.bodyFile = file;
  } else {
    common.body = chatBody(scenario.model, { stream: !!scenario.stream });
  }
  switch (scenario.kind) {
    case 'load':
      return runClient(bench, { ...common, mode: 'load', connections: sizes.conns, seconds: sizes.seconds, warmupSeconds: sizes.warmup });
    case 'latency':
    case 'ttfb':
      return runClient(bench, { ...common, mode: scenario.kind, count: sizes.latencyCount, warmup: Math.ceil(sizes.latencyCount / 10), seconds: sizes.latencySeconds });
    case 'split':
      return runClient(bench, { ...common, mode: 'split', connections: POOL.conns, seconds: sizes.seconds, warmupSeconds: sizes.warmup });
    case 'streams':
      return runClient(bench, { ...common, mode: 'streams', count: sizes.streams, seconds: (sizes.streamChunks * sizes.streamDelayMs) / 1000 + 30 });
  }
}

// ---------------------------------------------------------------- one scenario against each target

/** Proxy processes kept across scenarios in quick and smoke runs, by `target:workers`. */
const shared = new Map();

/** Runs the scenarios sharing one id (d has two) against each target; a fresh proxy process per target. */
export async function runScenario(bench, group, configPath, upstream, workers = 1) {
  const rows = [];
  // The pool scenario is the router's alone: the reference and ceiling proxies have no pools.
  const targets = workers > 1 || group[0].kind === 'split' ? ['router'] : [...(group[0].direct ? ['direct'] : []), 'reference', 'ceiling', 'router'];
  for (const target of targets) {
    // Quick and smoke runs save start-ups: one process per target serves the scenarios whose memory
    // is not the point (a full run starts a fresh one per scenario; (b) and (e) always get one).
    const reuse = !['b', 'e', 'idle'].includes(group[0].id) && (bench.args.mode === 'smoke' || bench.args.mode === 'quick');
    let proc = reuse ? shared.get(`${target}:${workers}`) : undefined;
    if (!proc && target === 'reference') proc = await startReference(bench, configPath);
    else if (!proc && target === 'ceiling') proc = await startCeiling(bench, configPath);
    else if (!proc && target === 'router') proc = await startRouter(bench, configPath, workers, group[0].id);
    if (proc && reuse) shared.set(`${target}:${workers}`, proc);
    try {
      for (const scenario of group) {
        const startRssMb = proc ? rssMb(proc.child.pid) : null;
        const startCpuMs = proc ? cpuMs(proc.child.pid) : 0;
        const sampler = proc ? rssSampler(proc.child.pid, !reuse) : undefined;
        try {
          const r = await measure(bench, scenario, target, proc ? proc.url : upstream.url, target === 'direct');
          const peakRssMb = sampler ? sampler.stop() : null;
          const row = { scenario: scenario.id, title: scenario.title, kind: scenario.kind, target: workers > 1 ? `router x${workers}` : target, ...r };
          row.runtime = target === 'direct' ? '-' : bench.runtime.version;
          // CPU per request: steadier than req/s on a shared machine (other load slows both alike).
          if (proc && (scenario.kind === 'load' || scenario.kind === 'split')) row.cpuMsPerRequest = (cpuMs(proc.child.pid) - startCpuMs) / (r.total + r.warmupTotal);
          // Idle: what the process holds now, not its start-up peak.
          row.peakRssMb = scenario.kind === 'idle' ? rssMb(proc.child.pid) : peakRssMb;
          if (scenario.kind === 'streams' && startRssMb) row.kibPerStream = ((peakRssMb - startRssMb) * 1024) / r.count;
          rows.push(row);
        } finally {
          sampler?.stop();
        }
        process.stderr.write(`  (${scenario.id}) ${scenario.title} / ${rows.at(-1)?.target ?? target}: done\n`);
      }
    } finally {
      if (!reuse) await stop(proc?.child);
    }
  }
  return rows;
}

/** Stops the processes quick and smoke runs kept across scenarios. */
export async function stopSharedProxies() {
  for (const proc of shared.values()) await stop(proc.child);
}
