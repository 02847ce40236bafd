import type { IncomingMessage, ServerResponse } from 'node:http';
import { Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { stdSerializers, stdTimeFunctions } from 'pino';
import { RouterConfigService } from '../config/router-config.service';
import { RequestLogService } from './request-log.service';
import { assignRequestId } from './request-id';

/** Paths that must never reach a log line, whatever a future log call passes. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["api-key"]',
  'req.body',
  'headers.authorization',
  'authorization',
  'body',
  'messages',
];

@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [RouterConfigService],
      useFactory: (configService: RouterConfigService) => ({
        pinoHttp: {
          level: configService.boot.logLevel,
          // Request lines come from RequestLogService, with routing details pino-http does not know.
          autoLogging: false,
          quietReqLogger: true,
          // pino-http binds the whole req to a second child logger per request (serialized and redacted
          // each time) that no line of ours uses: a req serializer that yields nothing skips that work.
          quietResLogger: true,
          wrapSerializers: false,
          serializers: { req: () => undefined, res: stdSerializers.res, err: stdSerializers.err },
          customAttributeKeys: { reqId: 'request_id' },
          genReqId: (req: IncomingMessage, res: ServerResponse) => assignRequestId(req, res),
          redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
          // "level":"info" rather than 30, ISO times: readable with grep as well as by log shippers.
          formatters: { level: (label: string) => ({ level: label }) },
          timestamp: stdTimeFunctions.isoTime,
          transport:
            process.stdout.isTTY && configService.boot.prettyLogs
              ? { target: 'pino-pretty', options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l' } }
              : undefined,
        },
      }),
    }),
  ],
  providers: [RequestLogService],
})
export class LoggingModule {}
