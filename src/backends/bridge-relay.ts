import type { Readable } from 'node:stream';
import type { Response } from 'express';
import type { AnswerBridge } from '../common/answer-bridge';
import { isObject } from '../common/json';
import type { JsonObject, ProxyContext } from '../common/proxy-context';
import type { CompiledBackend } from '../config/compiled-config';
import type { Endpoint } from '../config/router-config';
import { discardBody } from './response-relay';

// Bridged answers read whole: the backend answered in Chat Completions, the client speaks another API.
// Non-streamed answers are read whole (they are small) and converted; streams go through the one pump
// (answer-pump.ts) with a TranslatorStage.

const JSON_ANSWER_LIMIT = 16 << 20;

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
    return isObject(parsed) ? parsed : undefined;
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
  res.status(200);
  res.setHeader('content-type', 'application/json');
  res.setHeader('content-length', Buffer.byteLength(answer));
  res.end(answer);
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
