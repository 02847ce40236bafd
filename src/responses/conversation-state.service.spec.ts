import { OpenAIError } from '../common/openai-error';
import type { JsonObject } from '../common/proxy-context';
import { ConversationStateService } from './conversation-state.service';
import { memoryStoreService } from './response-store.test-support';

/** The store service as it runs without Redis (one process). */
function memoryStore(maxBytes = 1 << 20) {
  return memoryStoreService({ ttlSeconds: 60, maxBytes }).service;
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

  it('continues a stored conversation longer than a function call can take arguments', async () => {
    const big = new ConversationStateService(memoryStore(64 << 20));
    const history = Array.from({ length: 200_000 }, (_, i) => ({ type: 'message', role: 'user', content: `turn ${i}` }));
    await big.remember({ input: history }, 'alice', history, answer('resp_long', 'Done.'));
    const { input } = await big.resolve({ previous_response_id: 'resp_long', input: 'And now?' }, 'alice');
    expect(input).toHaveLength(200_002);
    expect(input.at(-2)).toMatchObject({ id: 'msg_resp_long' });
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

  it('answers a response too large to keep with store: false, and keeps nothing', async () => {
    const small = new ConversationStateService(memoryStore(4_000));
    const response = answer('resp_big', 'x'.repeat(5_000));
    await small.remember({ input: 'hi' }, 'alice', [{ type: 'message', role: 'user', content: 'hi' }], response);
    expect(response.store).toBe(false);
    await expect(small.get('resp_big', 'alice')).rejects.toMatchObject({ status: 404 });
  });

  it('keeps store: true on a response it kept', async () => {
    const response = answer('resp_ok', 'fine');
    await state.remember({ input: 'hi' }, 'alice', [], { ...response, store: true });
    expect((await state.get('resp_ok', 'alice')).store).toBe(true);
  });

  it('answers a crafted id naming an index entry with a clean 404', async () => {
    for (const id of ['item:msg_resp_1', 'msg_resp_1', '1:alice', '../resp_1', 'resp_1\u0000']) {
      await expect(state.get(id, 'alice')).rejects.toMatchObject({ status: 404 });
      await expect(state.inputItems(id, 'alice')).rejects.toMatchObject({ status: 404 });
    }
  });

  it('deletes only for the key that created the response', async () => {
    await expect(state.delete('resp_1', 'bob')).rejects.toMatchObject({ status: 404 });
    expect(await state.delete('resp_1', 'alice')).toEqual({ id: 'resp_1', object: 'response', deleted: true });
    await expect(state.get('resp_1', 'alice')).rejects.toMatchObject({ status: 404 });
  });
});
