import { Injectable, Logger } from '@nestjs/common';
import { OpenAIError } from '../common/openai-error';
import type { JsonObject } from '../common/proxy-context';
import { isObject } from '../common/json';
import { ResponseStoreService } from './response-store.service';

/** A bridged request with its conversation spelled out: what the backend is sent and what is stored. */
export interface ResolvedConversation {
  /** The client's body with `input` replaced by the whole conversation (history and references resolved). */
  body: JsonObject;
  /** That same input, kept with the response so the next turn can continue it. */
  input: JsonObject[];
}

/**
 * The stateful half of the Responses API for chat-only backends: previous_response_id brings back the
 * earlier response's input and output, item_reference brings back one stored item, and a finished
 * response is stored unless the client sent `store: false`.
 */
@Injectable()
export class ConversationStateService {
  private readonly logger = new Logger('Responses');

  constructor(private readonly store: ResponseStoreService) {}

  async resolve(body: JsonObject, key: string): Promise<ResolvedConversation> {
    // The earlier conversation, then this request's own items: a fresh array, extended in place.
    let input: JsonObject[] = [];
    const previousId = body.previous_response_id;
    if (typeof previousId === 'string' && previousId !== '') {
      const previous = await this.store.get(previousId, key);
      if (!previous) {
        throw notFound(
          `Previous response with id '${previousId}' not found. Responses are kept for a limited time, only when created without "store": false, and only for the key that created them.`,
          'previous_response_id',
          'previous_response_not_found',
        );
      }
      // concat, not push(...items): a long conversation has more items than a call can take arguments.
      input = previous.input.concat(previous.response.output as JsonObject[]);
    }
    const findItem = this.store.itemFinder(key);
    const own = typeof body.input === 'string' ? [{ type: 'message', role: 'user', content: body.input }] : (body.input as JsonObject[]);
    for (let i = 0; i < own.length; i++) {
      const item = own[i];
      if (!isObject(item) || item.type !== 'item_reference') {
        input.push(item);
        continue;
      }
      const found = typeof item.id === 'string' ? await findItem(item.id) : undefined;
      if (!found) throw notFound(`Item with id '${String(item.id)}' not found (input[${i}] is an item_reference to it).`, `input[${i}].id`, 'item_not_found');
      input.push(found);
    }
    return { body: { ...body, input }, input };
  }

  /**
   * Keeps a finished response (unless the client asked not to). One that cannot be kept (larger than the
   * store's whole budget, or the store failed) says so: its `store` becomes false before the client sees
   * it, as OpenAI answers a response that was not stored, so no client waits for an id that is not there.
   */
  async remember(body: JsonObject, key: string, input: JsonObject[], response: JsonObject): Promise<void> {
    if (body.store === false) return;
    const kept = await this.store.save({ key, response, input }).catch((err: Error) => {
      this.logger.warn(`could not store response ${String(response.id)}: ${err.message}`);
      return false;
    });
    if (!kept) response.store = false;
  }

  async get(id: string, key: string): Promise<JsonObject> {
    const record = await this.store.get(id, key);
    if (!record) throw notFound(`Response with id '${id}' not found.`, 'response_id');
    return record.response;
  }

  async inputItems(id: string, key: string): Promise<JsonObject> {
    const record = await this.store.get(id, key);
    if (!record) throw notFound(`Response with id '${id}' not found.`, 'response_id');
    const data = record.input;
    return { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data[data.length - 1]?.id ?? null, has_more: false };
  }

  async delete(id: string, key: string): Promise<JsonObject> {
    if (!(await this.store.delete(id, key))) throw notFound(`Response with id '${id}' not found.`, 'response_id');
    return { id, object: 'response', deleted: true };
  }
}

function notFound(message: string, param: string, code = 'response_not_found'): OpenAIError {
  return new OpenAIError(404, code, message, 'invalid_request_error', {}, param);
}
