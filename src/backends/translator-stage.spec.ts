import { PassThrough } from 'node:stream';
import type { StreamTranslator } from '../common/answer-bridge';
import { pumpAnswer } from './answer-pump';
import { TranslatorStage } from './translator-stage';
import { recordingClient } from './recording-client.test-support';


// Translators that fail in each of their steps: whatever throws, the pump resolves, the client's answer
// ends with a terminal error event, and nothing escapes as an uncaught exception.

const chunk = (content: string, finish: string | null = null) =>
  `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content }, finish_reason: finish }] })}\n\n`;

function translator(overrides: Partial<StreamTranslator>): StreamTranslator {
  return {
    push: () => 'event: delta\n\n',
    end: () => 'event: done\n\n',
    fail: (message, code) => `event: failed\ndata: ${JSON.stringify({ code, message })}\n\n`,
    ...overrides,
  };
}

async function run(t: StreamTranslator, parts: string[], dialect: 'openai' | 'anthropic' = 'anthropic') {
  const uncaught = jest.fn();
  process.on('uncaughtException', uncaught);
  try {
    const body = new PassThrough();
    const { res, writes, stream } = recordingClient();
    const done = pumpAnswer(body, res, { stage: new TranslatorStage(t, 'local', dialect), tailBytes: 0 });
    for (const p of parts) body.write(p);
    body.end();
    const result = await done;
    await new Promise((resolve) => setImmediate(resolve));
    return { result, text: writes.join(''), ended: stream.writableFinished, uncaught };
  } finally {
    process.off('uncaughtException', uncaught);
  }
}

describe('TranslatorStage failure paths', () => {
  it('ends with the translator failure event when push throws (a stack overflow while stringifying)', async () => {
    const t = translator({
      push: () => {
        throw new RangeError('Maximum call stack size exceeded');
      },
    });
    const { result, text, ended, uncaught } = await run(t, [chunk('a'), chunk('b', 'stop'), 'data: [DONE]\n\n']);
    expect(result.failure).toBe('garbage');
    expect(text).toMatch(/^event: failed\n.*Maximum call stack size exceeded/);
    expect(ended).toBe(true);
    expect(uncaught).not.toHaveBeenCalled();
  });

  it('ends with the failure event when the closing step rejects (the store failed)', async () => {
    const t = translator({ end: () => Promise.reject(new Error('store down')) });
    const { result, text, ended } = await run(t, [chunk('a', 'stop'), 'data: [DONE]\n\n']);
    expect(result.failure).toBe('internal');
    expect(text).toBe('event: delta\n\nevent: failed\ndata: {"code":"internal_error","message":"Backend \\"local\\" could not be relayed: the router failed to finish the answer (store down)."}\n\n');
    expect(ended).toBe(true);
  });

  it("falls back on the caller's dialect error event when the translator's own failure event throws too", async () => {
    const t = translator({
      push: () => {
        throw new Error('bad chunk');
      },
      fail: () => {
        throw new RangeError('Maximum call stack size exceeded');
      },
    });
    const { result, text, ended, uncaught } = await run(t, [chunk('a')]);
    expect(result.failure).toBe('garbage');
    expect(text).toMatch(/^\n*event: error\ndata: \{"type":"error","error":\{"type":"api_error","message":"Backend \\"local\\" sent a chunk/);
    expect(ended).toBe(true);
    expect(uncaught).not.toHaveBeenCalled();
  });

  it('ends the answer at [DONE] and reads what the backend still sends to its end, so its connection is reused', async () => {
    const body = new PassThrough();
    const { res, writes } = recordingClient();
    const done = pumpAnswer(body, res, { stage: new TranslatorStage(translator({}), 'local', 'openai'), tailBytes: 0 });
    body.write(`${chunk('a', 'stop')}data: [DONE]\n\n`);
    const result = await done;
    expect(result.failure).toBeUndefined();
    expect(writes.join('')).toBe('event: delta\n\nevent: done\n\n');
    body.end('data: {"late":true}\n\n');
    await new Promise((resolve) => setImmediate(resolve));
    expect(body.readableEnded).toBe(true); // read to its end, not destroyed halfway
    expect(writes.join('')).not.toContain('late');
  });
});
