// The ceiling: the smallest app of the router's shape, doing the same proxy job with nothing else. A Nest
// app on Express with a global API-key guard, one interceptor (model prefix -> backend and model), a
// controller that sends the body upstream through @nestjs/axios on the router's own undici adapter and
// pool, and pipes the answer back. No logs, metrics, usage, retries or stream checks: what the router
// adds on top of this is its own work, and the bench compares the two in the same run.
// Usage: node bench/ceiling-app.cjs <config.json> <undici-adapter.js of the build> -> prints `LISTENING <port>`.
'use strict';
require('reflect-metadata');
const { readFileSync } = require('node:fs');
const { Module, Controller, Injectable, Post, Req, Res, UseInterceptors } = require('@nestjs/common');
const { APP_GUARD, NestFactory } = require('@nestjs/core');
const { HttpModule, HttpService } = require('@nestjs/axios');
const { json } = require('express');
const { Agent } = require('undici');

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const { upstreamAxiosConfig } = require(process.argv[3]);
const KEY = `Bearer ${process.env.CEILING_API_KEY ?? ''}`;

const backends = config.backends
  .map((b) => ({
    prefix: b.prefix,
    url: `${b.base_url.replace(/\/+$/, '')}/chat/completions`,
    isDefault: !!b.default,
    // The router's pool size for a backend (connections from max_sockets; no timeouts: none fire here).
    dispatcher: new Agent({ connections: config.backend_defaults?.max_sockets, keepAliveTimeout: 30_000 }),
  }))
  .sort((a, b) => b.prefix.length - a.prefix.length);
const fallback = backends.find((b) => b.isDefault);

// Decorators applied by hand: this file runs as plain JavaScript, without a TypeScript build.
const decorate = (decorators, target, key) => Reflect.decorate(decorators, target, key, key && Object.getOwnPropertyDescriptor(target, key));

class KeyGuard {
  canActivate(context) {
    if (context.switchToHttp().getRequest().headers.authorization === KEY) return true;
    context.switchToHttp().getResponse().status(401).json({ error: { message: 'bad key', type: 'invalid_request_error' } });
    return false;
  }
}
decorate([Injectable()], KeyGuard);

class RouteInterceptor {
  intercept(context, next) {
    const req = context.switchToHttp().getRequest();
    const model = String(req.body?.model ?? '');
    const backend = backends.find((b) => model.startsWith(b.prefix));
    req.target = backend ? { backend, model: model.slice(backend.prefix.length) } : { backend: fallback, model };
    return next.handle();
  }
}
decorate([Injectable()], RouteInterceptor);

class ChatController {
  constructor(http) {
    this.http = http;
  }

  async create(req, res) {
    const { backend, model } = req.target;
    const answer = await this.http.axiosRef.request({
      url: backend.url,
      method: 'POST',
      data: JSON.stringify({ ...req.body, model }),
      headers: { 'content-type': 'application/json' },
      dispatcher: backend.dispatcher,
    });
    res.status(answer.status);
    res.setHeader('content-type', answer.headers['content-type']);
    if (answer.headers['content-length']) res.setHeader('content-length', answer.headers['content-length']);
    answer.data.pipe(res);
    res.once('close', () => answer.data.destroy());
  }
}
Req()(ChatController.prototype, 'create', 0);
Res()(ChatController.prototype, 'create', 1);
decorate([Post(['v1/chat/completions', 'chat/completions']), UseInterceptors(RouteInterceptor)], ChatController.prototype, 'create');
decorate([Controller()], ChatController);
Reflect.defineMetadata('design:paramtypes', [HttpService], ChatController);

class CeilingModule {}
decorate(
  [
    Module({
      imports: [
        HttpModule.register(upstreamAxiosConfig),
      ],
      controllers: [ChatController],
      providers: [{ provide: APP_GUARD, useClass: KeyGuard }, RouteInterceptor],
    }),
  ],
  CeilingModule,
);

async function main() {
  const app = await NestFactory.create(CeilingModule, { bodyParser: false, logger: false });
  app.use(json({ limit: 32 * 1024 * 1024 }));
  await app.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
  process.stdout.write(`LISTENING ${app.getHttpServer().address().port}\n`);
  process.on('SIGTERM', () => process.exit(0));
}
main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
