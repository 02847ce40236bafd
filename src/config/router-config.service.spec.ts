import { ConfigError, loadConfig } from './config-loader';
import { RouterConfigService } from './router-config.service';

function service() {
  const initial = loadConfig(undefined, {});
  const boot = { initial, routerKey: 'k', routerKeyGenerated: false, env: {}, overrides: {}, logLevel: 'info', prettyLogs: false };
  return new RouterConfigService({ get: () => boot } as never);
}

describe('RouterConfigService.swap', () => {
  it('puts a config in force once every listener took it, and listeners see the new one before `current`', () => {
    const configs = service();
    const old = configs.current;
    const next = { ...old, source: 'next.json' };
    const seen: string[] = [];
    configs.onChange((c) => seen.push(`${c.source} while ${configs.current.source}`));
    configs.swap(next);
    expect(configs.current).toBe(next);
    expect(seen).toEqual([`next.json while ${old.source}`]);
  });

  it('keeps the old config everywhere when one listener refuses the new one', () => {
    const configs = service();
    const old = configs.current;
    const next = { ...old, source: 'bad.json' };
    const first: string[] = [];
    const last: string[] = [];
    configs.onChange((c) => first.push(c.source));
    configs.onChange((c) => {
      if (c === next) throw new Error('invalid IP address: lb.internal');
    });
    configs.onChange((c) => last.push(c.source));
    expect(() => configs.swap(next)).toThrow(ConfigError);
    try {
      configs.swap(next);
    } catch (err) {
      expect((err as ConfigError).problems).toEqual(['could not be applied: invalid IP address: lb.internal']);
    }
    expect(configs.current).toBe(old);
    // The first listener took the new config, then got the old one back; the last never saw the bad one.
    expect(first).toEqual(['bad.json', old.source, 'bad.json', old.source]);
    expect(last).toEqual([]);
  });
});
