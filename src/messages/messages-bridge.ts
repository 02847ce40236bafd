import type { AnswerBridge } from '../common/answer-bridge';
import type { JsonObject, ProxyContext, RouteTarget } from '../common/proxy-context';
import { membersOf } from '../config/compiled-config';
import type { Endpoint } from '../config/router-config';
import { messagesToChat, reasoningEffortOf } from './messages-request';
import { chatToMessage, type MessagesAnswerContext } from './messages-response';
import { MessagesStreamTranslator, PING_EVENT } from './messages-stream';

/**
 * How a Messages request crosses to a chat-only backend and its answer comes back. When a target speaks
 * chat only, the body is converted once here, so a request it cannot take is refused (400) before any
 * backend is tried; a backend that serves Messages itself judges its own requests.
 */
export function messagesBridge(ctx: ProxyContext, targets: readonly RouteTarget[]): AnswerBridge {
  const chatBody = bridgedBody(ctx.body, targets, 'messages', messagesToChat);
  const effort = reasoningEffortOf(ctx.body);
  const stop = ctx.body.stop_sequences;
  const answer: MessagesAnswerContext = {
    model: ctx.requestedModel,
    stopSequences: Array.isArray(stop) ? stop.filter((s): s is string => typeof s === 'string') : [],
  };
  return {
    // The body arrives with the target's model; the rest is the same for every target, but for the
    // reasoning effort, which goes only to backends that take it (`reasoning_effort: true`).
    toChatBody: (body, backend) => {
      const chat = chatBody(body);
      if (effort && backend.reasoningEffort) chat.reasoning_effort = effort;
      return chat;
    },
    fromChatJson: (chat) => chatToMessage(chat, answer),
    streamTranslator: () => new MessagesStreamTranslator(answer),
    keepAlive: PING_EVENT,
  };
}

/**
 * The converted body for one target (with its model), for a front door whose own API is `endpoint`. When
 * a target needs the bridge (a pool's members may differ: one without `endpoint` is enough), the client's
 * body is converted once, here, so a body it cannot take is refused before any backend is tried.
 */
export function bridgedBody(
  clientBody: JsonObject,
  targets: readonly RouteTarget[],
  endpoint: Endpoint,
  convert: (body: JsonObject) => JsonObject,
): (body: JsonObject) => JsonObject {
  const needed = targets.some((t) => membersOf(t.backend).some((b) => !b.endpoints.has(endpoint)));
  const once = needed ? convert(clientBody) : undefined;
  return (body) => ({ ...(once ?? convert(body)), model: body.model });
}
