import type { IncomingHttpHeaders } from 'node:http';
import type { CompiledBackend } from '../config/compiled-config';

// Headers for a backend that serves the Messages API itself (Anthropic): its own key as x-api-key (the
// router key never leaves the router), and the client's API version and beta flags passed on.

const DEFAULT_ANTHROPIC_VERSION = '2023-06-01';

export function nativeMessagesHeaders(backend: CompiledBackend, client: IncomingHttpHeaders): Record<string, string> {
  const headers: Record<string, string> = { ...backend.messagesHeaders };
  const version = client['anthropic-version'];
  const beta = client['anthropic-beta'];
  headers['anthropic-version'] = typeof version === 'string' && version !== '' ? version : DEFAULT_ANTHROPIC_VERSION;
  if (typeof beta === 'string' && beta !== '') headers['anthropic-beta'] = beta;
  return headers;
}
