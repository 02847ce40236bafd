import type { IncomingMessage, ServerResponse } from 'node:http';
import { Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { RouterConfigService } from '../config/router-config.service';
import type { RouterRequest } from '../common/proxy-context';
import { RequestLogService } from './request-log.service';
import { requestIdFor } from './request-id';

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
          customAttributeKeys: { reqId: 'request_id' },
          genReqId: (req: IncomingMessage, res: ServerResponse) => {
            const id = requestIdFor(req.headers['x-request-id']);
            (req as RouterRequest).requestId = id;
            res.setHeader('x-request-id', id);
            return id;
          },
          redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
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
