import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { FakeUpstream, json } from './fake-upstream';
import { backend, ROUTER_KEY, RunningRouter, startRouter } from './router-harness';

// A backend (LiteLLM, some Ollama versions) answering 200 with only {"error": …}: the bridged client
// must get an error, not an empty successful answer.

describe('bridged answer that is a 200 error body', () => {
  let chat: FakeUpstream;
  let router: RunningRouter;

  beforeAll(async () => {
    chat = await FakeUpstream.start();
    chat.handle((_req, res) => json(res, 200, { error: { message: 'model "m" not found' } }));
    router = await startRouter({ backends: [backend('chat', chat.url, { retries: 0 })] });
  });

  afterAll(async () => {
    await router?.close();
    await chat?.close();
  });

  it('is an error for the openai SDK on /v1/responses', async () => {
    const client = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: ROUTER_KEY, maxRetries: 0 });
    const error = await client.responses.create({ model: 'chat/m', input: 'hi' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).message).toContain('model "m" not found');
  });

  it('is an error for the Anthropic SDK on /v1/messages', async () => {
    const client = new Anthropic({ baseURL: router.url, apiKey: ROUTER_KEY, maxRetries: 0 });
    const error = await client.messages.create({ model: 'chat/m', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    const apiError = error as InstanceType<typeof Anthropic.APIError>;
    expect(apiError.status).toBe(502);
    expect(apiError.error).toEqual({ type: 'error', error: { type: 'api_error', message: expect.stringContaining('model "m" not found') } });
  });

  it('ends a streamed request with an error event the openai SDK raises', async () => {
    const client = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: ROUTER_KEY, maxRetries: 0 });
    const error = await client.responses.create({ model: 'chat/m', input: 'hi', stream: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as Error).message).toContain('model "m" not found');
  });
});
