// `npm run soak -- --seconds N [--concurrency C]`
// Starts a fault-injecting fake upstream (bench/soak-upstream.mjs) and the built router (LLMROUTER_MAIN or
// dist/main.js) as a child process on 127.0.0.1, drives a mixed load for N seconds (streams, non-streams,
// client aborts, upstream errors, resets, timeouts, fallbacks, slow readers), then prints what was served,
// errors by kind, the router's RSS and its open sockets and file descriptors, and checks:
//   - no request lost: each one ended with a response, a clean OpenAI-style error, or our own abort;
//   - RSS growth after warm-up under 10%;
//   - sockets back to the idle pool: no client connection left, upstream sockets at most the pool the
//     load needed, nothing in CLOSE_WAIT, and no upstream request still running.
// Exit code 0 when every check passes.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { startSoakUpstream } from './soak-upstream.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const KEY = 'rsk_soak_0123456789abcdef';
const REQUEST_DEADLINE_MS = 30_000;

function parseArgs(argv) {
  const args = { seconds: 60, concurrency: 16 };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=');
    const value = () => Number(inline ?? argv[++i]);
    if (flag === '--seconds') args.seconds = value();
    else if (flag === '--concurrency') args.concurrency = value();
    else throw new Error(`unknown argument ${argv[i]} (use --seconds N, --concurrency C)`);
  }
  if (!(args.seconds > 0 && args.seconds <= 3600)) throw new Error('--seconds must be between 1 and 3600');
  if (!(Number.isInteger(args.concurrency) && args.concurrency > 0 && args.concurrency <= 256)) throw new Error('--concurrency must be 1..256');
  return args;
}

const median = (values) => (values.length === 0 ? undefined : values.sort((a, b) => a - b)[Math.floor(values.length / 2)]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolvePort) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolvePort(port));
    });
  });
}

// ------------------------------------------------------------------ router process and its resources

function rssBytes(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

const TCP_STATES = { '01': 'ESTABLISHED', '06': 'TIME_WAIT', '08': 'CLOSE_WAIT', '0A': 'LISTEN', '04': 'FIN_WAIT1', '05': 'FIN_WAIT2', '09': 'LAST_ACK', '07': 'CLOSE' };

/** The router's file descriptors, and its TCP sockets with ports and states (from /proc). */
function resources(pid) {
  const fdDir = `/proc/${pid}/fd`;
  const inodes = new Set();
  let fds = 0;
  for (const fd of readdirSync(fdDir)) {
    fds++;
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(join(fdDir, fd)));
      if (m) inodes.add(m[1]);
    } catch {
      // closed while we looked
    }
  }
  const sockets = [];
  for (const table of ['tcp', 'tcp6']) {
    let text = '';
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.trim().split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (!inodes.has(f[9])) continue;
      sockets.push({
        localPort: parseInt(f[1].split(':')[1], 16),
        remotePort: parseInt(f[2].split(':')[1], 16),
        state: TCP_STATES[f[3]] ?? f[3],
      });
    }
  }
  return { fds, sockets };
}

// ------------------------------------------------------------------ the load

class Failure extends Error {}

function makeClient(routerUrl, routerPort) {
  const dispatcher = new Agent({ connections: 512, keepAliveTimeout: 60_000 });

  async function call(model, { stream = false, signal } = {}) {
    const res = await request(`${routerUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'soak' }], stream }),
      dispatcher,
      signal,
    });
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
  }

  const expectError = (r, status, code) => {
    if (r.status !== status) throw new Failure(`expected ${status}, got ${r.status}: ${r.text.slice(0, 200)}`);
    const e = JSON.parse(r.text).error;
    if (typeof e?.message !== 'string' || (code && e.code !== code)) throw new Failure(`not the expected OpenAI error: ${r.text.slice(0, 200)}`);
    return 'clean_error';
  };
  const expectStreamError = (r, code) => {
    if (r.status !== 200) throw new Failure(`expected a 200 stream, got ${r.status}`);
    const data = r.text.split('\n').filter((l) => l.startsWith('data:'));
    const last = JSON.parse(data[data.length - 1].slice(5));
    if (last.error?.code !== code || r.text.includes('[DONE]')) throw new Failure(`expected a final ${code} event: ${r.text.slice(-200)}`);
    return 'clean_error';
  };
  const expectDone = (r) => {
    if (r.status !== 200 || !r.text.trimEnd().endsWith('data: [DONE]')) throw new Failure(`stream not complete: ${r.status} ${r.text.slice(-200)}`);
    return 'ok';
  };

  /** A client that reads ~1 MiB slowly over a raw socket: one chunk, then a pause, and so on. */
  function slowReader() {
    return new Promise((resolveRead, reject) => {
      const body = JSON.stringify({ model: 'big/m', messages: [{ role: 'user', content: 'soak' }], stream: true });
      const socket = net.connect(routerPort, '127.0.0.1');
      let tail = '';
      let timer;
      socket.on('error', reject);
      socket.on('data', (d) => {
        tail = (tail + d.toString('latin1')).slice(-64);
        socket.pause();
        if (tail.includes('data: [DONE]')) {
          socket.destroy();
          return resolveRead('ok');
        }
        timer = setTimeout(() => socket.resume(), 20);
      });
      socket.on('close', () => {
        clearTimeout(timer);
        if (!tail.includes('data: [DONE]')) reject(new Failure(`slow reader: stream ended early: ${JSON.stringify(tail)}`));
      });
      socket.write(
        `POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${KEY}\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    });
  }

  const scenarios = [
    ['json', 28, async () => {
      const r = await call('ok/m');
      if (r.status !== 200 || JSON.parse(r.text).choices?.[0]?.message?.content !== 'ok') throw new Failure(`json: ${r.status}`);
      return 'ok';
    }],
    ['stream', 22, async () => expectDone(await call('sse/m', { stream: true }))],
    ['client_abort', 10, async () => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), Math.floor(Math.random() * 400));
      try {
        expectDone(await call('slow/m', { stream: true, signal: controller.signal }));
        return 'ok';
      } catch (error) {
        if (controller.signal.aborted) return 'client_abort';
        throw error;
      }
    }],
    ['upstream_503', 8, async () => expectError(await call('busy/m'), 503, 'overloaded')],
    ['reset', 5, async () => expectError(await call('reset/m'), 502, 'backend_connection_reset')],
    ['midstream_reset', 5, async () => expectStreamError(await call('midreset/m', { stream: true }), 'upstream_stream_error')],
    ['slow_client', 5, slowReader],
    ['fallback', 8, async () => {
      const r = await call('fb');
      if (r.status !== 200 || r.headers['x-llmrouter-backend'] !== 'ok') throw new Failure(`fallback: ${r.status} ${r.headers['x-llmrouter-backend']}`);
      return 'ok';
    }],
    ['timeout', 5, async () => expectError(await call('hang/m'), 504, 'backend_timeout')],
    ['idle_stream', 4, async () => expectStreamError(await call('idle/m', { stream: true }), 'stream_idle_timeout')],
  ];
  const total = scenarios.reduce((s, [, w]) => s + w, 0);
  const pick = () => {
    let r = Math.random() * total;
    for (const s of scenarios) if ((r -= s[1]) < 0) return s;
    return scenarios[0];
  };
  return { pick, close: () => dispatcher.close() };
}

async function runOne(client, stats) {
  const [name, , run] = client.pick();
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Failure(`no answer within ${REQUEST_DEADLINE_MS} ms`)), REQUEST_DEADLINE_MS);
  });
  try {
    const outcome = await Promise.race([run(), deadline]);
    stats.count(name, outcome);
  } catch (error) {
    stats.lost(name, error);
  } finally {
    clearTimeout(timer);
  }
}

function newStats() {
  const byScenario = {};
  const lostSamples = [];
  let lostCount = 0;
  const bump = (name, outcome) => {
    byScenario[name] ??= { ok: 0, clean_error: 0, client_abort: 0, lost: 0 };
    byScenario[name][outcome]++;
  };
  return {
    byScenario,
    lostSamples,
    count: bump,
    lost(name, error) {
      bump(name, 'lost');
      lostCount++;
      if (lostSamples.length < 10) lostSamples.push(`${name}: ${error?.message ?? error}`);
    },
    get lostCount() {
      return lostCount;
    },
    total() {
      return Object.values(byScenario).reduce((s, o) => s + o.ok + o.clean_error + o.client_abort + o.lost, 0);
    },
  };
}

// ------------------------------------------------------------------ main

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const routerMain = resolve(ROOT, process.env.LLMROUTER_MAIN ?? 'dist/main.js');
  if (!existsSync(routerMain)) throw new Error(`${routerMain} not found: build first (npm run soak builds) or set LLMROUTER_MAIN`);

  const upstream = await startSoakUpstream();
  const deadPort = await freePort();
  const routerPort = await freePort();
  const base = (mode) => `http://127.0.0.1:${upstream.port}/${mode}/v1`;
  const modes = ['ok', 'sse', 'slow', 'big', 'busy', 'reset', 'midreset', 'hang', 'idle'];
  const config = {
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
  const work = mkdtempSync(join(tmpdir(), 'llmrouter-soak-'));
  const configPath = join(work, 'config.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  const logPath = join(work, 'router.log');
  const { openSync } = await import('node:fs');
  const log = openSync(logPath, 'a');
  const router = spawn(process.execPath, [routerMain, '--config', configPath, '--llmrouter-api-key', KEY, '--log-level', 'error'], {
    cwd: work,
    env: { ...process.env, LLMROUTER_CONFIG: '' },
    stdio: ['ignore', log, log],
  });
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
    const samples = []; // [ms since start, rss]
    const client = makeClient(routerUrl, routerPort);
    const stats = newStats();
    const startedAt = Date.now();
    const endAt = startedAt + args.seconds * 1000;
    // V8 grows its heap for the first tens of seconds under load: memory is judged after that.
    const warmAt = startedAt + Math.min(60_000, Math.max(20_000, args.seconds * 200));
    const memoryJudged = args.seconds >= 40;
    let peakUpstreamSockets = 0;

    const timeline = [];
    let nextMark = startedAt;
    const sampler = setInterval(() => {
      const now = rssBytes(pid);
      if (Date.now() >= nextMark) {
        timeline.push(`${Math.round((Date.now() - startedAt) / 1000)}s ${(now / 1048576).toFixed(0)}`);
        nextMark += (args.seconds * 1000) / 10;
      }
      rss.peak = Math.max(rss.peak, now);
      samples.push([Date.now(), now]);
      try {
        const up = resources(pid).sockets.filter((s) => s.remotePort === upstream.port).length;
        peakUpstreamSockets = Math.max(peakUpstreamSockets, up);
      } catch {
        // the process is gone; reported below
      }
    }, 500);

    process.stdout.write(`soak: ${args.seconds} s, ${args.concurrency} concurrent clients, router pid ${pid}, log ${logPath}\n`);
    await Promise.all(
      Array.from({ length: args.concurrency }, async () => {
        while (Date.now() < endAt && !routerExited) await runOne(client, stats);
      }),
    );
    clearInterval(sampler);
    // Medians over a window, so one GC cycle more or less does not decide the verdict.
    const windowMs = Math.max(2_000, args.seconds * 100);
    rss.warm = median(samples.filter(([t]) => t >= warmAt && t < warmAt + windowMs).map(([, b]) => b)) ?? rss.start;
    rss.end = median(samples.filter(([t]) => t >= endAt - windowMs).map(([, b]) => b)) ?? rssBytes(pid);
    await client.close();
    await sleep(2_000); // let closes and aborts settle
    if (routerExited) throw new Error(`router exited during the soak (${JSON.stringify(routerExited)}); see ${logPath}`);
    rss.settled = rssBytes(pid);
    const { fds, sockets } = resources(pid);

    const clientSockets = sockets.filter((s) => s.localPort === routerPort && s.state !== 'LISTEN');
    const upstreamSockets = sockets.filter((s) => s.remotePort === upstream.port);
    const closeWait = sockets.filter((s) => s.state === 'CLOSE_WAIT');
    const listening = sockets.filter((s) => s.state === 'LISTEN');
    const growth = (rss.end - rss.warm) / rss.warm;
    const mb = (b) => `${(b / 1048576).toFixed(1)} MiB`;

    const served = stats.total();
    process.stdout.write(`\nrequests: ${served} in ${args.seconds} s (${(served / args.seconds).toFixed(1)}/s)\n`);
    process.stdout.write('scenario          ok    clean_error  client_abort  lost\n');
    for (const [name, o] of Object.entries(stats.byScenario).sort()) {
      process.stdout.write(`${name.padEnd(16)} ${String(o.ok).padStart(5)} ${String(o.clean_error).padStart(12)} ${String(o.client_abort).padStart(13)} ${String(o.lost).padStart(5)}\n`);
    }
    for (const sample of stats.lostSamples) process.stdout.write(`  lost: ${sample}\n`);
    process.stdout.write(
      `\nrouter RSS: start ${mb(rss.start)}, after warm-up ${mb(rss.warm)}, end of load ${mb(rss.end)}, idle after it ${mb(rss.settled)}, ` +
        `peak ${mb(rss.peak)} (growth after warm-up ${(growth * 100).toFixed(1)}%; warm-up and end are medians over ${windowMs / 1000} s)\n`,
    );
    process.stdout.write(`router RSS over time (MiB): ${timeline.join(', ')}\n`);
    process.stdout.write(
      `router at end: ${fds} file descriptors, ${sockets.length} TCP sockets (${listening.length} listening, ${clientSockets.length} from clients, ` +
        `${upstreamSockets.length} idle to the upstream (peak during load ${peakUpstreamSockets}), ${closeWait.length} in CLOSE_WAIT); ` +
        `upstream requests still running: ${upstream.openRequests()}\n`,
    );

    const checks = [
      ['no request lost', stats.lostCount === 0 && served > 0],
      ['RSS growth after warm-up < 10%', memoryJudged ? growth < 0.1 : 'skip'],
      ['no client connection left open', clientSockets.length === 0],
      ['upstream sockets back to the idle pool', upstreamSockets.every((s) => s.state === 'ESTABLISHED') && upstreamSockets.length <= Math.max(peakUpstreamSockets, args.concurrency)],
      ['nothing in CLOSE_WAIT', closeWait.length === 0],
      ['no upstream request left running', upstream.openRequests() === 0],
    ];
    process.stdout.write('\n');
    for (const [name, ok] of checks) {
      process.stdout.write(`${ok === 'skip' ? 'SKIP' : ok ? 'PASS' : 'FAIL'}  ${name}${ok === 'skip' ? ' (needs --seconds 40 or more)' : ''}\n`);
    }
    process.exitCode = checks.every(([, ok]) => ok) ? 0 : 1;
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
