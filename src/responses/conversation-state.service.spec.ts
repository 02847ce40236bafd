import { OpenAIError } from '../common/openai-error';
import type { JsonObject } from '../common/proxy-context';
import { ConversationStateService } from './conversation-state.service';
import { findItem, MemoryResponseStore, type StoredResponse } from './memory-response-store';
import type { ResponseStoreService } from './response-store.service';

/** The store service's contract over a MemoryResponseStore (what it does without Redis). */
function memoryStore(): ResponseStoreService {
  const memory = new MemoryResponseStore(60_000, 1 << 20);
  const get = async (id: string, key: string) => {
    const record = memory.get(id);
    return record?.key === key ? record : undefined;
  };
  return {
    save: async (record: StoredResponse) => memory.save(record, JSON.stringify(record).length),
    get,
    item: async (itemId: string, key: string) => {
      const owner = memory.ownerOf(itemId);
      const record = owner ? await get(owner, key) : undefined;
      return record ? findItem(record, itemId) : undefined;
    },
    delete: async (id: string, key: string) => ((await get(id, key)) ? memory.remove(id) : false),
  } as unknown as ResponseStoreService;
}

const answer = (id: string, text: string): JsonObject => ({
  id,
  object: 'response',
  output: [{ type: 'message', id: `msg_${id}`, role: 'assistant', content: [{ type: 'output_text', text }] }],
});

async function rejection(promise: Promise<unknown>): Promise<OpenAIError> {
  try {
    await promise;
  } catch (error) {
    return error as OpenAIError;
  }
  throw new Error('expected a rejection');
}

describe('ConversationStateService', () => {
  let state: ConversationStateService;
  beforeEach(async () => {
    state = new ConversationStateService(memoryStore());
    const first = await state.resolve({ input: 'I am Ada.' }, 'alice');
    await state.remember({ input: 'I am Ada.' }, 'alice', first.input, answer('resp_1', 'Hi Ada.'));
  });

  it('puts a previous response (its input, then its output) before the new input', async () => {
    const { body, input } = await state.resolve({ previous_response_id: 'resp_1', input: 'Who am I?', instructions: 'Be brief.' }, 'alice');
    expect(input).toEqual([
      { type: 'message', role: 'user', content: 'I am Ada.' },
      { type: 'message', id: 'msg_resp_1', role: 'assistant', content: [{ type: 'output_text', text: 'Hi Ada.' }] },
      { type: 'message', role: 'user', content: 'Who am I?' },
    ]);
    expect(body).toMatchObject({ input, instructions: 'Be brief.' });
  });

  it('replaces an item_reference by the stored item', async () => {
    const { input } = await state.resolve({ input: [{ role: 'user', content: 'I am Ada.' }, { type: 'item_reference', id: 'msg_resp_1' }, { role: 'user', content: 'Again?' }] }, 'alice');
    expect(input[1]).toMatchObject({ id: 'msg_resp_1', role: 'assistant' });
    expect(input).toHaveLength(3);
  });

  it.each([
    ['an unknown previous response', { previous_response_id: 'resp_nope', input: 'x' }, 'alice', 'previous_response_id', 'resp_nope'],
    ["another key's previous response", { previous_response_id: 'resp_1', input: 'x' }, 'bob', 'previous_response_id', 'resp_1'],
    ['an unknown item', { input: [{ role: 'user', content: 'x' }, { type: 'item_reference', id: 'msg_nope' }] }, 'alice', 'input[1].id', 'msg_nope'],
    ["another key's item", { input: [{ type: 'item_reference', id: 'msg_resp_1' }] }, 'bob', 'input[0].id', 'msg_resp_1'],
  ])('answers %s with a 404 naming it', async (_what, body, key, param, id) => {
    const error = await rejection(state.resolve(body, key));
    expect(error).toBeInstanceOf(OpenAIError);
    expect(error).toMatchObject({ status: 404, type: 'invalid_request_error', param });
    expect(error.message).toContain(id);
  });

  it('keeps nothing for store: false', async () => {
    await state.remember({ input: 'x', store: false }, 'alice', [], answer('resp_2', 'not kept'));
    await expect(state.get('resp_2', 'alice')).rejects.toMatchObject({ status: 404 });
    expect((await state.get('resp_1', 'alice')).id).toBe('resp_1');
  });

  it('deletes only for the key that created the response', async () => {
    await expect(state.delete('resp_1', 'bob')).rejects.toMatchObject({ status: 404 });
    expect(await state.delete('resp_1', 'alice')).toEqual({ id: 'resp_1', object: 'response', deleted: true });
    await expect(state.get('resp_1', 'alice')).rejects.toMatchObject({ status: 404 });
  });
});
