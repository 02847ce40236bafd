import type { CompiledBackend } from '../config/compiled-config';
import { rewriteForTarget } from './backend-rewrites';

const backend = (extra: Partial<CompiledBackend>): CompiledBackend =>
  ({ name: 'b', unsupportedParams: [], unsupportedMessageParams: [], ...extra }) as unknown as CompiledBackend;

const body = Object.freeze({
  model: 'm',
  reasoning_effort: 'high',
  messages: Object.freeze([Object.freeze({ role: 'developer', content: 'x', reasoning_content: 'r' })]),
});

describe('rewriteForTarget', () => {
  it("applies the chosen rewrites with each backend's own settings, without touching the input", () => {
    const strict = backend({ roleRewrites: { developer: 'system' }, unsupportedParams: ['reasoning_effort'], unsupportedMessageParams: ['reasoning_content'] });
    expect(rewriteForTarget(body, strict, ['roles', 'params'])).toEqual({ model: 'm', messages: [{ role: 'system', content: 'x' }] });
    expect(rewriteForTarget(body, strict, ['params'])).toEqual({ model: 'm', messages: body.messages });
  });

  it('returns the same object for a backend without rewrites', () => {
    expect(rewriteForTarget(body, backend({}), ['roles', 'params'])).toBe(body);
  });
});
