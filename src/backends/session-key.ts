import type { IncomingHttpHeaders } from 'node:http';
import { isObject } from '../common/json';
import type { JsonObject } from '../common/proxy-context';

/**
 * Headers coding agents send to name their session, most specific first. Codex CLI sends `session_id`
 * (an underscore, which Node keeps); `session-id` is the same for clients and proxies that rewrite it.
 */
const SESSION_HEADERS = ['x-session-affinity', 'x-session-id', 'session_id', 'session-id', 'x-claude-code-session-id'] as const;

/**
 * The session a request belongs to, from what real clients send: `prompt_cache_key` (Codex CLI, the AI SDK),
 * `x-session-affinity` / `x-session-id` (opencode), `session_id` / `session-id` (Codex), `x-claude-code-session-id`
 * or `metadata.user_id` (Claude Code), a Responses `conversation`, `user` (Chat Completions). Undefined when
 * there is none. Not `previous_response_id`: it changes every turn, so it would scatter a session.
 */
export function sessionKeyOf(body: JsonObject, headers: IncomingHttpHeaders): string | undefined {
  const cacheKey = body.prompt_cache_key;
  if (isKey(cacheKey)) return cacheKey;
  for (const name of SESSION_HEADERS) {
    const value = headers[name];
    if (isKey(value)) return value;
  }
  const userId = fieldOf(body.metadata, 'user_id');
  if (isKey(userId)) return userId;
  const conversation = body.conversation;
  if (isKey(conversation)) return conversation;
  const conversationId = fieldOf(conversation, 'id');
  if (isKey(conversationId)) return conversationId;
  return isKey(body.user) ? body.user : undefined;
}

function isKey(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

function fieldOf(value: unknown, name: string): unknown {
  return isObject(value) ? value[name] : undefined;
}
