import type { AnswerBridge } from '../common/answer-bridge';
import type { JsonObject, ProxyContext, RouteTarget } from '../common/proxy-context';
import { membersOf } from '../config/compiled-config';
import { embeddingsToGemini, geminiToEmbeddings } from './gemini-embed';
import { geminiToChat } from './gemini-request';
import { chatToGemini, type GeminiAnswerContext } from './gemini-response';
import { GeminiStreamTranslator } from './gemini-stream';

// How a Gemini request crosses to a backend that does not speak the Gemini API. When a target needs the
// bridge, the body is converted once here, so a request it cannot take is refused (400) before any
// backend is tried; a backend with "gemini" in its endpoints judges its own requests.

/** SSE comment while the backend is slow to answer: the Gen AI SDK skips anything that is not `data:`. */
const KEEP_ALIVE = ': keep-alive\n\n';

/** A pool's members may differ: one without the Gemini API is enough to need the converted body. */
function someNeedBridge(targets: readonly RouteTarget[]): boolean {
  return targets.some((t) => membersOf(t.backend).some((b) => !b.endpoints.has('gemini')));
}

export function geminiBridge(ctx: ProxyContext, targets: readonly RouteTarget[]): AnswerBridge {
  const chatBody = someNeedBridge(targets) ? geminiToChat(ctx.body, ctx.stream) : undefined;
  const answer: GeminiAnswerContext = { model: ctx.requestedModel };
  return {
    // The body arrives with the target's model; the rest is the same for every target, but for the
    // reasoning effort, which goes only to backends that take it (`reasoning_effort: true`).
    toChatBody: (body, backend) => {
      const chat: JsonObject = { ...(chatBody ?? geminiToChat(body, ctx.stream)), model: body.model };
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
  const embeddingsBody = someNeedBridge(targets) ? geminiToEmbeddings(ctx.body, batch) : undefined;
  return {
    via: 'embeddings',
    toChatBody: (body) => ({ ...(embeddingsBody ?? geminiToEmbeddings(body, batch)), model: body.model }),
    fromChatJson: (answer) => embeddingsToGemini(answer, batch),
    streamTranslator: () => new GeminiStreamTranslator({ model: ctx.requestedModel }),
    keepAlive: KEEP_ALIVE,
  };
}
