// Fault-injecting fake upstream for bench/soak.mjs. The first path segment picks the behaviour, so one
// server plays every backend of the soak config (each backend's base_url is http://127.0.0.1:PORT/<mode>/v1):
//   ok       one JSON chat completion           sse      a short event stream, then [DONE]
//   slow     a long, slow event stream          big      ~1 MiB of events as fast as the socket takes them
//   busy     503 with retry-after: 0            reset    the connection reset before any answer
//   midreset a stream reset after a few events  hang     never answers (the router's timeout_ms fires)
//   idle     one event, then silence (stream_idle_timeout_ms fires)
import http from 'node:http';

const chunk = (text) =>
  `data: ${JSON.stringify({ id: 'chatcmpl-soak', object: 'chat.completion.chunk', created: 1, model: 'soak', choices: [{ index: 0, delta: { content: text }, finish_reason: null }] })}\n\n`;
const COMPLETION = JSON.stringify({
  id: 'chatcmpl-soak',
  object: 'chat.completion',
  created: 1,
  model: 'soak',
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
});
const BIG_EVENT = chunk('x'.repeat(8 * 1024));
const DONE = 'data: [DONE]\n\n';

function streamEvery(res, count, delayMs, onDone) {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  let sent = 0;
  const timer = setInterval(() => {
    if (res.destroyed) return clearInterval(timer);
    if (sent === count) {
      clearInterval(timer);
      return onDone();
    }
    res.write(chunk(`t${sent++} `));
  }, delayMs);
  res.on('close', () => clearInterval(timer));
}

async function writeBig(res) {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (let i = 0; i < 128 && !res.destroyed; i++) {
    if (!res.write(BIG_EVENT)) {
      await new Promise((r) => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          r();
        };
        res.once('drain', done);
        res.once('close', done);
      });
    }
  }
  if (!res.destroyed) res.end(DONE);
}

function answer(mode, req, res) {
  switch (mode) {
    case 'ok':
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(COMPLETION) });
      return res.end(COMPLETION);
    case 'sse':
      return streamEvery(res, 5, 5, () => res.end(DONE));
    case 'slow':
      return streamEvery(res, 100, 30, () => res.end(DONE));
    case 'big':
      return void writeBig(res);
    case 'busy': {
      const body = JSON.stringify({ error: { message: 'overloaded', type: 'server_error', code: 'overloaded' } });
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '0', 'content-length': Buffer.byteLength(body) });
      return res.end(body);
    }
    case 'reset':
      return req.socket.resetAndDestroy();
    case 'midreset':
      return streamEvery(res, 3, 5, () => req.socket.resetAndDestroy());
    case 'hang':
      return undefined;
    case 'idle':
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      return res.write(chunk('then silence'));
    default:
      res.writeHead(404, { 'content-type': 'application/json' });
      return res.end('{"error":{"message":"unknown soak mode","type":"invalid_request_error","code":null}}');
  }
}

/** Starts the upstream on 127.0.0.1; resolves with its port, live request count and close(). */
export function startSoakUpstream() {
  let open = 0;
  const server = http.createServer({ keepAliveTimeout: 120_000 }, (req, res) => {
    open++;
    res.on('close', () => open--);
    req.on('data', () => undefined);
    req.on('end', () => answer(req.url.split('/')[1], req, res));
  });
  server.headersTimeout = 0;
  server.requestTimeout = 0;
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: server.address().port,
        openRequests: () => open,
        close: () => new Promise((done) => (server.closeAllConnections(), server.close(() => done()))),
      }),
    );
  });
}
