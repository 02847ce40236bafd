import type { CompiledBackend } from '../config/compiled-config';
import type { Endpoint } from '../config/router-config';
import type { JsonObject } from './proxy-context';

// A front door that speaks another API (the Responses bridge, Anthropic Messages) sets ctx.bridge. For a
// backend that does not serve the client's endpoint natively but serves chat/completions, the backend
// client then sends the converted body to /chat/completions and hands the answer back through the bridge,
// with routing, retries, fallbacks, the circuit breaker, timeouts and cancellation unchanged.

/** How the router's own errors are written for the caller: OpenAI's {"error":{…}}, Anthropic's or Google's. */
export type ErrorDialect = 'openai' | 'anthropic' | 'google';

/** Chat chunks in, the client's event stream out. Knows nothing of HTTP. */
export interface StreamTranslator {
  /** One parsed chat.completion.chunk; returns the SSE text to write ('' when there is nothing yet). */
  push(chunk: JsonObject): string;
  /** The upstream stream ended properly: the closing events. May wait (e.g. to store the response). */
  end(): string | Promise<string>;
  /** The upstream failed: the final error event(s). The stream ends after them. */
  fail(message: string, code: string): string;
}

export interface AnswerBridge {
  /** The backend endpoint a bridged request goes to: chat/completions unless said (Gemini embeddings: embeddings). */
  via?: Endpoint;
  /**
   * The client body (model already set to the target's) as the Chat Completions body `backend` takes, built
   * from the fields chat knows; the backend's own transforms run after.
   */
  toChatBody(body: JsonObject, backend: CompiledBackend): JsonObject;
  /** A complete non-streamed chat.completion as the client's answer. */
  fromChatJson(chat: JsonObject): JsonObject | Promise<JsonObject>;
  streamTranslator(): StreamTranslator;
  /** SSE text sent while a stream's upstream is slow to answer (a comment, or Anthropic's ping event). */
  keepAlive: string;
}
