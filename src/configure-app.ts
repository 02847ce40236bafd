import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import cors from 'cors';
import { json, type RequestHandler } from 'express';
import type { Server } from 'node:http';
import { AppModule } from './app.module';
import { ClientKeyService } from './auth/client-key.service';
import { OpenAIErrorFilter } from './common/openai-error.filter';
import { answerClientErrors } from './common/http-client-error';
import { RequestEventsService } from './common/request-events.service';
import type { BootOptions } from './config/router-config.service';
import { RouterConfigService } from './config/router-config.service';
import { RouterLogger } from './logging/router-logger';

/** Headers a browser-based client may read from our responses. */
const EXPOSED_HEADERS = [
  'x-request-id',
  'x-upstream-request-id',
  'x-llmrouter-backend',
  'x-llmrouter-model',
  'x-llmrouter-overhead-ms',
  'retry-after',
  'x-ratelimit-limit-requests',
  'x-ratelimit-remaining-requests',
  'x-ratelimit-reset-requests',
  'x-ratelimit-limit-tokens',
  'x-ratelimit-remaining-tokens',
  'x-ratelimit-reset-tokens',
];

/**
 * Builds the whole application: the one place for body limits, CORS, the error filter and shutdown
 * hooks. main.ts and the end-to-end tests both call it, so tests run the real pipeline.
 */
export async function createApp(boot: BootOptions): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(boot), {
    bodyParser: false,
    bufferLogs: true,
  });
  app.useLogger(app.get(RouterLogger));
  app.set('x-powered-by', false);
  app.set('etag', false);

  app.use(app.get(RequestEventsService).track);
  app.use(browserCors());
  const keys = app.get(ClientKeyService);
  app.use(jsonBody(app.get(RouterConfigService), keys));
  app.useGlobalFilters(new OpenAIErrorFilter());
  answerClientErrors(app.getHttpServer());
  continueOnlyWithKey(app.getHttpServer(), keys);
  // No enableShutdownHooks(): it would treat SIGHUP (config reload) as a shutdown and close the upstream
  // pools before requests in flight are done. main.ts drains first (GracefulShutdownService), then closes.
  return app;
}

/**
 * CORS headers (the `cors` package, as Nest's enableCors uses it) for requests a browser makes: only those
 * carry an Origin. Coding tools and SDKs send none, and skip the work and ~300 bytes of headers.
 */
function browserCors(): RequestHandler {
  const corsHeaders = cors({
    origin: '*',
    // Joined once here: given arrays, cors joins them again on every request.
    methods: 'GET,POST,OPTIONS',
    exposedHeaders: EXPOSED_HEADERS.join(','),
    maxAge: 86_400,
    optionsSuccessStatus: 204,
  });
  return (req, res, next) => {
    if (req.headers.origin !== undefined) return corsHeaders(req, res, next);
    // The answer differs with an Origin: a cache must not hand this one to a browser.
    res.setHeader('vary', 'Origin');
    next();
  };
}

const BODY_ERRORS = new OpenAIErrorFilter();

/**
 * express.json with the config's max_request_bytes (re-read after a reload), for callers with a key only.
 * Without an accepted key nothing is read: ApiKeyGuard gives the answer (401, or 429 after too many
 * failures), and the connection closes after it instead of being drained of a body nobody will read.
 */
function jsonBody(configService: RouterConfigService, keys: ClientKeyService): RequestHandler {
  let limit = -1;
  let parser: RequestHandler | undefined;
  return (req, res, next) => {
    if (!keys.forRequest(req)) {
      if (hasBody(req)) res.setHeader('connection', 'close');
      next();
      return;
    }
    const wanted = configService.current.maxRequestBytes;
    if (wanted !== limit || !parser) {
      limit = wanted;
      parser = json({ limit, type: ['application/json', 'application/*+json'] });
    }
    // Mapped here: Nest would turn a JSON SyntaxError into a 400 that echoes part of the body.
    parser(req, res, (err?: unknown) => next(err === undefined ? undefined : BODY_ERRORS.toOpenAIError(err)));
  };
}

function hasBody(req: { headers: Record<string, unknown> }): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * "Expect: 100-continue" (curl sends it for bodies over 1 MB): the body is invited only from a caller with
 * an accepted key. Others get their answer without sending the body at all.
 */
function continueOnlyWithKey(server: Server, keys: ClientKeyService): void {
  server.on('checkContinue', (req, res) => {
    if (keys.forRequest(req)) res.writeContinue();
    server.emit('request', req, res);
  });
}
