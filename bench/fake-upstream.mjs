// A fake OpenAI-compatible upstream on node:http, cheap enough to share a core with the load generator.
// The path picks the answer, so one server serves every backend of the benchmark config:
//   /json/v1/...                   one non-streamed chat completion
//   /sse/<chunks>/<delayMs>/v1/... an event stream of <chunks> chunks, the first at once, then one per
//                                  <delayMs> (0 = back to back), then `data: [DONE]`
//   /delay/<ms>/<slots>/v1/...     one non-streamed chat completion after <ms>, at most <slots> at once per
//                                  path (a model server: the others queue, as on a GPU box)
// Run directly (as bench/run.mjs does), it prints `LISTENING <port>`; startFakeUpstream starts it in-process.
import http from 'node:http';
import { pathToFileURL } from 'node:url';

export const COMPLETION = JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: 1700000000,
  model: 'bench-model',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hello from the fake upstream.' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 },
});

export const SSE_CHUNK = `data: ${JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion.chunk',
  created: 1700000000,
  model: 'bench-model',
  choices: [{ index: 0, delta: { content: 'token ' }, finish_reason: null }],
})}\n\n`;
export const SSE_DONE = 'data: [DONE]\n\n';

const SSE_PATH = /^\/sse\/(\d+)\/(\d+)\//;
const DELAY_PATH = /^\/delay\/(\d+)\/(\d+)\//;
/** The model servers of /delay paths: requests being served and waiting, by path. */
const boxes = new Map();

function answer(req, res) {
  const sse = SSE_PATH.exec(req.url);
  const delay = sse ? null : DELAY_PATH.exec(req.url);
  if (delay) {
    serveOnBox(delay[0], Number(delay[1]), Number(delay[2]), res);
    return;
  }
  if (!sse) {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(COMPLETION), 'x-request-id': 'upstream-1' });
    res.end(COMPLETION);
    return;
  }
  const chunks = Number(sse[1]);
  const delayMs = Number(sse[2]);
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  if (delayMs === 0) {
    for (let i = 0; i < chunks; i++) res.write(SSE_CHUNK);
    res.end(SSE_DONE);
    return;
  }
  let sent = 1;
  res.write(SSE_CHUNK);
  const timer = setInterval(() => {
    if (sent >= chunks) {
      clearInterval(timer);
      res.end(SSE_DONE);
      return;
    }
    sent++;
    res.write(SSE_CHUNK);
  }, delayMs);
  res.on('close', () => clearInterval(timer));
}

function serveOnBox(key, ms, slots, res) {
  let box = boxes.get(key);
  if (!box) boxes.set(key, (box = { busy: 0, queue: [] }));
  const run = () => {
    box.busy++;
    const timer = setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(COMPLETION) });
      res.end(COMPLETION);
    }, ms);
    let done = false;
    res.on('close', () => {
      clearTimeout(timer);
      if (done) return;
      done = true;
      box.busy--;
      box.queue.shift()?.();
    });
  };
  if (box.busy < slots) run();
  else box.queue.push(run);
}

/** Starts the fake upstream; resolves with its base URL (http://host:port) and a close function. */
export function startFakeUpstream({ port = 0, host = '127.0.0.1' } = {}) {
  const server = http.createServer({ keepAliveTimeout: 120_000 }, (req, res) => {
    // Drain the body without parsing it: the upstream's CPU is not what is measured.
    req.on('data', () => undefined);
    req.on('end', () => answer(req, res));
  });
  server.maxHeadersCount = 0;
  server.headersTimeout = 0;
  server.requestTimeout = 0;
  return new Promise((resolve) => {
    server.listen(port, host, () => {
      const { port: actual } = server.address();
      resolve({
        server,
        port: actual,
        url: `http://${host}:${actual}`,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { port } = await startFakeUpstream({ port: Number(process.env.PORT ?? 0) });
  process.stdout.write(`LISTENING ${port}\n`);
  process.on('SIGTERM', () => process.exit(0));
}
