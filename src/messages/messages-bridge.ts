import type { AnswerBridge } from '../common/answer-bridge';
import type { JsonObject, ProxyContext, RouteTarget } from '../common/proxy-context';
import { membersOf } from '../config/compiled-config';
import { messagesToChat, reasoningEffortOf } from './messages-request';
import { chatToMessage, type MessagesAnswerContext } from './messages-response';
import { MessagesStreamTranslator, PING_EVENT } from './messages-stream';

/**
 * How a Messages request crosses to a chat-only backend and its answer comes back. When a target speaks
 * chat only, the body is converted once here, so a request it cannot take is refused (400) before any
 * backend is tried; a backend that serves Messages itself judges its own requests.
 */
export function messagesBridge(ctx: ProxyContext, targets: readonly RouteTarget[]): AnswerBridge {
  // A pool's members may differ: one without Messages is enough to need the chat body.
  const needsChat = targets.some((t) => membersOf(t.backend).some((b) => !b.endpoints.has('messages')));
  const chatBody = needsChat ? messagesToChat(ctx.body) : undefined;
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
      const chat: JsonObject = { ...(chatBody ?? messagesToChat(body)), model: body.model };
      if (effort && backend.reasoningEffort) chat.reasoning_effort = effort;
      return chat;
    },
    fromChatJson: (chat) => chatToMessage(chat, answer),
    streamTranslator: () => new MessagesStreamTranslator(answer),
    keepAlive: PING_EVENT,
  };
}
