// `npm run soak -- --seconds N [--concurrency C] [--replicas R]`
// With --replicas above 1: R routers sharing one redis-server, reported per replica (bench/soak-replicas.mjs).
// Starts a fault-injecting fake upstream (bench/soak-upstream.mjs) and the built router (LLMROUTER_MAIN or
// dist/main.js) as a child process on 127.0.0.1, drives a mixed load for N seconds (streams, non-streams,
// client aborts, upstream errors, resets, timeouts, fallbacks, slow readers), then prints what was served,
// errors by kind, the router's RSS and its open sockets and file descriptors, and checks:
//   - no request lost: each one ended with a response, a clean OpenAI-style error, or our own abort;
//   - RSS growth after warm-up under 10%;
//   - sockets back to the idle pool: no client connection left, upstream sockets at most the pool the
//     load needed, nothing in CLOSE_WAIT, and no upstream request still running.
// Exit code 0 when every check passes. The load: soak-load.mjs; the report: soak-report.mjs.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { builtRouterMain, freePort, startSoakRouter } from './processes.mjs';
import { resources, rssBytes } from './proc-stats.mjs';
import { makeClient, newStats, runOne } from './soak-load.mjs';
import { soakReplicas } from './soak-replicas.mjs';
import { printSoakReport } from './soak-report.mjs';
import { startSoakUpstream } from './soak-upstream.mjs';

const KEY = 'rsk_soak_0123456789abcdef';

function parseArgs(argv) {
  const args = { seconds: 60, concurrency: 16, replicas: 1 };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=');
    const value = () => Number(inline ?? argv[++i]);
    if (flag === '--seconds') args.seconds = value();
    else if (flag === '--concurrency') args.concurrency = value();
    else if (flag === '--replicas') args.replicas = value();
    else throw new Error(`unknown argument ${argv[i]} (use --seconds N, --concurrency C, --replicas R)`);
  }
  if (!(args.seconds > 0 && args.seconds <= 3600)) throw new Error('--seconds must be between 1 and 3600');
  if (!(Number.isInteger(args.concurrency) && args.concurrency > 0 && args.concurrency <= 256)) throw new Error('--concurrency must be 1..256');
  if (!(Number.isInteger(args.replicas) && args.replicas > 0 && args.replicas <= 16)) throw new Error('--replicas must be 1..16');
  return args;
}

const median = (values) => (values.length === 0 ? undefined : values.sort((a, b) => a - b)[Math.floor(values.length / 2)]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** One backend per fault of the soak upstream, a dead one, and an alias falling back from it. */
function soakConfig(upstreamPort, deadPort, routerPort) {
  const base = (mode) => `http://127.0.0.1:${upstreamPort}/${mode}/v1`;
  const modes = ['ok', 'sse', 'slow', 'big', 'busy', 'reset', 'midreset', 'hang', 'idle'];
  return {
    listening_port: routerPort,
    host: '127.0.0.1',
    workers: 1,
    log_level: 'error',
    backend_defaults: {
      retries: 1,
      max_retry_delay_ms: 100,
      timeout_ms: 1_000,
      connect_timeout_ms: 1_000,
      stream_idle_timeout_ms: 1_000,
      circuit_failures: 5,
      circuit_cooldown_ms: 2_000,
    },
    aliases: { fb: ['dead/m', 'ok/m'] },
    backends: [
      ...modes.map((mode) => ({ name: mode, base_url: base(mode), prefix: `${mode}/` })),
      { name: 'dead', base_url: `http://127.0.0.1:${deadPort}/v1`, prefix: 'dead/' },
    ],
  };
}

/** Every 500 ms: the router's RSS (samples, peak, a mark every tenth of the run) and its sockets to the upstream. */
function watchRouter(pid, upstreamPort, startedAt, seconds) {
  const watch = { samples: [], peakRss: 0, timeline: [], peakUpstreamSockets: 0 }; // samples: [ms since start, rss]
  let nextMark = startedAt;
  const timer = setInterval(() => {
    const now = rssBytes(pid);
    if (Date.now() >= nextMark) {
      watch.timeline.push(`${Math.round((Date.now() - startedAt) / 1000)}s ${(now / 1048576).toFixed(0)}`);
      nextMark += (seconds * 1000) / 10;
    }
    watch.peakRss = Math.max(watch.peakRss, now);
    watch.samples.push([Date.now(), now]);
    try {
      const up = resources(pid).sockets.filter((s) => s.remotePort === upstreamPort).length;
      watch.peakUpstreamSockets = Math.max(watch.peakUpstreamSockets, up);
    } catch {
      // the process is gone; main() reports it
    }
  }, 500);
  watch.stop = () => clearInterval(timer);
  return watch;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const routerMain = builtRouterMain();
  if (!existsSync(routerMain)) throw new Error(`${routerMain} not found: build first (npm run soak builds) or set LLMROUTER_MAIN`);
  if (args.replicas > 1) return soakReplicas(args, soakConfig, routerMain);

  const upstream = await startSoakUpstream();
  const deadPort = await freePort();
  const routerPort = await freePort();
  const work = mkdtempSync(join(tmpdir(), 'llmrouter-soak-'));
  const { child: router, logPath } = startSoakRouter(routerMain, work, soakConfig(upstream.port, deadPort, routerPort), KEY, 'error');
  let routerExited = null;
  router.once('exit', (code, signal) => (routerExited = { code, signal }));
  const routerUrl = `http://127.0.0.1:${routerPort}`;

  try {
    const bootDeadline = Date.now() + 30_000;
    for (;;) {
      if (routerExited) throw new Error(`router exited at start (${JSON.stringify(routerExited)}); see ${logPath}`);
      try {
        const r = await request(`${routerUrl}/health`);
        await r.body.dump();
        if (r.statusCode === 200) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > bootDeadline) throw new Error(`router did not become healthy; see ${logPath}`);
      await sleep(100);
    }
    const pid = router.pid;
    const rss = { start: rssBytes(pid), warm: NaN, end: NaN, settled: NaN, peak: 0 };
    const client = makeClient(routerUrl, routerPort, KEY);
    const stats = newStats();
    const startedAt = Date.now();
    const endAt = startedAt + args.seconds * 1000;
    // V8 grows its heap for the first tens of seconds under load: memory is judged after that.
    const warmAt = startedAt + Math.min(60_000, Math.max(20_000, args.seconds * 200));
    const memoryJudged = args.seconds >= 40;
    const watch = watchRouter(pid, upstream.port, startedAt, args.seconds);

    process.stdout.write(`soak: ${args.seconds} s, ${args.concurrency} concurrent clients, router pid ${pid}, log ${logPath}\n`);
    await Promise.all(
      Array.from({ length: args.concurrency }, async () => {
        while (Date.now() < endAt && !routerExited) await runOne(client, stats);
      }),
    );
    watch.stop();
    rss.peak = watch.peakRss;
    // Medians over a window, so one GC cycle more or less does not decide the verdict.
    const windowMs = Math.max(2_000, args.seconds * 100);
    rss.warm = median(watch.samples.filter(([t]) => t >= warmAt && t < warmAt + windowMs).map(([, b]) => b)) ?? rss.start;
    rss.end = median(watch.samples.filter(([t]) => t >= endAt - windowMs).map(([, b]) => b)) ?? rssBytes(pid);
    await client.close();
    await sleep(2_000); // let closes and aborts settle
    if (routerExited) throw new Error(`router exited during the soak (${JSON.stringify(routerExited)}); see ${logPath}`);
    rss.settled = rssBytes(pid);
    const { fds, sockets } = resources(pid);
    const { timeline, peakUpstreamSockets } = watch;
    const allPassed = printSoakReport({ args, stats, rss, windowMs, timeline, fds, sockets, routerPort, upstream, peakUpstreamSockets, memoryJudged });
    process.exitCode = allPassed ? 0 : 1;
  } finally {
    router.kill('SIGTERM');
    await Promise.race([new Promise((r) => router.once('exit', r)), sleep(5_000)]);
    if (!routerExited && router.exitCode === null) router.kill('SIGKILL');
    await upstream.close();
  }
}

main().catch((error) => {
  process.stderr.write(`soak: ${error.message}\n`);
  process.exit(1);
});
