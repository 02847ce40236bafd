import { PassThrough } from 'node:stream';
import type { StreamTranslator } from '../common/answer-bridge';
import type { JsonObject } from '../common/proxy-context';
import { pumpAnswer } from './answer-pump';
import { completionAsChunk } from './bridge-relay';
import { TranslatorStage } from './translator-stage';
import { recordingClient } from './recording-client.test-support';


// A translator that writes one line per chunk's delta content, so the tests see what reached the client.
function recordingTranslator(): StreamTranslator & { ended: boolean; failure?: string } {
  const t = {
    ended: false,
    failure: undefined as string | undefined,
    push: (chunk: JsonObject) => {
      const choice = (chunk.choices as JsonObject[] | undefined)?.[0];
      const content = (choice?.delta as JsonObject | undefined)?.content;
      return typeof content === 'string' ? `text:${content}\n` : '';
    },
    end: async () => {
      t.ended = true;
      return 'end\n';
    },
    fail: (message: string, code: string) => {
      t.failure = code;
      return `fail:${code}:${message}\n`;
    },
  };
  return t;
}

const chunk = (content: string, finish: string | null = null) =>
  `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content }, finish_reason: finish }] })}\n\n`;

async function run(parts: string[], opts: { end?: boolean; error?: Error } = {}) {
  const body = new PassThrough();
  const { res, writes } = recordingClient();
  const translator = recordingTranslator();
  const done = pumpAnswer(body, res, { stage: new TranslatorStage(translator, 'local', 'openai'), tailBytes: 0 });
  for (const p of parts) body.write(p);
  if (opts.error) body.destroy(opts.error);
  else if (opts.end !== false) body.end();
  const result = await done;
  return { result, client: { written: writes.join('') }, translator };
}

describe('pumpAnswer with a TranslatorStage', () => {
  it('translates each chunk as it arrives and closes with the translator end events after [DONE]', async () => {
    const { result, client, translator } = await run([chunk('Hel'), chunk('lo', 'stop'), 'data: [DONE]\n\n']);
    expect(client.written).toBe('text:Hel\ntext:lo\nend\n');
    expect(translator.ended).toBe(true);
    expect(result.failure).toBeUndefined();
  });

  it('reads token usage from the usage chunk', async () => {
    const usage = 'data: {"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}\n\n';
    const { result } = await run([chunk('a', 'stop'), usage, 'data: [DONE]\n\n']);
    expect(result.usage).toEqual({ promptTokens: 5, completionTokens: 2, totalTokens: 7 });
  });

  it('ends a stream cut short before any finish_reason with the failure event, not the closing events', async () => {
    const { result, client, translator } = await run([chunk('Hel')]);
    expect(result.failure).toBe('truncated');
    expect(translator.ended).toBe(false);
    expect(client.written).toMatch(/^text:Hel\nfail:upstream_stream_error:Backend "local" closed the stream/);
  });

  it('accepts a stream that reached its finish_reason but never sent [DONE]', async () => {
    const { result, translator } = await run([chunk('Hi', 'stop')]);
    expect(result.failure).toBeUndefined();
    expect(translator.ended).toBe(true);
  });

  it('stops at a data event that is not JSON (an HTML error page) and fails the stream', async () => {
    const { result, client } = await run([chunk('a'), 'data: <html>502 Bad Gateway</html>\n\n', chunk('b')], { end: false });
    expect(result.failure).toBe('garbage');
    expect(client.written).toMatch(/^text:a\nfail:upstream_stream_error:/);
    expect(client.written).not.toContain('text:b');
  });

  it('turns an upstream error event into the failure event with its message', async () => {
    const { result, client } = await run([chunk('a'), 'data: {"error":{"message":"model crashed"}}\n\n'], { end: false });
    expect(result.failure).toBe('upstream_error');
    expect(client.written).toContain('model crashed');
  });

  it('reports a connection reset mid-stream', async () => {
    const { result, client } = await run([chunk('a')], { error: Object.assign(new Error('reset'), { code: 'ECONNRESET' }) });
    expect(result.failure).toBe('reset');
    expect(client.written).toContain('fail:upstream_stream_error:Backend "local" dropped the connection');
  });
});

describe('completionAsChunk', () => {
  it('turns each choice message into a delta with its finish_reason', () => {
    const chunkOf = completionAsChunk({ id: 'c1', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }] });
    expect(chunkOf).toEqual({ id: 'c1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }] });
  });
});
