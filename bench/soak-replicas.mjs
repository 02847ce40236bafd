// `npm run soak -- --replicas N [--seconds S] [--concurrency C]`: the soak against N router processes
// sharing one redis-server (started here on 127.0.0.1, no persistence), as N pods behind a load
// balancer. The clients are spread over the replicas; a team key with (high) limits sends every request,
// so each one goes through the shared limiter and usage in Redis. Prints, per replica, the requests and
// how they ended and its RSS, and checks: no request lost, every replica still up, RSS growth after
// warm-up under 10% (runs of 40 s or more), and every replica reporting the key's usage as the sum of
// what each replica served by its own /metrics: every request counted once.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { freePort, startSoakRouter } from './processes.mjs';
import { rssBytes } from './proc-stats.mjs';
import { makeClient, newStats, runOne } from './soak-load.mjs';
import { startSoakUpstream } from './soak-upstream.mjs';

const ROUTER_KEY = 'rsk_soak_0123456789abcdef';
const TEAM_KEY = 'rsk_soak_team_0123456789abcdef';
const TEAM_KEY_SHA256 = createHash('sha256').update(TEAM_KEY, 'utf8').digest('hex');
const mb = (b) => `${(b / 1048576).toFixed(1)} MiB`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (values) => (values.length === 0 ? undefined : values.sort((a, b) => a - b)[Math.floor(values.length / 2)]);

async function waitUntil(what, deadlineMs, check) {
  const deadline = Date.now() + deadlineMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what} within ${deadlineMs / 1000} s`);
    await sleep(100);
  }
}

async function startRedis(work) {
  if (spawnSync('redis-server', ['--version']).status !== 0) throw new Error('--replicas needs redis-server on the PATH (apt-get install -y redis-server)');
  const port = await freePort();
  const log = openSync(join(work, 'redis.log'), 'a');
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', log, log] });
  return { child, port };
}

function startReplica(routerMain, work, index, config) {
  const { child, logPath } = startSoakRouter(routerMain, join(work, `replica-${index + 1}`), config, ROUTER_KEY, 'warn');
  const replica = { index, child, url: `http://127.0.0.1:${config.listening_port}`, port: config.listening_port, logPath, exited: null, rss: [], peak: 0 };
  child.once('exit', (code, signal) => (replica.exited = { code, signal }));
  return replica;
}

async function dayRequests(replica) {
  const res = await request(`${replica.url}/v1/usage`, { headers: { authorization: `Bearer ${ROUTER_KEY}` } });
  const usage = await res.body.json();
  const rows = usage.windows.find((w) => w.window === 'day').data.filter((r) => r.key === 'soak');
  return { shared: usage.shared, requests: rows.reduce((n, r) => n + r.requests, 0) };
}

/** The requests this replica itself served for the key, from its own GET /metrics. */
async function servedHere(replica) {
  const res = await request(`${replica.url}/metrics`, { headers: { authorization: `Bearer ${ROUTER_KEY}` } });
  const text = await res.body.text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('llmrouter_requests_total{') && l.includes('key="soak"'))
    .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

/** `soakConfig(upstreamPort, deadPort, routerPort)` is the single-router soak's config; `routerMain` the built router. */
export async function soakReplicas(args, soakConfig, routerMain) {
  const work = mkdtempSync(join(tmpdir(), 'llmrouter-soak-replicas-'));
  const upstream = await startSoakUpstream();
  const deadPort = await freePort();
  const redis = await startRedis(work);
  const replicas = [];
  try {
    for (let i = 0; i < args.replicas; i++) {
      const config = soakConfig(upstream.port, deadPort, await freePort());
      config.redis_url = `redis://127.0.0.1:${redis.port}`;
      config.api_keys = [{ name: 'soak', key_sha256: TEAM_KEY_SHA256, rate_limit: { requests_per_minute: 10_000_000, tokens_per_minute: 1_000_000_000 } }];
      replicas.push(startReplica(routerMain, work, i, config));
    }
    for (const r of replicas) {
      await waitUntil(`replica ${r.index + 1} not healthy (see ${r.logPath})`, 30_000, async () => {
        if (r.exited) throw new Error(`replica ${r.index + 1} exited at start (see ${r.logPath})`);
        const res = await request(`${r.url}/health`);
        await res.body.dump();
        return res.statusCode === 200;
      });
      await waitUntil(`replica ${r.index + 1} not sharing through Redis (see ${r.logPath})`, 15_000, async () => (await dayRequests(r)).shared);
    }

    const startedAt = Date.now();
    const endAt = startedAt + args.seconds * 1000;
    const warmAt = startedAt + Math.min(60_000, Math.max(20_000, args.seconds * 200));
    const memoryJudged = args.seconds >= 40;
    for (const r of replicas) r.start = rssBytes(r.child.pid);
    const sampler = setInterval(() => {
      for (const r of replicas) {
        if (r.exited) continue;
        const now = rssBytes(r.child.pid);
        r.peak = Math.max(r.peak, now);
        r.rss.push([Date.now(), now]);
      }
    }, 500);
    const clients = replicas.map((r) => makeClient(r.url, r.port, TEAM_KEY));
    const stats = replicas.map(() => newStats());
    process.stdout.write(`soak: ${args.seconds} s, ${args.concurrency} concurrent clients over ${args.replicas} replicas sharing Redis on port ${redis.port}, logs in ${work}\n`);
    await Promise.all(
      Array.from({ length: args.concurrency }, async (_, c) => {
        const i = c % replicas.length;
        while (Date.now() < endAt && !replicas[i].exited) await runOne(clients[i], stats[i]);
      }),
    );
    clearInterval(sampler);
    await Promise.all(clients.map((c) => c.close()));
    await sleep(2_000); // let closes, aborts and the last usage writes settle

    const windowMs = Math.max(2_000, args.seconds * 100);
    const usage = await Promise.all(replicas.map((r) => (r.exited ? undefined : dayRequests(r).catch(() => undefined))));
    const ownCounts = await Promise.all(replicas.map((r) => (r.exited ? NaN : servedHere(r).catch(() => NaN))));
    const servedByRouters = ownCounts.reduce((a, b) => a + b, 0);
    process.stdout.write(`\nreplica  requests  ok      clean_error  client_abort  lost  RSS start  after warm-up  end of load  peak       growth  served (metrics)  usage of the key (shared)\n`);
    let allLost = 0;
    const growths = [];
    replicas.forEach((r, i) => {
      const outcomes = Object.values(stats[i].byScenario).reduce(
        (sum, o) => ({ ok: sum.ok + o.ok, clean_error: sum.clean_error + o.clean_error, client_abort: sum.client_abort + o.client_abort, lost: sum.lost + o.lost }),
        { ok: 0, clean_error: 0, client_abort: 0, lost: 0 },
      );
      allLost += outcomes.lost;
      const warm = median(r.rss.filter(([t]) => t >= warmAt && t < warmAt + windowMs).map(([, b]) => b)) ?? r.start;
      const end = median(r.rss.filter(([t]) => t >= endAt - windowMs).map(([, b]) => b)) ?? r.start;
      growths.push((end - warm) / warm);
      const u = usage[i];
      process.stdout.write(
        `${String(i + 1).padEnd(8)} ${String(stats[i].total()).padStart(8)}  ${String(outcomes.ok).padEnd(7)} ${String(outcomes.clean_error).padEnd(12)} ${String(outcomes.client_abort).padEnd(13)} ` +
          `${String(outcomes.lost).padEnd(5)} ${mb(r.start).padEnd(10)} ${mb(warm).padEnd(14)} ${mb(end).padEnd(12)} ${mb(r.peak).padEnd(10)} ` +
          `${((growths[i] * 100).toFixed(1) + '%').padEnd(7)} ${String(ownCounts[i]).padEnd(17)} ${u ? `${u.requests} (${u.shared})` : 'no answer'}\n`,
      );
      for (const sample of stats[i].lostSamples) process.stdout.write(`  lost: ${sample}\n`);
    });
    const served = stats.reduce((n, s) => n + s.total(), 0);
    process.stdout.write(
      `total: ${served} requests in ${args.seconds} s (${(served / args.seconds).toFixed(1)}/s), ${allLost} lost; ` +
        `${servedByRouters} reached a router (the rest were aborted by their client before it got them)\n\n`,
    );

    const checks = [
      ['no request lost', allLost === 0 && served > 0],
      ['every replica still up', replicas.every((r) => !r.exited)],
      ['RSS growth after warm-up < 10% on every replica', memoryJudged ? growths.every((g) => g < 0.1) : 'skip'],
      // Each replica's own count (its /metrics) summed: the requests the routers served, each once in Redis.
      [`every replica reports the same shared usage: each of the ${servedByRouters} requests the replicas served, once`, servedByRouters > 0 && usage.every((u) => u?.shared && u.requests === servedByRouters)],
    ];
    for (const [name, ok] of checks) process.stdout.write(`${ok === 'skip' ? 'SKIP' : ok ? 'PASS' : 'FAIL'}  ${name}${ok === 'skip' ? ' (needs --seconds 40 or more)' : ''}\n`);
    process.exitCode = checks.every(([, ok]) => ok) ? 0 : 1;
  } finally {
    for (const r of replicas) if (!r.exited) r.child.kill('SIGTERM');
    await Promise.race([Promise.all(replicas.map((r) => (r.exited ? undefined : new Promise((done) => r.child.once('exit', done))))), sleep(10_000)]);
    for (const r of replicas) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
    redis.child.kill('SIGTERM');
    await upstream.close();
  }
}
