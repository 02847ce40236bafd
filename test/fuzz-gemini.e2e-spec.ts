import fc from 'fast-check';
import { expectWellFormedGoogle, FuzzTarget, TEAM_KEY } from './fuzz-support';
import { ROUTER_KEY } from './router-harness';

// Property-based, like fuzz-strings, on the Gemini door: generated and hostile Gemini bodies (wrong types,
// lone surrogates, control characters, deep nesting in any field) and model names in the path must get a
// bridged answer or Google's {"error":{code,message,status}} below 500, and the router keeps serving.

let target: FuzzTarget;
beforeAll(async () => {
  target = await FuzzTarget.start();
});
afterAll(() => target.close());

const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('\ud800', 'a\ud800b', '\u0000', '\r\nx-evil: 1', '\u001b[31m', '\u2028', '\ufeff', '%E0%A4%A', '"}\\', 'x'.repeat(5000)),
  fc.string({ unit: fc.constantFrom('\ud800', '\udc00', '\u0000', '\n', 'a', '/', ':', 'é', '😀'), maxLength: 30 }),
);
const anyValue = fc.oneof(fc.jsonValue({ maxDepth: 3 }), hostileString);
const deepValue = fc.constantFrom(1_000, 20_000).chain((depth) =>
  fc.constantFrom(`${'['.repeat(depth)}${']'.repeat(depth)}`, `${'{"a":'.repeat(depth)}"\\ud800"${'}'.repeat(depth)}`, `${'{"type":"ARRAY","items":'.repeat(depth)}{}${'}'.repeat(depth)}`),
);

/** A model for the path: real ones, or hostile text percent-encoded (lone surrogates as raw invalid UTF-8). */
const pathModel = fc.oneof(
  fc.constantFrom('local/m', 'fast', 'local/qwen3-coder:30b', 'nope/x', 'local/', ''),
  hostileString.map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, '\ufffd')).replace(/%2F/g, '/')),
  fc.constantFrom('%ED%A0%80', '%00', '%ff', '%', 'a:b:c', 'local/m:generateContent'),
);
const method = fc.constantFrom('generateContent', 'streamGenerateContent?alt=sse', 'countTokens', 'batchEmbedContents', 'embedContent');
const version = fc.constantFrom('/v1beta', '/v1', '');

const part = fc.oneof(
  fc.record({ text: anyValue }, { requiredKeys: [] }),
  fc.record({ text: hostileString, thought: fc.boolean() }),
  fc.record({ inlineData: fc.record({ mimeType: anyValue, data: anyValue }, { requiredKeys: [] }) }),
  fc.record({ functionCall: fc.record({ id: anyValue, name: hostileString, args: anyValue }, { requiredKeys: [] }) }),
  fc.record({ functionResponse: fc.record({ id: anyValue, name: hostileString, response: anyValue }, { requiredKeys: [] }) }),
  anyValue,
);
const content = fc.record({ role: fc.oneof(fc.constantFrom('user', 'model', 'function'), anyValue), parts: fc.oneof(fc.array(part, { maxLength: 4 }), anyValue) }, { requiredKeys: [] });
const geminiBody = fc
  .record(
    {
      contents: fc.oneof(fc.array(content, { minLength: 1, maxLength: 3 }), anyValue),
      systemInstruction: fc.oneof(hostileString, fc.record({ parts: fc.array(part, { maxLength: 2 }) }), anyValue),
      tools: fc.oneof(fc.constant([{ functionDeclarations: [{ name: 'f', parameters: { type: 'OBJECT', properties: { a: { type: 'STRING' } } } }] }]), anyValue),
      toolConfig: fc.oneof(fc.record({ functionCallingConfig: fc.record({ mode: anyValue, allowedFunctionNames: anyValue }, { requiredKeys: [] }) }), anyValue),
      generationConfig: fc.oneof(fc.record({ temperature: anyValue, maxOutputTokens: anyValue, stopSequences: anyValue, responseSchema: anyValue, thinkingConfig: anyValue }, { requiredKeys: [] }), anyValue),
      requests: fc.oneof(fc.array(fc.record({ content, outputDimensionality: anyValue }, { requiredKeys: [] }), { maxLength: 3 }), anyValue),
    },
    { requiredKeys: [] },
  )
  .map((o) => JSON.stringify(o));

/** A well-formed Gemini body with hostile strings in every text it carries: these reach the backend. */
const hostileValidBody = fc
  .record({ text: hostileString, name: hostileString, system: hostileString, stop: hostileString, id: hostileString })
  .map((f) =>
    JSON.stringify({
      systemInstruction: { parts: [{ text: f.system }] },
      contents: [
        { role: 'user', parts: [{ text: f.text }] },
        { role: 'model', parts: [{ functionCall: { id: f.id, name: f.name || 'f', args: { a: f.text } } }] },
        { role: 'user', parts: [{ functionResponse: { id: f.id, name: f.name || 'f', response: { output: f.text } } }, { text: f.text }] },
      ],
      tools: [{ functionDeclarations: [{ name: f.name || 'f', description: f.text, parameters: { type: 'OBJECT', description: f.system } }] }],
      generationConfig: { stopSequences: [f.stop], temperature: 0.5 },
      requests: [{ content: { parts: [{ text: f.text }] } }],
      content: { parts: [{ text: f.text }] },
    }),
  );

describe('fuzzed Gemini bodies', () => {
  it('answers generated and hostile Gemini bodies on every method with a bridged answer or a Google error, never a 5xx', async () => {
    const deepField = fc.constantFrom('contents', 'systemInstruction', 'tools', 'toolConfig', 'generationConfig', 'requests', 'labels');
    await fc.assert(
      fc.asyncProperty(version, pathModel, method, fc.oneof(geminiBody, hostileValidBody), fc.option(fc.tuple(deepField, deepValue)), fc.constantFrom('header', 'query', 'team'), async (v, model, m, body, deep, keyWay) => {
        // The deep value replaces one field (the last duplicate key wins), written by hand.
        const text = deep ? `${body.slice(0, -1)}${body.length > 2 ? ',' : ''}${JSON.stringify(deep[0])}:${deep[1]}}` : body;
        const key = keyWay === 'team' ? TEAM_KEY : ROUTER_KEY;
        const query = keyWay === 'query' ? `${m.includes('?') ? '&' : '?'}key=${key}` : '';
        const path = `${v}/models/${model}:${m}${query}`;
        const headers: Record<string, string> = { 'content-type': 'application/json', Authorization: '' };
        if (keyWay !== 'query') headers['x-goog-api-key'] = key;
        const answer = await target.send('POST', path, headers, Buffer.from(text));
        expectWellFormedGoogle(answer, `${path} ${text.slice(0, 200)}`);
      }),
      { numRuns: 400, interruptAfterTimeLimit: 60_000 },
    );
    const list = await target.send('GET', '/v1beta/models', { 'x-goog-api-key': ROUTER_KEY });
    expect(list.status).toBe(200);
    await target.expectStillServing();
  });
});
