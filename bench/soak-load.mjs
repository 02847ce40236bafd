// The soak's load: a client picking a scenario at random by weight (streams, non-streams, client aborts,
// upstream errors, resets, timeouts, fallbacks, slow readers), each request held to a deadline, and
// the count of how each one ended. Every request goes to the router on 127.0.0.1.
import net from 'node:net';
import { Agent, request } from 'undici';

const REQUEST_DEADLINE_MS = 30_000;

/** A request that ended neither with a response, a clean OpenAI-style error, nor our own abort. */
class Failure extends Error {}

/** The weighted scenarios against the router: pick() chooses one, close() ends the keep-alive connections. */
export function makeClient(routerUrl, routerPort, key) {
  const dispatcher = new Agent({ connections: 512, keepAliveTimeout: 60_000 });

  async function call(model, { stream = false, signal } = {}) {
    const res = await request(`${routerUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
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
        `POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\n` +
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

/** One request of a scenario picked at random, counted by how it ended: `lost` when it threw or missed the deadline. */
export async function runOne(client, stats) {
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

/** Outcomes by scenario (ok, clean_error, client_abort, lost) and the first ten lost requests. */
export function newStats() {
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
