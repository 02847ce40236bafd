import type { Readable } from 'node:stream';
import { Injectable, Logger } from '@nestjs/common';
import type { AxiosResponse } from 'axios';
import type { Response } from 'express';
import type { ErrorDialect } from '../common/answer-bridge';
import type { Endpoint } from '../config/router-config';
import { sseErrorEventIn, writeErrorIn } from '../common/error-dialect';
import { OpenAIError } from '../common/openai-error';
import { msSince, recordUpstreamError, type JsonObject, type ProxyContext, type RouteTarget, type RouterRequest } from '../common/proxy-context';
import { pumpAnswer } from './answer-pump';
import { completionAsChunk, errorInAnswer, readChatJson, writeBridgedJson } from './bridge-relay';
import { flushHeadersUnlessSent, headerSafe, isIdentityEncoded, readSome, relayHeaders, setEventStreamHead } from './response-relay';
import { USAGE_TAIL_BYTES, usageInTail } from './json-usage';
import { readTokenUsage } from './sse-monitor';
import { SseRelayStage } from './sse-relay-stage';
import { TranslatorStage } from './translator-stage';
import type { StreamKeepAlive } from './stream-keepalive';
import { upstreamErrorMessage } from './upstream-error';

/** A target as it is sent: on the client's endpoint, or bridged to chat/completions. */
export type SentTarget = RouteTarget & { endpoint: Endpoint; bridged: boolean };

const ERROR_BODY_LIMIT = 64 * 1024;

/**
 * Hands the chosen upstream answer to the client: status and headers, the body as it arrives (with the
 * stream checks and the usage it carries), upstream errors in the caller's dialect, bridged answers
 * through ctx.bridge, and the router's own errors, also after a keep-alive has committed to a stream.
 */
@Injectable()
export class AnswerRelayService {
  private readonly logger = new Logger('BackendClient');

  /** Relays an answer on the client's own endpoint: status, headers, then the body as it arrives. */
  async relay(
    ctx: ProxyContext,
    target: RouteTarget,
    response: AxiosResponse<Readable>,
    res: Response,
    keepalive: StreamKeepAlive | undefined,
  ): Promise<void> {
    const upstreamHeaders = response.headers as Record<string, unknown>;
    const contentType = String(upstreamHeaders['content-type'] ?? '');
    const isSse = contentType.startsWith('text/event-stream');
    noteAnswer(ctx, target, response.status);

    if (keepalive?.committed) {
      keepalive.stop();
      if (response.status >= 400 || !isSse) {
        // The client already has a 200 event stream: the upstream's error becomes the final event.
        const text = await readSome(response.data, ERROR_BODY_LIMIT);
        res.end(sseErrorEventIn(ctx.dialect, upstreamErrorMessage(target.backend.name, response.status, text), `upstream_http_${response.status}`, 'api_error', response.status));
        return;
      }
    } else {
      keepalive?.stop();
      res.status(response.status);
      relayHeaders(upstreamHeaders, res, isSse);
      setRouteHeaders(res, ctx, target);
      if (response.status >= 400) {
        await this.relayErrorBody(ctx, target, response, res);
        return;
      }
      if (isSse) flushHeadersUnlessSent(res);
    }

    // A successful answer from here on (error statuses returned above).
    // Compressed bodies pass through unread: no stream checks, no usage from them.
    const readable = isIdentityEncoded(upstreamHeaders);
    // Responses and Gemini streams have no [DONE].
    const stage = isSse && readable ? new SseRelayStage(target.backend.name, ctx.dialect, ctx.endpoint !== 'responses' && ctx.endpoint !== 'gemini') : undefined;
    // Not awaited: the handler, and Nest's pipeline around it, are done once the body is under way, so an
    // open stream holds its sockets and the relay's own state only. The request-end listeners run after.
    void pumpAnswer(response.data, res, { stage, tailBytes: isSse || !readable ? 0 : USAGE_TAIL_BYTES }).then((result) => {
      const usage = result.usage ?? (result.tail ? usageInTail(result.tail) : undefined);
      this.noteRelayEnd(ctx, target, res, result.bytes, usage, result.failure);
    });
  }

  /**
   * An upstream error keeps its status; a body already in the caller's dialect passes unchanged, anything
   * else (an HTML page from a proxy, FastAPI's {"detail":…}, plain text, an OpenAI error for an Anthropic
   * client) is wrapped so every client gets an error it can parse.
   */
  private async relayErrorBody(ctx: ProxyContext, target: RouteTarget, response: AxiosResponse<Readable>, res: Response): Promise<void> {
    const text = await readSome(response.data, ERROR_BODY_LIMIT);
    if (res.destroyed) return;
    if (isErrorBodyIn(ctx.dialect, text)) {
      res.setHeader('content-type', 'application/json');
      res.setHeader('content-length', Buffer.byteLength(text));
      res.end(text);
      return;
    }
    res.removeHeader('content-length');
    const error = new OpenAIError(response.status, `upstream_http_${response.status}`, upstreamErrorMessage(target.backend.name, response.status, text));
    copyRetryAfter(response.headers as Record<string, unknown>, error);
    writeErrorIn(ctx.dialect, res, error);
  }

  /**
   * A bridged answer: the backend spoke Chat Completions, the client gets its own API through ctx.bridge.
   * Errors keep their status in the client's dialect; usage is read from the chat answer.
   */
  async relayBridged(
    ctx: ProxyContext,
    target: SentTarget,
    response: AxiosResponse<Readable>,
    res: Response,
    keepalive: StreamKeepAlive | undefined,
  ): Promise<void> {
    const bridge = ctx.bridge!;
    const upstreamHeaders = response.headers as Record<string, unknown>;
    noteAnswer(ctx, target, response.status);
    keepalive?.stop();
    if (response.status >= 400 || !isIdentityEncoded(upstreamHeaders)) {
      const text = await readSome(response.data, ERROR_BODY_LIMIT);
      const status = response.status >= 400 ? response.status : 502;
      const error = new OpenAIError(status, `upstream_http_${status}`, upstreamErrorMessage(target.backend.name, response.status, text));
      copyRetryAfter(upstreamHeaders, error);
      this.sendError(ctx, res, error, keepalive);
      return;
    }
    if (!keepalive?.committed) {
      setRouteHeaders(res, ctx, target);
      const upstreamId = upstreamHeaders['x-request-id'];
      if (upstreamId !== undefined) res.setHeader('x-upstream-request-id', String(upstreamId));
    }
    const isSse = String(upstreamHeaders['content-type'] ?? '').startsWith('text/event-stream');
    if (!isSse) {
      const chat = await readChatJson(response.data);
      if (!chat) {
        this.sendError(ctx, res, new OpenAIError(502, 'upstream_invalid_json', `Backend "${target.backend.name}" answered with a body that is not a JSON object.`), keepalive);
        return;
      }
      const reported = errorInAnswer(chat);
      if (reported !== undefined) {
        // A 200 carrying only {"error":…} (LiteLLM, some Ollama versions) is a failure, not an empty answer.
        this.sendError(ctx, res, new OpenAIError(502, 'upstream_error', `Backend "${target.backend.name}" answered with an error: ${reported}`), keepalive);
        return;
      }
      this.noteUsage(ctx, readTokenUsage(chat.usage));
      try {
        await this.sendWholeAnswer(ctx, res, chat, keepalive);
      } catch (error) {
        // The backend's answer is a JSON object the bridge could not convert: the backend's fault, not the client's.
        this.sendError(ctx, res, new OpenAIError(502, 'upstream_invalid_answer', `Backend "${target.backend.name}" answered with a body the router could not convert: ${(error as Error).message}`), keepalive);
      }
      return;
    }
    this.startEventStream(res, keepalive);
    const stage = new TranslatorStage(bridge.streamTranslator(), target.backend.name, ctx.dialect);
    // Not awaited, as in relay().
    void pumpAnswer(response.data, res, { stage, tailBytes: 0 }).then((result) => {
      this.noteRelayEnd(ctx, target, res, result.bytes, result.usage, result.failure);
    });
  }

  /** A complete chat.completion, as the client's JSON answer or (asked for a stream) as a one-chunk stream. */
  private async sendWholeAnswer(ctx: ProxyContext, res: Response, chat: JsonObject, keepalive: StreamKeepAlive | undefined): Promise<void> {
    const bridge = ctx.bridge!;
    if (!ctx.stream) {
      await writeBridgedJson(res, bridge, chat);
      return;
    }
    // The client asked for a stream but the backend answered whole: translate it as a one-chunk stream.
    const translator = bridge.streamTranslator();
    const text = translator.push(completionAsChunk(chat)) + (await translator.end());
    this.startEventStream(res, keepalive);
    ctx.outcome.bytesRelayed = Buffer.byteLength(text);
    if (!res.destroyed) res.end(text);
  }

  private startEventStream(res: Response, keepalive: StreamKeepAlive | undefined): void {
    if (keepalive?.committed || res.headersSent) return;
    setEventStreamHead(res);
    res.flushHeaders();
  }

  /** What a relayed answer leaves in the outcome: bytes, tokens, and a stream that failed midway (logged once). */
  private noteRelayEnd(ctx: ProxyContext, target: RouteTarget, res: Response, bytes: number, usage: ReturnType<typeof readTokenUsage>, failure: string | undefined): void {
    const { outcome } = ctx;
    outcome.bytesRelayed = bytes;
    this.noteUsage(ctx, usage);
    if (!failure) return;
    recordUpstreamError(outcome, target.backend.name, `stream_${failure}`);
    outcome.errorCode = failure === 'idle_timeout' ? 'stream_idle_timeout' : 'upstream_stream_error';
    this.logger.warn({
      request_id: (res.req as RouterRequest).requestId,
      backend: target.backend.name,
      bytes_relayed: bytes,
      msg: `backend "${target.backend.name}" stream failed (${failure}) after ${bytes} bytes relayed`,
    });
  }

  private noteUsage(ctx: ProxyContext, usage: ReturnType<typeof readTokenUsage>): void {
    if (!usage) return;
    ctx.outcome.promptTokens = usage.promptTokens;
    ctx.outcome.completionTokens = usage.completionTokens;
    ctx.outcome.totalTokens = usage.totalTokens;
  }

  sendError(ctx: ProxyContext, res: Response, error: OpenAIError, keepalive: StreamKeepAlive | undefined): void {
    ctx.outcome.status = error.status;
    ctx.outcome.errorCode = error.code;
    if (res.writableEnded || res.destroyed) return;
    if (keepalive?.committed) {
      keepalive.stop();
      res.end(terminalErrorEvent(ctx, error));
      return;
    }
    writeErrorIn(ctx.dialect, res, error);
  }
}

/** The upstream's retry-after on an error the router writes itself, as the relayed errors keep it. */
function copyRetryAfter(upstreamHeaders: Record<string, unknown>, error: OpenAIError): void {
  for (const name of ['retry-after', 'retry-after-ms']) {
    const value = upstreamHeaders[name];
    if (value !== undefined) error.headers[name] = String(value);
  }
}

/** OpenAI's {"error":{"message":…}}, Anthropic's {"type":"error","error":{"type":…,"message":…}}, Google's {"error":{"code":…,"message":…,"status":…}}. */
function isErrorBodyIn(dialect: ErrorDialect, text: string): boolean {
  try {
    const parsed = JSON.parse(text) as { type?: unknown; error?: unknown };
    const error = parsed?.error as { message?: unknown; type?: unknown; code?: unknown } | undefined;
    if (typeof error !== 'object' || error === null || typeof error.message !== 'string') return false;
    if (dialect === 'google') return typeof error.code === 'number';
    return dialect === 'openai' || (parsed.type === 'error' && typeof error.type === 'string');
  } catch {
    return false;
  }
}

/** The answer came: which backend and model gave it, its status, and the time to its first byte. */
function noteAnswer(ctx: ProxyContext, target: RouteTarget, status: number): void {
  const { outcome } = ctx;
  outcome.backend = target.backend.name;
  outcome.upstreamModel = target.model;
  outcome.status = status;
  outcome.ttfbMs = msSince(ctx.startedAt);
}

/** Where the request went and what the router added, for clients and for debugging. */
function setRouteHeaders(res: Response, ctx: ProxyContext, target: RouteTarget): void {
  res.setHeader('x-llmrouter-backend', target.backend.name);
  res.setHeader('x-llmrouter-model', headerSafe(target.model));
  res.setHeader('x-llmrouter-overhead-ms', (ctx.outcome.overheadMs ?? 0).toFixed(3));
}

/** The caller's terminal error event for a stream already committed to: the bridge's own, or the dialect's. */
function terminalErrorEvent(ctx: ProxyContext, error: OpenAIError): string {
  try {
    if (ctx.bridge) return ctx.bridge.streamTranslator().fail(error.message, error.code);
  } catch {
    // the dialect's plain error event below
  }
  return sseErrorEventIn(ctx.dialect, error.message, error.code, error.type, error.status);
}
