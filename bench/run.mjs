// `npm run bench [-- --quick | --smoke] [--node 24.21.0|current|PATH] [--workers N] [--only a,c,idle] [--profile DIR]`
// Environment: BENCH_NODE (same as --node), BENCH_V8_FLAGS (instead of the Dockerfile's NODE_OPTIONS).
// Runs the fake upstream, the reference proxy (node:http, the floor), the ceiling app (the smallest Nest
// app of the router's shape, bench/ceiling-app.cjs) and the built router each in its own process (proxy
// under test alone on core 1, load generator and upstream on core 0), scenario by scenario, and prints
// one table with the ratios; writes the same to bench/results/latest.json. The three proxies run on
// Node 24 from the npm registry unless --node says otherwise.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync, createWriteStream } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(BENCH_DIR, '..');
const ROUTER_KEY = 'rsk_bench_0123456789abcdef';
/** The runtime the router ships on (the Dockerfile's): the proxies run on it by default. */
const DEFAULT_NODE = '24.21.0';

const MODES = {
  full: { idleSeconds: 5, seconds: 10, warmup: 2, conns: 64, latencyCount: 5000, latencySeconds: 20, streams: 1000, streamChunks: 20, streamDelayMs: 1000 },
  quick: { idleSeconds: 2, seconds: 1.2, warmup: 0.5, conns: 64, latencyCount: 500, latencySeconds: 1.2, streams: 1000, streamChunks: 2, streamDelayMs: 1000 },
  // Smoke (the test suite's): long enough that a cold process on a busy CI machine still completes requests.
  smoke: { seconds: 1.5, warmup: 0.5, conns: 4, latencyCount: 30, latencySeconds: 5, streams: 20, streamChunks: 2, streamDelayMs: 50, idleSeconds: 0.5 },
};

function parseArgs(argv) {
  const args = { mode: 'full', node: process.env.BENCH_NODE ?? DEFAULT_NODE, workers: 1, only: null, profile: null, out: join(BENCH_DIR, 'results', 'latest.json') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') args.mode = 'quick';
    else if (a === '--smoke') args.mode = 'smoke';
    else if (a === '--workers') args.workers = Number(argv[++i]);
    else if (a === '--node') args.node = argv[++i];
    else if (a === '--only') args.only = new Set(argv[++i].split(','));
    else if (a === '--profile') args.profile = resolve(argv[++i]);
    else if (a === '--out') args.out = resolve(argv[++i]);
    else throw new Error(`unknown argument ${a} (use --quick, --smoke, --node VERSION|current|PATH, --workers N, --only a,b,idle, --profile DIR, --out FILE)`);
  }
  if (!Number.isInteger(args.workers) || args.workers < 1) throw new Error('--workers needs a positive number');
  return args;
}

let args;
try {
  args = parseArgs(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`bench: ${err.message}\n`);
  process.exit(2);
}
const M = MODES[args.mode];
const routerMain = resolve(ROOT, process.env.LLMROUTER_MAIN ?? 'dist/main.js');
if (!existsSync(routerMain)) {
  process.stderr.write(`bench: ${routerMain} not found: build first (npm run bench builds) or set LLMROUTER_MAIN\n`);
  process.exit(1);
}
/** The node binary the proxies run on: a version from the npm registry (through npx), this node, or a path. */
function resolveNode(spec) {
  if (spec === 'current') return process.execPath;
  if (existsSync(spec)) return resolve(spec);
  const found = spawnSync('npx', ['-y', '-p', `node@${spec}`, 'node', '-p', 'process.execPath'], { encoding: 'utf8' });
  const path = found.status === 0 ? found.stdout.trim().split('\n').pop() : '';
  if (!path || !existsSync(path)) throw new Error(`could not get Node ${spec} from the npm registry (npx -p node@${spec}); use --node current to run on ${process.version}`);
  return path;
}
let proxyNode;
let proxyNodeVersion;
try {
  proxyNode = resolveNode(args.node);
  proxyNodeVersion = spawnSync(proxyNode, ['--version'], { encoding: 'utf8' }).stdout.trim();
} catch (err) {
  process.stderr.write(`bench: ${err.message}\n`);
  process.exit(1);
}
const DOCKERFILE = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
/** The V8 flags the router ships with (the Dockerfile's NODE_OPTIONS), given to every proxy alike. */
function shippedFlags() {
  const m = /^ENV NODE_OPTIONS="([^"]*)"/m.exec(DOCKERFILE);
  return m ? m[1] : '';
}
const V8_FLAGS = (process.env.BENCH_V8_FLAGS ?? shippedFlags()).split(' ').filter(Boolean);
/** The allocator setting the Dockerfile ships (MALLOC_ARENA_MAX), given to every proxy alike. */
const SHIPPED_ENV = Object.fromEntries([...DOCKERFILE.matchAll(/^ENV (MALLOC_ARENA_MAX)=(\S+)/gm)].map((m) => [m[1], m[2]]));
const work = mkdtempSync(join(tmpdir(), 'llmrouter-bench-'));
const canPin = cpus().length >= 2 && spawnSync('taskset', ['-c', '0', 'true']).status === 0;
const LOAD_CORE = '0';
const PROXY_CORE = '1';
const children = new Set();

// ---------------------------------------------------------------- processes

/** Starts a process; a proxy (`proxy: true`) runs on the proxies' Node with the shipped V8 flags. */
function launch(name, argv, { core, env, quiet = false, proxy = false } = {}) {
  const node = proxy ? proxyNode : process.execPath;
  const flags = proxy ? V8_FLAGS : [];
  const [cmd, ...rest] = core !== undefined && canPin ? ['taskset', '-c', core, node, ...flags, ...argv] : [node, ...flags, ...argv];
  const child = spawn(cmd, rest, { cwd: ROOT, env: { ...process.env, ...(proxy ? SHIPPED_ENV : {}), ...env }, stdio: ['ignore', quiet ? 'ignore' : 'pipe', 'pipe'] });
  const log = createWriteStream(join(work, `${name}.log`), { flags: 'a' });
  child.stderr.pipe(log);
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Resolves with the port a child prints as `LISTENING <port>`. */
function listeningPort(child, name) {
  return new Promise((resolvePort, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`${name} did not start (see ${work}/${name}.log)`)), 30_000);
    child.stdout.on('data', (d) => {
      buf += d;
      const m = /LISTENING (\d+)/.exec(buf);
      if (m) {
        clearTimeout(timer);
        resolvePort(Number(m[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} (see ${work}/${name}.log)`)));
  });
}

function freePort() {
  return new Promise((res) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

function get(url) {
  return new Promise((res) => {
    const req = http.get(url, (r) => {
      r.resume();
      r.on('end', () => res(r.statusCode));
    });
    req.on('error', () => res(0));
    req.setTimeout(2000, () => req.destroy());
  });
}

async function stop(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((res) => child.once('exit', res));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function startReference(configPath) {
  const child = launch('reference', [join(BENCH_DIR, 'reference-proxy.mjs'), configPath], { core: PROXY_CORE, proxy: true });
  const port = await listeningPort(child, 'reference');
  return { child, url: `http://127.0.0.1:${port}` };
}

async function startCeiling(configPath) {
  const adapter = join(dirname(routerMain), 'backends', 'undici-adapter.js');
  const child = launch('ceiling', [join(BENCH_DIR, 'ceiling-app.cjs'), configPath, adapter], {
    core: PROXY_CORE,
    proxy: true,
    env: { NODE_ENV: 'production', CEILING_API_KEY: ROUTER_KEY },
  });
  const port = await listeningPort(child, 'ceiling');
  return { child, url: `http://127.0.0.1:${port}` };
}

async function startRouter(configPath, workers, scenario) {
  const port = await freePort();
  const node = [];
  if (args.profile) {
    mkdirSync(args.profile, { recursive: true });
    const stamp = `router-${scenario}-${Date.now()}`;
    // CPU profile, allocation sampling and a GC count (--trace-gc lines in router-gc.log).
    node.push('--cpu-prof', '--cpu-prof-dir', args.profile, '--cpu-prof-name', `${stamp}.cpuprofile`);
    node.push('--heap-prof', '--heap-prof-dir', args.profile, '--heap-prof-name', `${stamp}.heapprofile`);
    node.push('-r', join(BENCH_DIR, 'exit-on-signal.cjs'));
  }
  const cli = ['--config', configPath, '--host', '127.0.0.1', '--port', String(port), '--llmrouter-api-key', ROUTER_KEY];
  if (workers > 1) cli.push('--workers', String(workers));
  // Several workers may use both cores, as in production; one worker runs alone on the proxy core.
  const child = launch('router', [...node, routerMain, ...cli], {
    core: workers > 1 ? undefined : PROXY_CORE,
    proxy: true,
    env: { NODE_ENV: 'production' },
    // Its one log line per request goes to /dev/null: written as in production, never read back.
    quiet: true,
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while ((await get(`${url}/health`)) !== 200) {
    if (child.exitCode !== null) throw new Error(`router exited with ${child.exitCode} (see ${work}/router.log)`);
    if (Date.now() > deadline) throw new Error(`router did not become healthy (see ${work}/router.log)`);
    await new Promise((r) => setTimeout(r, 100));
  }
  if (workers > 1) {
    // Every worker must listen before the load starts: a few extra health checks give them the time.
    for (let i = 0; i < 20; i++) await get(`${url}/health`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  return { child, url };
}

// ---------------------------------------------------------------- memory

function statusKb(pid, field) {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function processTree(pid) {
  const pids = [pid];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const kids = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      if (kids) for (const k of kids.split(/\s+/)) pids.push(...processTree(Number(k)));
    }
  } catch {
    // gone
  }
  return pids;
}

/** CPU time (user + system) a process and its children used so far, in ms. */
function cpuMs(pid) {
  let ticks = 0;
  for (const p of processTree(pid)) {
    try {
      const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone
    }
  }
  return ticks * 10; // USER_HZ is 100 on Linux
}

function rssMb(pid) {
  return Math.round(processTree(pid).reduce((s, p) => s + statusKb(p, 'VmRSS'), 0) / 102.4) / 10;
}

/** Samples the RSS of a process and its children every 100 ms; stop() gives the peak in MB. */
function rssSampler(pid, freshProcess) {
  let peakKb = 0;
  const sample = () => {
    const pids = processTree(pid);
    const rss = pids.reduce((s, p) => s + statusKb(p, 'VmRSS'), 0);
    // VmHWM is the peak over the process's life: only meaningful when it served this scenario alone.
    const hwm = freshProcess && pids.length === 1 ? statusKb(pid, 'VmHWM') : 0;
    peakKb = Math.max(peakKb, rss, hwm);
  };
  sample();
  const timer = setInterval(sample, 100);
  return {
    stop() {
      sample();
      clearInterval(timer);
      return Math.round(peakKb / 102.4) / 10;
    },
  };
}

// ---------------------------------------------------------------- load

let clientRun = 0;
function runClient(opts) {
  const file = join(work, `client-${clientRun++}.json`);
  writeFileSync(file, JSON.stringify(opts));
  const child = launch('client', [join(BENCH_DIR, 'client.mjs'), file], { core: LOAD_CORE });
  return new Promise((res, reject) => {
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`load client failed (${code}), see ${work}/client.log`));
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

// ---------------------------------------------------------------- scenarios

const SCENARIOS = [
  { id: 'a', title: 'small JSON, 64 conns', kind: 'load', model: 'json/gpt-4o-mini', direct: '/json/v1' },
  { id: 'b', title: '400 KB body', kind: 'load', model: 'json/gpt-4o-mini', direct: '/json/v1', large: true },
  { id: 'c', title: 'SSE 200 chunks', kind: 'load', model: 'sse/gpt-4o-mini', direct: '/sse/200/0/v1', stream: true },
  { id: 'd', title: '1 conn latency', kind: 'latency', model: 'json/gpt-4o-mini', direct: '/json/v1' },
  { id: 'd', title: '1 conn stream TTFB', kind: 'ttfb', model: 'ttfb/gpt-4o-mini', direct: '/sse/2/5/v1', stream: true },
  { id: 'e', title: `${M.streams} open streams`, kind: 'streams', model: 'slow/gpt-4o-mini', direct: null, stream: true },
  { id: 'idle', title: `idle after ${M.idleSeconds} s`, kind: 'idle', direct: null },
];

function benchConfig(upstream) {
  const b = (name, path, extra = {}) => ({ name, base_url: `${upstream}${path}`, prefix: `${name}/`, ...extra });
  return {
    backends: [
      b('json', '/json/v1', { default: true }),
      b('sse', '/sse/200/0/v1'),
      b('ttfb', '/sse/2/5/v1'),
      b('slow', `/sse/${M.streamChunks}/${M.streamDelayMs}/v1`),
    ],
    // No pool settings: scenario (e) checks that the defaults do not queue 1,000 streams.
  };
}

async function measure(scenario, target, baseUrl, isDirect) {
  if (scenario.kind === 'idle') {
    await new Promise((r) => setTimeout(r, M.idleSeconds * 1000));
    return {};
  }
  const path = isDirect ? `${scenario.direct}/chat/completions` : '/v1/chat/completions';
  const headers = isDirect ? {} : { authorization: `Bearer ${ROUTER_KEY}` };
  const common = { url: baseUrl + path, headers };
  if (scenario.large) {
    const file = join(work, 'large-body.json');
    if (!existsSync(file)) writeFileSync(file, chatBody(scenario.model, { contentBytes: 400 * 1024 }));
    common.bodyFile = file;
  } else {
    common.body = chatBody(scenario.model, { stream: !!scenario.stream });
  }
  switch (scenario.kind) {
    case 'load':
      return runClient({ ...common, mode: 'load', connections: M.conns, seconds: M.seconds, warmupSeconds: M.warmup });
    case 'latency':
    case 'ttfb':
      return runClient({ ...common, mode: scenario.kind, count: M.latencyCount, warmup: Math.ceil(M.latencyCount / 10), seconds: M.latencySeconds });
    case 'streams':
      return runClient({ ...common, mode: 'streams', count: M.streams, seconds: (M.streamChunks * M.streamDelayMs) / 1000 + 30 });
  }
}

/** Runs the scenarios sharing one id (d has two) against each target; a fresh proxy process per target. */
async function runScenario(group, configPath, upstream, workers = 1) {
  const rows = [];
  const targets = workers > 1 ? ['router'] : [...(group[0].direct ? ['direct'] : []), 'reference', 'ceiling', 'router'];
  for (const target of targets) {
    // Quick and smoke runs save start-ups: one process per target serves the scenarios whose memory
    // is not the point (a full run starts a fresh one per scenario; (b) and (e) always get one).
    const reuse = !['b', 'e', 'idle'].includes(group[0].id) && (args.mode === 'smoke' || args.mode === 'quick');
    let proc = reuse ? shared.get(`${target}:${workers}`) : undefined;
    if (!proc && target === 'reference') proc = await startReference(configPath);
    else if (!proc && target === 'ceiling') proc = await startCeiling(configPath);
    else if (!proc && target === 'router') proc = await startRouter(configPath, workers, group[0].id);
    if (proc && reuse) shared.set(`${target}:${workers}`, proc);
    try {
      for (const scenario of group) {
        const startRssMb = proc ? rssMb(proc.child.pid) : null;
        const startCpuMs = proc ? cpuMs(proc.child.pid) : 0;
        const sampler = proc ? rssSampler(proc.child.pid, !reuse) : undefined;
        try {
          const r = await measure(scenario, target, proc ? proc.url : upstream.url, target === 'direct');
          const peakRssMb = sampler ? sampler.stop() : null;
          const row = { scenario: scenario.id, title: scenario.title, kind: scenario.kind, target: workers > 1 ? `router x${workers}` : target, ...r };
          row.runtime = target === 'direct' ? '-' : proxyNodeVersion;
          // CPU per request: steadier than req/s on a shared machine (other load slows both alike).
          if (proc && scenario.kind === 'load') row.cpuMsPerRequest = (cpuMs(proc.child.pid) - startCpuMs) / (r.total + r.warmupTotal);
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

const shared = new Map();

// ---------------------------------------------------------------- report

const fmt = (x, d = 2) => (x === null || x === undefined || Number.isNaN(x) ? '-' : Number(x).toFixed(d));

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
  }
  return rows;
}

function vsText(r) {
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
    r.kind === 'streams' ? `${r.completed}/${r.count} done` : r.kind === 'load' ? fmt(r.rps, 0) : '-',
    r.kind === 'idle' ? '-' : fmt(r.p50, r.kind === 'load' ? 0 : 3),
    r.kind === 'idle' ? '-' : fmt(r.p99, r.kind === 'load' ? 0 : 3),
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

// ---------------------------------------------------------------- main

async function main() {
  const started = Date.now();
  const machine = {
    nproc: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    proxyNode: proxyNodeVersion,
    v8Flags: [...V8_FLAGS, ...Object.entries(SHIPPED_ENV).map(([k, v]) => `${k}=${v}`)].join(' '),
    pinned: canPin ? `proxy on core ${PROXY_CORE}, load + upstream on core ${LOAD_CORE}` : 'no (taskset missing or one core)',
  };
  process.stderr.write(`bench: ${args.mode} run of ${routerMain}; ${machine.nproc} cores, ${machine.cpu}, load on Node ${machine.node}, proxies on Node ${proxyNodeVersion} ${machine.v8Flags}; pinned: ${machine.pinned}\n`);

  const upstreamChild = launch('upstream', [join(BENCH_DIR, 'fake-upstream.mjs')], { core: LOAD_CORE });
  const upstream = { url: `http://127.0.0.1:${await listeningPort(upstreamChild, 'upstream')}` };
  const configPath = join(work, 'config.json');
  writeFileSync(configPath, JSON.stringify(benchConfig(upstream.url), null, 2));

  const rows = [];
  try {
    for (const id of new Set(SCENARIOS.map((s) => s.id))) {
      if (args.only && !args.only.has(id)) continue;
      const group = SCENARIOS.filter((s) => s.id === id);
      rows.push(...(await runScenario(group, configPath, upstream)));
      if (id === 'a' && args.workers > 1) rows.push(...(await runScenario(group, configPath, upstream, args.workers)));
    }
  } finally {
    for (const proc of shared.values()) await stop(proc.child);
    await stop(upstreamChild);
  }

  const kindOrder = ['load', 'latency', 'ttfb', 'streams'];
  const targetOrder = (t) => ['direct', 'reference', 'ceiling'].indexOf(t) + 1 || 4;
  rows.sort((x, y) => x.scenario.localeCompare(y.scenario) || kindOrder.indexOf(x.kind) - kindOrder.indexOf(y.kind) || targetOrder(x.target) - targetOrder(y.target));
  compare(rows);
  for (const r of rows) if (r.target.startsWith('router x')) {
    const ref = rows.find((x) => x.scenario === r.scenario && x.kind === r.kind && x.target === 'reference');
    if (ref) r.rpsVsReference = r.rps / ref.rps;
  }
  const results = checks(rows);
  process.stdout.write(`\nLLM-router benchmark (${args.mode}), ${machine.nproc} x ${machine.cpu}, proxies on Node ${proxyNodeVersion} ${machine.v8Flags || '(no V8 flags)'}, pinned: ${machine.pinned}\n\n`);
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

const cleanup = () => {
  for (const c of children) c.kill('SIGKILL');
};
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});
main().catch((err) => {
  process.stderr.write(`bench: ${err.stack ?? err}\n`);
  cleanup();
  process.exit(1);
});
