import { Injectable } from '@nestjs/common';
import type { AnswerBridge } from '../common/answer-bridge';
import type { OpenAIError } from '../common/openai-error';
import type { JsonObject, ProxyContext } from '../common/proxy-context';
import { ConversationStateService, type ResolvedConversation } from './conversation-state.service';
import { chatJsonToResponse, newResponseRequest } from './response-object';
import { ResponseStreamTranslator } from './response-stream';
import { clientToolsOf } from './client-tools';
import { assertBridgeable, responsesBodyToChat } from './responses-request';

/**
 * Builds the ctx.bridge of a Responses request that goes (or may fall back) to a chat-only backend:
 * the conversation resolved from the store, the chat body, and answers stored when they are finished.
 */
@Injectable()
export class ResponsesBridgeService {
  constructor(private readonly state: ConversationStateService) {}

  /**
   * `onlyBridged`: every target is chat-only, so a body the bridge cannot honour or an unknown stored id
   * is answered at once. Otherwise a target serving Responses natively comes first or later, and such
   * errors only stop the bridged targets.
   */
  async create(ctx: ProxyContext, key: string, onlyBridged: boolean): Promise<AnswerBridge> {
    const body = ctx.body;
    if (onlyBridged) assertBridgeable(body, ctx.requestedModel);
    let conversation: ResolvedConversation | undefined;
    let unresolved: OpenAIError | undefined;
    try {
      if (!onlyBridged) assertBridgeable(body, ctx.requestedModel);
      conversation = await this.state.resolve(body, key);
    } catch (error) {
      if (onlyBridged) throw error;
      unresolved = error as OpenAIError;
    }
    // Tools a tool_search_output loaded earlier in the conversation are the client's too.
    const request = newResponseRequest(body, ctx.requestedModel, clientToolsOf(conversation ? { ...body, input: conversation.input } : body));
    const remember = (response: JsonObject) => this.state.remember(body, key, conversation!.input, response);
    return {
      toChatBody: (targetBody, backend) => {
        if (unresolved) throw unresolved;
        return responsesBodyToChat({ ...targetBody, input: conversation!.input }, backend.reasoningEffort);
      },
      fromChatJson: async (chat) => {
        const response = chatJsonToResponse(chat, request);
        await remember(response);
        return response;
      },
      streamTranslator: () => new ResponseStreamTranslator(request, remember),
      keepAlive: ': keep-alive\n\n',
    };
  }
}
