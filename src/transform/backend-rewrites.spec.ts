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
  it("applies each backend's own rewrites, without touching the input", () => {
    const strict = backend({ roleRewrites: { developer: 'system' }, unsupportedParams: ['reasoning_effort'], unsupportedMessageParams: ['reasoning_content'] });
    expect(rewriteForTarget(body, strict)).toEqual({ model: 'm', messages: [{ role: 'system', content: 'x' }] });
    const paramsOnly = backend({ unsupportedParams: ['reasoning_effort'] });
    expect(rewriteForTarget(body, paramsOnly)).toEqual({ model: 'm', messages: body.messages });
    const rolesOnly = backend({ roleRewrites: { developer: 'system' } });
    expect(rewriteForTarget(body, rolesOnly)).toEqual({ ...body, messages: [{ role: 'system', content: 'x', reasoning_content: 'r' }] });
  });

  it('returns the same object for a backend without rewrites', () => {
    expect(rewriteForTarget(body, backend({}))).toBe(body);
  });
});
