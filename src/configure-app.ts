import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { json, type RequestHandler } from 'express';
import { AppModule } from './app.module';
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
  app.enableCors({
    origin: '*',
    // Joined once here: given arrays, cors joins them again on every request.
    methods: 'GET,POST,OPTIONS',
    exposedHeaders: EXPOSED_HEADERS.join(','),
    maxAge: 86_400,
    optionsSuccessStatus: 204,
  });
  app.use(jsonBody(app.get(RouterConfigService)));
  app.useGlobalFilters(new OpenAIErrorFilter());
  answerClientErrors(app.getHttpServer());
  // No enableShutdownHooks(): it would treat SIGHUP (config reload) as a shutdown and close the upstream
  // pools before requests in flight are done. main.ts drains first (GracefulShutdownService), then closes.
  return app;
}

const BODY_ERRORS = new OpenAIErrorFilter();

/** express.json with the config's max_request_bytes (re-read after a reload). */
function jsonBody(configService: RouterConfigService): RequestHandler {
  let limit = -1;
  let parser: RequestHandler | undefined;
  return (req, res, next) => {
    const wanted = configService.current.maxRequestBytes;
    if (wanted !== limit || !parser) {
      limit = wanted;
      parser = json({ limit, type: ['application/json', 'application/*+json'] });
    }
    // Mapped here: Nest would turn a JSON SyntaxError into a 400 that echoes part of the body.
    parser(req, res, (err?: unknown) => next(err === undefined ? undefined : BODY_ERRORS.toOpenAIError(err)));
  };
}
