import { Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { destination, stdTimeFunctions } from 'pino';
import { withoutQueryKey } from '../common/gemini-path';
import { RouterConfigService } from '../config/router-config.service';
import { RequestLogService } from './request-log.service';
import { RouterLogger } from './router-logger';

/** Paths that must never reach a log line, whatever a future log call passes. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["api-key"]',
  'req.headers["x-goog-api-key"]',
  'req.query.key',
  'req.body',
  'headers.authorization',
  'authorization',
  'body',
  'messages',
];

/** pino-http's serialized request with any `key=` in its url replaced. */
export function redactUrlKey<T extends { url?: unknown }>(req: T): T {
  if (typeof req?.url === 'string') req.url = withoutQueryKey(req.url);
  return req;
}

@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [RouterConfigService],
      useFactory: (configService: RouterConfigService) => {
        const options = {
          level: configService.boot.logLevel,
          redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
          // Gemini clients may send the router key in the URL (?key=): it never reaches a log line.
          serializers: { req: redactUrlKey },
          // "level":"info" rather than 30, ISO times: readable with grep as well as by log shippers.
          formatters: { level: (label: string) => ({ level: label }) },
          timestamp: stdTimeFunctions.isoTime,
        };
        const pretty = process.stdout.isTTY && configService.boot.prettyLogs;
        return {
          // No per-request pino-http middleware (forRoutes: []): its child loggers and the AsyncLocalStorage
          // context it binds cost more than the rest of a request's logging. Lines about a request carry
          // its request_id explicitly instead (RequestLogService, BackendClientService).
          forRoutes: [],
          pinoHttp: pretty
            ? { ...options, transport: { target: 'pino-pretty', options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l' } } }
            : // Asynchronous writes to stdout: a request never waits for its log line (pino flushes at exit).
              [options, destination({ dest: 1, sync: false })],
        };
      },
    }),
  ],
  providers: [RequestLogService, RouterLogger],
  exports: [RouterLogger],
})
export class LoggingModule {}
