import { request } from 'node:http';

// Helpers for the e2e tests of several router processes sharing one redis-server.

export const REPLICAS_ROUTER_KEY = 'rsk_replicas_router_key_0123456789';

/** One chat completion over a connection of its own (no keep-alive), as from a fresh client behind a load balancer. */
export function chatFresh(url: string, key: string, model = 'ollama/m'): Promise<number> {
  const body = JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] });
  return new Promise((done, fail) => {
    const req = request(
      `${url}/v1/chat/completions`,
      {
        method: 'POST',
        agent: false,
        headers: { Authorization: `Bearer ${key}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close' },
        timeout: 20_000,
      },
      (res) => {
        res.resume();
        res.once('end', () => done(res.statusCode ?? 0));
        res.once('error', fail);
      },
    );
    req.once('timeout', () => req.destroy(new Error('no answer within 20 s')));
    req.once('error', fail);
    req.end(body);
  });
}

export async function getJson(url: string, path: string, key = REPLICAS_ROUTER_KEY): Promise<any> {
  const res = await fetch(`${url}${path}`, { headers: { Authorization: `Bearer ${key}` } });
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

type UsageRow = { key: string; requests: number; total_tokens: number };
type Usage = { shared: boolean; windows: Array<{ window: string; data: UsageRow[] }> };

/** A key's requests and tokens today, as GET /v1/usage of this replica reports them. */
export async function dayUsage(url: string, keyName: string): Promise<{ shared: boolean; requests: number; tokens: number }> {
  const usage = (await getJson(url, '/v1/usage')) as Usage;
  const rows = usage.windows.find((w) => w.window === 'day')!.data.filter((r) => r.key === keyName);
  return { shared: usage.shared, requests: rows.reduce((n, r) => n + r.requests, 0), tokens: rows.reduce((n, r) => n + r.total_tokens, 0) };
}

/** Polls (bounded) until `read` returns what `done` accepts; returns the last value read either way. */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    value = await read();
  }
  return value;
}
