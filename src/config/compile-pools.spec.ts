import { compileConfig } from './config-loader';
import { describeBackends } from './compiled-config';
import { resolveTarget } from '../routing/model-routing';

const gpu = (name: string, extra: Record<string, unknown> = {}) => ({ name, base_url: `http://${name}:11434/v1`, prefix: 'ollama/', ...extra });

describe('pools (backends sharing a prefix)', () => {
  it('groups backends with one prefix into a pool with its weights, caps and the load_balancing settings', () => {
    const { config } = compileConfig(
      {
        backends: [gpu('gpu-a', { weight: 2, max_concurrent: 4 }), gpu('gpu-b'), { name: 'groq', base_url: 'https://g/v1', prefix: 'groq/' }],
        load_balancing: { strategy: 'round_robin', session_affinity: false },
      },
      't',
      {},
    );
    expect(config.pools).toHaveLength(1);
    const pool = config.pools[0];
    expect(pool.prefix).toBe('ollama/');
    expect(pool.members.map((m) => [m.name, m.weight, m.maxConcurrent])).toEqual([['gpu-a', 2, 4], ['gpu-b', 1, 0]]);
    expect(pool.strategy).toBe('round_robin');
    expect(pool.sessionAffinity).toBe(false);
    expect(config.backends.find((b) => b.name === 'groq')!.pool).toBeUndefined();
    expect(describeBackends(config)).toBe('ollama/ -> gpu-a, gpu-b (round_robin), groq/ -> groq');
  });

  it('defaults to least_busy with session affinity', () => {
    const { config } = compileConfig({ backends: [gpu('a'), gpu('b')] }, 't', {});
    expect(config.pools[0]).toMatchObject({ strategy: 'least_busy', sessionAffinity: true });
  });

  it('gives a lone backend no pool unless it has max_concurrent (a pool of one)', () => {
    expect(compileConfig({ backends: [gpu('a')] }, 't', {}).config.pools).toHaveLength(0);
    const capped = compileConfig({ backends: [gpu('a', { max_concurrent: 2 })] }, 't', {}).config;
    expect(capped.pools[0].members.map((m) => m.name)).toEqual(['a']);
  });

  it('routes a prefix, an alias and the default into the pool', () => {
    const { config } = compileConfig(
      { aliases: { coder: 'ollama/qwen3-coder:30b' }, backends: [gpu('a'), gpu('b', { default: true })] },
      't',
      {},
    );
    expect(resolveTarget(config, 'ollama/qwen3-coder:30b')!.backend.pool).toBe(config.pools[0]);
    expect(resolveTarget(config, config.aliases.get('coder')![0])!.model).toBe('qwen3-coder:30b');
    expect(resolveTarget(config, 'phi4')!.backend.pool).toBe(config.pools[0]);
  });

  it('accepts several defaults in one pool, not across pools', () => {
    expect(compileConfig({ backends: [gpu('a', { default: true }), gpu('b', { default: true })] }, 't', {}).config.defaultBackend!.name).toBe('a');
    expect(() => compileConfig({ backends: [gpu('a', { default: true }), { ...gpu('b', { default: true }), prefix: 'x/' }] }, 't', {})).toThrow(/only one backend may be the default/);
  });

  it('warns about unknown load_balancing fields', () => {
    const { warnings } = compileConfig({ backends: [gpu('a')], load_balancing: { stratgy: 'random' } }, 't', {});
    expect(warnings).toContain('load_balancing.stratgy: unknown field, ignored');
  });
});
