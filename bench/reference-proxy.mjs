// The floor: a minimal node:http reverse proxy doing the router's job and nothing more. It parses the
// JSON body, picks the backend by longest model prefix from the same config file, rewrites `model`,
// sends it on a keep-alive agent and pipes the answer back (with teardown when the client leaves).
// Usage: node bench/reference-proxy.mjs <config.json>  -> prints `LISTENING <port>`.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

export function startReferenceProxy(config, { port = 0, host = '127.0.0.1' } = {}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4096 });
  const backends = config.backends
    .map((b) => ({ prefix: b.prefix, url: new URL(`${b.base_url.replace(/\/+$/, '')}/chat/completions`), isDefault: !!b.default }))
    .sort((a, b) => b.prefix.length - a.prefix.length);
  const fallback = backends.find((b) => b.isDefault);

  const fail = (res, status, message) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message, type: 'invalid_request_error', code: null } }));
  };

  const server = http.createServer({ keepAliveTimeout: 120_000 }, (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      let body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return fail(res, 400, 'invalid JSON');
      }
      const model = String(body.model ?? '');
      let backend = backends.find((b) => model.startsWith(b.prefix));
      if (backend) body.model = model.slice(backend.prefix.length);
      else backend = fallback;
      if (!backend) return fail(res, 404, 'unknown model');
      const payload = JSON.stringify(body);
      const upstream = http.request(
        backend.url,
        { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
        (answer) => {
          const headers = { 'content-type': answer.headers['content-type'] };
          if (answer.headers['content-length']) headers['content-length'] = answer.headers['content-length'];
          res.writeHead(answer.statusCode, headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => (res.headersSent ? res.destroy() : fail(res, 502, 'upstream error')));
      res.on('close', () => {
        if (!res.writableFinished) upstream.destroy();
      });
      upstream.end(payload);
    });
  });
  server.headersTimeout = 0;
  server.requestTimeout = 0;
  return new Promise((resolve) => {
    server.listen(port, host, () => resolve({ server, port: server.address().port, close: () => server.close() }));
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
  const { port } = await startReferenceProxy(config, { port: Number(process.env.PORT ?? 0) });
  process.stdout.write(`LISTENING ${port}\n`);
  process.on('SIGTERM', () => process.exit(0));
}
