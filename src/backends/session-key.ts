import type { IncomingHttpHeaders } from 'node:http';
import type { JsonObject } from '../common/proxy-context';

/** Headers coding agents send to name their session, most specific first. */
const SESSION_HEADERS = ['x-session-affinity', 'x-session-id', 'session-id', 'x-claude-code-session-id'] as const;

/**
 * The session a request belongs to, from what real clients send: `prompt_cache_key` (Codex CLI, the AI SDK),
 * `x-session-affinity` / `x-session-id` (opencode), `session-id` (Codex), `x-claude-code-session-id` or
 * `metadata.user_id` (Claude Code), `user` (Chat Completions). Undefined when there is none.
 */
export function sessionKeyOf(body: JsonObject, headers: IncomingHttpHeaders): string | undefined {
  const cacheKey = body.prompt_cache_key;
  if (typeof cacheKey === 'string' && cacheKey !== '') return cacheKey;
  for (const name of SESSION_HEADERS) {
    const value = headers[name];
    if (typeof value === 'string' && value !== '') return value;
  }
  const metadata = body.metadata;
  if (typeof metadata === 'object' && metadata !== null && !Array.isArray(metadata)) {
    const userId = (metadata as JsonObject).user_id;
    if (typeof userId === 'string' && userId !== '') return userId;
  }
  const user = body.user;
  return typeof user === 'string' && user !== '' ? user : undefined;
}
