// The load side of the benchmark, run in its own process (pinned next to the fake upstream).
// Usage: node bench/client.mjs <options.json>; prints one JSON result line.
//   mode "load":    autocannon for `seconds` after a warm-up: req/s, p50, p99 (ms)
//   mode "latency": one connection, sequential requests: p50/p99 of the full response time (ms, µs resolution)
//   mode "ttfb":    one connection, sequential streamed requests: p50/p99 time to the first body byte
//   mode "streams": `count` concurrent streams held open to the end: how many completed with [DONE], time to first byte
//   mode "split":   `connections` keep-alive loops for `seconds` after a warm-up: req/s, p50, p99, and how many
//                   answers each backend gave (the router's x-llmrouter-backend header)
import http from 'node:http';
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

const opts = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const body = opts.bodyFile ? readFileSync(opts.bodyFile) : Buffer.from(opts.body ?? '');
// autocannon adds content-length itself (a second one breaks its requests); node:http gets it from us.
const loadHeaders = { 'content-type': 'application/json', ...opts.headers };
const headers = { ...loadHeaders, 'content-length': String(body.length) };

function runAutocannon(seconds) {
  return new Promise((resolve, reject) => {
    autocannon(
      { url: opts.url, method: 'POST', headers: loadHeaders, body, connections: opts.connections, duration: seconds, timeout: 30 },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** One request; resolves with [ms to first body byte, ms to end, body]. */
function once(agent, keepBody) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    let first;
    const parts = [];
    const req = http.request(opts.url, { method: 'POST', agent, headers }, (res) => {
      res.on('data', (c) => {
        if (first === undefined) first = process.hrtime.bigint();
        if (keepBody) parts.push(c);
      });
      res.on('end', () => {
        const end = process.hrtime.bigint();
        if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}`));
        resolve([Number((first ?? end) - start) / 1e6, Number(end - start) / 1e6, keepBody ? Buffer.concat(parts).toString() : '']);
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function sequential(pick) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const deadline = Date.now() + opts.seconds * 1000;
  for (let i = 0; i < opts.warmup && Date.now() < deadline; i++) await once(agent, false).catch(() => undefined);
  const samples = [];
  let errors = 0;
  while (samples.length < opts.count && Date.now() < deadline) {
    try {
      samples.push(pick(await once(agent, false)));
    } catch {
      errors++;
      if (errors > 100) break;
    }
  }
  agent.destroy();
  samples.sort((a, b) => a - b);
  return { count: samples.length, errors, p50: percentile(samples, 50), p99: percentile(samples, 99), mean: samples.reduce((s, x) => s + x, 0) / (samples.length || 1) };
}

async function streams() {
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  const started = Date.now();
  const timeoutMs = opts.seconds * 1000;
  let completed = 0;
  let failed = 0;
  const firstBytes = [];
  const runs = [];
  for (let i = 0; i < opts.count; i++) {
    runs.push(
      Promise.race([once(agent, true), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs).unref())]).then(
        ([first, , text]) => {
          firstBytes.push(first);
          text.includes('data: [DONE]') ? completed++ : failed++;
        },
        () => failed++,
      ),
    );
  }
  await Promise.all(runs);
  firstBytes.sort((a, b) => a - b);
  // Time to the first byte of each stream, from when it was opened (all are opened at once).
  return { count: opts.count, completed, failed, seconds: (Date.now() - started) / 1000, p50: percentile(firstBytes, 50), p99: percentile(firstBytes, 99), maxFirstByteMs: firstBytes.at(-1) ?? null };
}

/** One request; resolves with [ms to the end, the backend the router named]. */
function named(agent) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const req = http.request(opts.url, { method: 'POST', agent, headers }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}`));
        resolve([Number(process.hrtime.bigint() - start) / 1e6, String(res.headers['x-llmrouter-backend'] ?? '?')]);
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function split() {
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.connections });
  const loop = async (until, samples, by) => {
    let errors = 0;
    while (Date.now() < until) {
      try {
        const [ms, backend] = await named(agent);
        samples?.push(ms);
        if (by) by[backend] = (by[backend] ?? 0) + 1;
      } catch {
        errors++;
        if (errors > 100) break;
      }
    }
    return errors;
  };
  const warmUntil = Date.now() + opts.warmupSeconds * 1000;
  await Promise.all(Array.from({ length: opts.connections }, () => loop(warmUntil)));
  const samples = [];
  const by = {};
  const started = Date.now();
  const errors = (await Promise.all(Array.from({ length: opts.connections }, () => loop(started + opts.seconds * 1000, samples, by)))).reduce((s, e) => s + e, 0);
  const seconds = (Date.now() - started) / 1000;
  agent.destroy();
  samples.sort((a, b) => a - b);
  return { rps: samples.length / seconds, p50: percentile(samples, 50), p99: percentile(samples, 99), total: samples.length, warmupTotal: 0, errors, non2xx: 0, split: by };
}

let result;
if (opts.mode === 'split') {
  result = await split();
} else if (opts.mode === 'load') {
  const warm = opts.warmupSeconds > 0 ? await runAutocannon(opts.warmupSeconds) : undefined;
  const r = await runAutocannon(opts.seconds);
  // total / duration rather than autocannon's per-second average, which short runs round badly.
  result = { rps: r.requests.total / (r.duration || opts.seconds), p50: r.latency.p50, p99: r.latency.p99, total: r.requests.total, warmupTotal: warm?.requests.total ?? 0, errors: r.errors + r.timeouts, non2xx: r.non2xx };
} else if (opts.mode === 'latency') {
  result = await sequential(([, total]) => total);
} else if (opts.mode === 'ttfb') {
  result = await sequential(([first]) => first);
} else if (opts.mode === 'streams') {
  result = await streams();
} else {
  throw new Error(`unknown mode ${opts.mode}`);
}
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
