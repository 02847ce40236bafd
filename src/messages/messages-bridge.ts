import type { AnswerBridge } from '../common/answer-bridge';
import type { ProxyContext } from '../common/proxy-context';
import { messagesToChat } from './messages-request';
import { chatToMessage, type MessagesAnswerContext } from './messages-response';
import { MessagesStreamTranslator, PING_EVENT } from './messages-stream';

/**
 * How a Messages request crosses to a chat-only backend and its answer comes back. The body is
 * converted once here, so a malformed request is refused (400) before any backend is tried.
 */
export function messagesBridge(ctx: ProxyContext): AnswerBridge {
  const chatBody = messagesToChat(ctx.body);
  const answer: MessagesAnswerContext = { model: ctx.requestedModel, stopSequences: (chatBody.stop as string[] | undefined) ?? [] };
  return {
    // The body arrives with the target's model; the rest was converted above.
    toChatBody: (body) => ({ ...chatBody, model: body.model }),
    fromChatJson: (chat) => chatToMessage(chat, answer),
    streamTranslator: () => new MessagesStreamTranslator(answer),
    keepAlive: PING_EVENT,
  };
}
