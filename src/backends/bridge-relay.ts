import type { Readable } from 'node:stream';
import type { Response } from 'express';
import type { AnswerBridge, StreamTranslator } from '../common/answer-bridge';
import { SHUTTING_DOWN, SHUTTING_DOWN_MESSAGE, type JsonObject, type ProxyContext } from '../common/proxy-context';
import type { CompiledBackend } from '../config/compiled-config';
import type { Endpoint } from '../config/router-config';
import { discardBody } from './response-relay';
import { SseEventReader } from './sse-event-reader';
import { readTokenUsage, type TokenUsage } from './sse-monitor';

// The relay for bridged answers: the backend answered in Chat Completions, the client speaks another API.
// Non-streamed answers are read whole (they are small) and converted; streams are translated event by
// event as they arrive, with backpressure, and always end with the translator's closing or error events.

const JSON_ANSWER_LIMIT = 16 << 20;

export interface BridgedResult {
  bytes: number;
  usage?: TokenUsage;
  /** idle_timeout | reset | truncated | garbage | upstream_error | too_large */
  failure?: string;
  failureMessage?: string;
  clientGone: boolean;
}

/** Reads a complete chat.completion; undefined when it is not a JSON object or is too large. */
export async function readChatJson(body: Readable): Promise<JsonObject | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > JSON_ANSWER_LIMIT) {
      discardBody(body);
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  try {
    const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as JsonObject) : undefined;
  } catch {
    return undefined;
  }
}

/** The message of an answer that is only an error ({"error":…} and no choices); undefined for a real answer. */
export function errorInAnswer(chat: JsonObject): string | undefined {
  if (chat.error === undefined || chat.error === null || Array.isArray(chat.choices)) return undefined;
  const inner = chat.error as { message?: unknown } | string;
  if (typeof inner === 'string') return inner;
  return typeof inner.message === 'string' ? inner.message : 'no message';
}

/** A whole chat.completion as the one chunk of a stream: for a backend that ignored `stream: true`. */
export function completionAsChunk(chat: JsonObject): JsonObject {
  const choices = Array.isArray(chat.choices) ? (chat.choices as JsonObject[]) : [];
  return {
    ...chat,
    object: 'chat.completion.chunk',
    choices: choices.map((c) => ({ index: c.index ?? 0, delta: c.message ?? {}, finish_reason: c.finish_reason ?? null })),
  };
}

export async function writeBridgedJson(res: Response, bridge: AnswerBridge, chat: JsonObject): Promise<void> {
  const answer = JSON.stringify(await bridge.fromChatJson(chat));
  if (res.destroyed) return;
  res.setHeader('content-type', 'application/json');
  res.setHeader('content-length', Buffer.byteLength(answer));
  res.end(answer);
}

/** Translates an upstream chat event stream into the client's; resolves when either side is done. Never throws. */
export function pumpBridgedStream(body: Readable, res: Response, translator: StreamTranslator, backendName: string): Promise<BridgedResult> {
  return new Promise((resolve) => {
    const result: BridgedResult = { bytes: 0, clientGone: false };
    const reader = new SseEventReader();
    let done = false;
    // Set once the outcome is decided: later data, end or errors of the upstream body change nothing.
    let stopping = false;
    let sawFinish = false;

    const finish = () => {
      if (done) return;
      done = true;
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('error', onError);
      res.off('close', onClose);
      res.off('drain', onDrain);
      resolve(result);
    };
    const write = (text: string) => {
      if (text === '' || res.writableEnded || res.destroyed) return true;
      result.bytes += Buffer.byteLength(text);
      return res.write(text);
    };
    const fail = (failure: string, message: string, code = 'upstream_stream_error') => {
      if (stopping) return;
      stopping = true;
      result.failure = failure;
      result.failureMessage = message;
      discardBody(body);
      const text = failure === 'shutdown' ? message : `Backend "${backendName}" ${message}`;
      if (!res.writableEnded && !res.destroyed) res.end(translator.fail(text, code));
      finish();
    };
    const complete = async () => {
      stopping = true;
      body.on('error', () => undefined);
      body.resume(); // what follows [DONE] is drained, so the connection can be reused
      try {
        const closing = await translator.end();
        if (!res.writableEnded && !res.destroyed) res.end(closing);
      } catch (error) {
        if (!res.writableEnded && !res.destroyed) res.end(translator.fail(`The router could not finish the answer: ${(error as Error).message}`, 'internal_error'));
      }
      finish();
    };
    /** Handles one event; returns false when the stream must stop. */
    const onEvent = (payload: string): boolean | 'done' => {
      if (payload === '[DONE]') return 'done';
      let chunk: JsonObject;
      try {
        chunk = JSON.parse(payload) as JsonObject;
      } catch {
        fail('garbage', 'sent an event that is not JSON; the stream was stopped.');
        return false;
      }
      if (typeof chunk !== 'object' || chunk === null) {
        fail('garbage', 'sent an event that is not a JSON object; the stream was stopped.');
        return false;
      }
      if (chunk.error !== undefined) {
        const inner = chunk.error as { message?: unknown } | string;
        const detail = typeof inner === 'string' ? inner : typeof inner?.message === 'string' ? inner.message : 'an error';
        fail('upstream_error', `reported an error mid-stream: ${detail}`);
        return false;
      }
      const usage = readTokenUsage(chunk.usage);
      if (usage) result.usage = usage;
      if (Array.isArray(chunk.choices) && (chunk.choices as JsonObject[]).some((c) => c?.finish_reason)) sawFinish = true;
      let ok = true;
      try {
        ok = write(translator.push(chunk));
      } catch (error) {
        fail('garbage', `sent a chunk the router could not translate (${(error as Error).message}).`);
        return false;
      }
      if (!ok) {
        body.pause();
        res.once('drain', onDrain);
      }
      return true;
    };
    const onEvents = (events: string[]): boolean => {
      for (const payload of events) {
        const outcome = onEvent(payload);
        if (outcome === false) return false;
        if (outcome === 'done') {
          void complete();
          return false;
        }
      }
      return true;
    };
    const onData = (chunk: Buffer) => {
      if (stopping) return;
      let events: string[];
      try {
        events = reader.push(chunk);
      } catch {
        fail('too_large', 'sent an event larger than the router accepts; the stream was stopped.');
        return;
      }
      onEvents(events);
    };
    const onDrain = () => body.resume();
    const onEnd = () => {
      if (stopping) return;
      if (!onEvents(reader.flush())) return;
      // No [DONE]: a stream that reached its finish_reason is complete enough; one that did not was cut short.
      if (sawFinish) void complete();
      else fail('truncated', 'closed the stream before it was complete.');
    };
    const onError = (err: unknown) => {
      if (stopping) return;
      if ((err as { code?: string }).code === SHUTTING_DOWN) {
        fail('shutdown', SHUTTING_DOWN_MESSAGE, SHUTTING_DOWN);
      } else if ((err as { code?: string }).code === 'UND_ERR_BODY_TIMEOUT') {
        fail('idle_timeout', 'sent nothing for too long (stream_idle_timeout_ms); the stream was stopped.', 'stream_idle_timeout');
      } else {
        fail('reset', 'dropped the connection mid-response.');
      }
    };
    const onClose = () => {
      if (res.writableFinished) return;
      result.clientGone = true;
      discardBody(body);
      finish();
    };
    body.on('data', onData);
    body.once('end', onEnd);
    body.once('error', onError);
    res.once('close', onClose);
  });
}

/**
 * Where a request goes on this backend: its own endpoint when the backend serves it, chat/completions when
 * a front door bridges it and the backend serves chat, otherwise nowhere (404 endpoint_not_supported).
 */
export function upstreamEndpoint(ctx: ProxyContext, backend: CompiledBackend): Endpoint | undefined {
  if (backend.endpoints.has(ctx.endpoint)) return ctx.endpoint;
  const via = ctx.bridge?.via ?? 'chat/completions';
  if (ctx.bridge && backend.endpoints.has(via)) return via;
  return undefined;
}
