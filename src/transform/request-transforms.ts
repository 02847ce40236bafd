import { isObject } from '../common/json';
import type { JsonObject } from '../common/proxy-context';

// Pure per-backend request transforms. Each returns the input unchanged when it has nothing to do and
// copies only what it changes, so the client's body is never mutated and untouched fields stay as sent.

/** Renames `messages[].role` (e.g. developer -> system) for backends that do not know a role. */
export function rewriteRoles(body: JsonObject, rewrites: Readonly<Record<string, string>> | undefined): JsonObject {
  const messages = body.messages;
  if (!rewrites || !Array.isArray(messages)) return body;
  let changed: unknown[] | undefined;
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i];
    if (!isObject(message) || typeof message.role !== 'string' || !Object.hasOwn(rewrites, message.role)) continue;
    changed ??= messages.slice();
    changed[i] = { ...message, role: rewrites[message.role] };
  }
  return changed ? { ...body, messages: changed } : body;
}

/** Drops top-level parameters a backend rejects (e.g. reasoning_effort). */
export function stripParams(body: JsonObject, params: readonly string[]): JsonObject {
  let copy: JsonObject | undefined;
  for (const param of params) {
    if (Object.hasOwn(body, param)) {
      copy ??= { ...body };
      delete copy[param];
    }
  }
  return copy ?? body;
}

/** Drops keys from every message (e.g. reasoning_content replayed to a backend that rejects it). */
export function stripMessageParams(body: JsonObject, params: readonly string[]): JsonObject {
  const messages = body.messages;
  if (params.length === 0 || !Array.isArray(messages)) return body;
  let changed: unknown[] | undefined;
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i];
    if (!isObject(message) || !params.some((p) => Object.hasOwn(message, p))) continue;
    const copy = { ...message };
    for (const p of params) delete copy[p];
    changed ??= messages.slice();
    changed[i] = copy;
  }
  return changed ? { ...body, messages: changed } : body;
}
