import type { AnswerBridge } from '../common/answer-bridge';
import type { ProxyContext, RouteTarget } from '../common/proxy-context';
import { bridgedBody } from '../messages/messages-bridge';
import { embeddingsToGemini, geminiToEmbeddings } from './gemini-embed';
import { geminiToChat } from './gemini-request';
import { chatToGemini, type GeminiAnswerContext } from './gemini-response';
import { GeminiStreamTranslator } from './gemini-stream';

// How a Gemini request crosses to a backend that does not speak the Gemini API. When a target needs the
// bridge, the body is converted once here, so a request it cannot take is refused (400) before any
// backend is tried; a backend with "gemini" in its endpoints judges its own requests.

/** SSE comment while the backend is slow to answer: the Gen AI SDK skips anything that is not `data:`. */
const KEEP_ALIVE = ': keep-alive\n\n';

export function geminiBridge(ctx: ProxyContext, targets: readonly RouteTarget[]): AnswerBridge {
  const chatBody = bridgedBody(ctx.body, targets, 'gemini', (body) => geminiToChat(body, ctx.stream));
  const answer: GeminiAnswerContext = { model: ctx.requestedModel };
  return {
    // The body arrives with the target's model; the rest is the same for every target, but for the
    // reasoning effort, which goes only to backends that take it (`reasoning_effort: true`).
    toChatBody: (body, backend) => {
      const chat = chatBody(body);
      if (!backend.reasoningEffort) delete chat.reasoning_effort;
      return chat;
    },
    fromChatJson: (chat) => chatToGemini(chat, answer),
    streamTranslator: () => new GeminiStreamTranslator(answer),
    keepAlive: KEEP_ALIVE,
  };
}

/** batchEmbedContents (and embedContent) for a backend without the Gemini API: its /embeddings. */
export function geminiEmbedBridge(ctx: ProxyContext, targets: readonly RouteTarget[], batch: boolean): AnswerBridge {
  const embeddingsBody = bridgedBody(ctx.body, targets, 'gemini', (body) => geminiToEmbeddings(body, batch));
  return {
    via: 'embeddings',
    toChatBody: embeddingsBody,
    fromChatJson: (answer) => embeddingsToGemini(answer, batch),
    streamTranslator: () => new GeminiStreamTranslator({ model: ctx.requestedModel }),
    keepAlive: KEEP_ALIVE,
  };
}
