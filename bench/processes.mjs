// The bench's processes: the proxies' runtime (Node version, the Dockerfile's V8 flags and allocator
// setting), launching and pinning, ports, stopping, and starting each proxy under test.
// `bench` below is the run's settings object built by run.mjs: { args, sizes, routerMain, work, runtime, canPin }.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(BENCH_DIR, '..');
export const ROUTER_KEY = 'rsk_bench_0123456789abcdef';
export const LOAD_CORE = '0';
export const PROXY_CORE = '1';
const children = new Set();

// ---------------------------------------------------------------- runtime

/** The built router: LLMROUTER_MAIN, or this repository's dist/main.js. */
export const builtRouterMain = () => resolve(ROOT, process.env.LLMROUTER_MAIN ?? 'dist/main.js');

/** The node binary the proxies run on: a version from the npm registry (through npx), this node, or a path. */
function resolveNode(spec) {
  if (spec === 'current') return process.execPath;
  if (existsSync(spec)) return resolve(spec);
  const found = spawnSync('npx', ['-y', '-p', `node@${spec}`, 'node', '-p', 'process.execPath'], { encoding: 'utf8' });
  const path = found.status === 0 ? found.stdout.trim().split('\n').pop() : '';
  if (!path || !existsSync(path)) throw new Error(`could not get Node ${spec} from the npm registry (npx -p node@${spec}); use --node current to run on ${process.version}`);
  return path;
}

/** The proxies' node binary and its version (`v24.21.0`). */
export function proxyNode(spec) {
  const node = resolveNode(spec);
  return { node, version: spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim() };
}

/**
 * What the router ships with, given to every proxy alike: the V8 flags of the Dockerfile's NODE_OPTIONS
 * (BENCH_V8_FLAGS instead, when set) and its allocator setting (MALLOC_ARENA_MAX).
 */
export function shippedNodeSettings() {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const shippedFlags = () => /^ENV NODE_OPTIONS="([^"]*)"/m.exec(dockerfile)?.[1] ?? '';
  return {
    v8Flags: (process.env.BENCH_V8_FLAGS ?? shippedFlags()).split(' ').filter(Boolean),
    env: Object.fromEntries([...dockerfile.matchAll(/^ENV (MALLOC_ARENA_MAX)=(\S+)/gm)].map((m) => [m[1], m[2]])),
  };
}

/** Pinning needs two cores and taskset. */
export const canPinToCores = () => cpus().length >= 2 && spawnSync('taskset', ['-c', '0', 'true']).status === 0;

// ---------------------------------------------------------------- processes

/** Starts a process; a proxy (`proxy: true`) runs on the proxies' Node with the shipped V8 flags. */
export function launch(bench, name, argv, { core, env, quiet = false, proxy = false } = {}) {
  const node = proxy ? bench.runtime.node : process.execPath;
  const flags = proxy ? bench.runtime.v8Flags : [];
  const [cmd, ...rest] = core !== undefined && bench.canPin ? ['taskset', '-c', core, node, ...flags, ...argv] : [node, ...flags, ...argv];
  const child = spawn(cmd, rest, { cwd: ROOT, env: { ...process.env, ...(proxy ? bench.runtime.env : {}), ...env }, stdio: ['ignore', quiet ? 'ignore' : 'pipe', 'pipe'] });
  const log = createWriteStream(join(bench.work, `${name}.log`), { flags: 'a' });
  child.stderr.pipe(log);
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Resolves with the port a child prints as `LISTENING <port>`. */
export function listeningPort(bench, child, name) {
  return new Promise((resolvePort, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`${name} did not start (see ${bench.work}/${name}.log)`)), 30_000);
    child.stdout.on('data', (d) => {
      buf += d;
      const m = /LISTENING (\d+)/.exec(buf);
      if (m) {
        clearTimeout(timer);
        resolvePort(Number(m[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} (see ${bench.work}/${name}.log)`)));
  });
}

/**
 * The soak's router: writes `config` to dir/config.json and starts the built router on it (no
 * LLMROUTER_CONFIG from the caller's environment), its output appended to dir/router.log.
 */
export function startSoakRouter(routerMain, dir, config, key, logLevel) {
  mkdirSync(dir, { recursive: true });
  const configPath = join(dir, 'config.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  const logPath = join(dir, 'router.log');
  const log = openSync(logPath, 'a');
  const child = spawn(process.execPath, [routerMain, '--config', configPath, '--llmrouter-api-key', key, '--log-level', logLevel], {
    cwd: dir,
    env: { ...process.env, LLMROUTER_CONFIG: '' },
    stdio: ['ignore', log, log],
  });
  return { child, logPath };
}

export function freePort() {
  return new Promise((res) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/** The status code of a GET, 0 when it failed. */
function httpStatus(url) {
  return new Promise((res) => {
    const req = http.get(url, (r) => {
      r.resume();
      r.on('end', () => res(r.statusCode));
    });
    req.on('error', () => res(0));
    req.setTimeout(2000, () => req.destroy());
  });
}

export async function stop(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((res) => child.once('exit', res));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** On an interrupt or a crash: nothing the bench started outlives it. */
export function killAll() {
  for (const c of children) c.kill('SIGKILL');
}

// ---------------------------------------------------------------- the proxies under test

export async function startReference(bench, configPath) {
  const child = launch(bench, 'reference', [join(BENCH_DIR, 'reference-proxy.mjs'), configPath], { core: PROXY_CORE, proxy: true });
  const port = await listeningPort(bench, child, 'reference');
  return { child, url: `http://127.0.0.1:${port}` };
}

export async function startCeiling(bench, configPath) {
  const adapter = join(dirname(bench.routerMain), 'backends', 'undici-adapter.js');
  const child = launch(bench, 'ceiling', [join(BENCH_DIR, 'ceiling-app.cjs'), configPath, adapter], {
    core: PROXY_CORE,
    proxy: true,
    env: { NODE_ENV: 'production', CEILING_API_KEY: ROUTER_KEY },
  });
  const port = await listeningPort(bench, child, 'ceiling');
  return { child, url: `http://127.0.0.1:${port}` };
}

export async function startRouter(bench, configPath, workers, scenario) {
  const { args, work, routerMain } = bench;
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
  const child = launch(bench, 'router', [...node, routerMain, ...cli], {
    core: workers > 1 ? undefined : PROXY_CORE,
    proxy: true,
    env: { NODE_ENV: 'production' },
    // Its one log line per request goes to /dev/null: written as in production, never read back.
    quiet: true,
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while ((await httpStatus(`${url}/health`)) !== 200) {
    if (child.exitCode !== null) throw new Error(`router exited with ${child.exitCode} (see ${work}/router.log)`);
    if (Date.now() > deadline) throw new Error(`router did not become healthy (see ${work}/router.log)`);
    await new Promise((r) => setTimeout(r, 100));
  }
  if (workers > 1) {
    // Every worker must listen before the load starts: a few extra health checks give them the time.
    for (let i = 0; i < 20; i++) await httpStatus(`${url}/health`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  return { child, url };
}
