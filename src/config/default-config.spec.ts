import { compileConfig } from './config-loader';
import { buildDefaultConfig } from './default-config';

describe('embedded default config', () => {
  it.each([
    ['no keys', {}, ['ollama/']],
    ['OPENAI_API_KEY', { OPENAI_API_KEY: 'sk-x' }, ['ollama/', 'openai/']],
    ['GROQ_API_KEY', { GROQ_API_KEY: 'gsk_x' }, ['ollama/', 'groq/']],
    ['both keys', { OPENAI_API_KEY: 'sk-x', GROQ_API_KEY: 'gsk_x' }, ['ollama/', 'openai/', 'groq/']],
  ])('with %s serves %j', (_what, env, prefixes) => {
    const { config, warnings } = compileConfig(buildDefaultConfig(env), 'embedded default', env);
    expect(config.backends.map((b) => b.prefix)).toEqual(prefixes);
    expect(warnings).toEqual([]);
  });

  it('makes a local Ollama the default backend with developer -> system', () => {
    const { config } = compileConfig(buildDefaultConfig({}), 'embedded default', {});
    expect(config.defaultBackend).toMatchObject({
      name: 'ollama',
      baseUrl: 'http://localhost:11434/v1',
      roleRewrites: { developer: 'system' },
      // Ollama refuses reasoning_effort for models that cannot think: bridged requests leave it out.
      reasoningEffort: false,
    });
    expect(config.port).toBe(11411);
  });

  it('points Ollama at OLLAMA_BASE_URL when set (docker compose)', () => {
    const env = { OLLAMA_BASE_URL: 'http://ollama:11434/v1' };
    const { config } = compileConfig(buildDefaultConfig(env), 'embedded default', env);
    expect(config.defaultBackend?.baseUrl).toBe('http://ollama:11434/v1');
  });
});
