import { compileConfig } from '../config/config-loader';
import { knownPrefixes, resolveAlias, resolveTarget } from './model-routing';

function configWith(raw: Record<string, unknown>) {
  return compileConfig(raw, 'test', {}).config;
}

const withDefault = configWith({
  aliases: { o1: 'groq/deepseek-r1', 'o3-mini': ['ollama/qwq', 'groq/qwq'], fast: 'llama3.2', 'groq/alias': 'ollama/phi4' },
  backends: [
    { name: 'openai', base_url: 'https://api.openai.com/v1', prefix: 'openai/', default: true },
    { name: 'ollama', base_url: 'http://localhost:11434/v1', prefix: 'ollama/' },
    { name: 'ollama-lib', base_url: 'http://localhost:11435/v1', prefix: 'ollama/library/' },
    { name: 'groq', base_url: 'https://api.groq.com/openai/v1', prefix: 'groq/' },
  ],
});

const noDefault = configWith({
  backends: [{ name: 'groq', base_url: 'https://api.groq.com/openai/v1', prefix: 'groq/' }],
});

/** The whole rule: alias first, then each target by prefix or default. */
function route(config: typeof withDefault, model: string) {
  return resolveAlias(config, model).map((m) => {
    const t = resolveTarget(config, m);
    return t ? `${t.backend.name}:${t.model}` : 'none';
  });
}

describe('model routing', () => {
  it.each([
    ['an alias to its target, then by prefix', 'o1', ['groq:deepseek-r1']],
    ['an alias with fallbacks, in order', 'o3-mini', ['ollama:qwq', 'groq:qwq']],
    ['an alias to a bare model to the default backend', 'fast', ['openai:llama3.2']],
    ['an alias that looks like a prefixed model: the alias wins', 'groq/alias', ['ollama:phi4']],
    ['a prefixed model, prefix stripped', 'ollama/phi4', ['ollama:phi4']],
    ['the longest matching prefix', 'ollama/library/phi4', ['ollama-lib:phi4']],
    ['a prefix stripped only once', 'groq/groq/llama', ['groq:groq/llama']],
    ['a nested path after a prefix', 'ollama/hf.co/org/model:Q4', ['ollama:hf.co/org/model:Q4']],
    ['the default backend’s own prefix', 'openai/gpt-4o', ['openai:gpt-4o']],
    ['an unknown prefix, unchanged, to the default', 'mistral/large', ['openai:mistral/large']],
    ['a bare model, unchanged, to the default', 'gpt-4o-mini', ['openai:gpt-4o-mini']],
    ['a model that is exactly a prefix, to the default', 'groq/', ['openai:groq/']],
    ['prefixes are case-sensitive', 'Ollama/phi4', ['openai:Ollama/phi4']],
    ['an alias name is matched exactly, not as a prefix', 'o1-preview', ['openai:o1-preview']],
  ])('routes %s (%s)', (_what, model, expected) => {
    expect(route(withDefault, model)).toEqual(expected);
  });

  it.each([
    ['groq/llama-3.3', ['groq:llama-3.3']],
    ['llama3.2', ['none']],
    ['ollama/phi4', ['none']],
  ])('without a default backend routes %s to %j', (model, expected) => {
    expect(route(noDefault, model)).toEqual(expected);
  });

  it('is deterministic whatever the order backends are listed in', () => {
    const reversed = configWith({
      backends: [
        { name: 'ollama-lib', base_url: 'http://h/v1', prefix: 'ollama/library/' },
        { name: 'ollama', base_url: 'http://h/v1', prefix: 'ollama/' },
      ],
    });
    const forward = configWith({
      backends: [
        { name: 'ollama', base_url: 'http://h/v1', prefix: 'ollama/' },
        { name: 'ollama-lib', base_url: 'http://h/v1', prefix: 'ollama/library/' },
      ],
    });
    for (const config of [reversed, forward]) {
      expect(resolveTarget(config, 'ollama/library/x')?.backend.name).toBe('ollama-lib');
      expect(resolveTarget(config, 'ollama/x')?.backend.name).toBe('ollama');
    }
  });

  it('lists the known prefixes in config order', () => {
    expect(knownPrefixes(withDefault)).toEqual(['openai/', 'ollama/', 'ollama/library/', 'groq/']);
  });
});
