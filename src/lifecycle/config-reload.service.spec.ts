import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PinoLogger } from 'nestjs-pino';
import { loadConfig } from '../config/config-loader';
import { RouterConfigService } from '../config/router-config.service';
import { ConfigReloadService } from './config-reload.service';

function setup() {
  const path = join(mkdtempSync(join(tmpdir(), 'llmrouter-reload-')), 'config.json');
  const write = (c: unknown) => writeFileSync(path, JSON.stringify(c));
  write({ backends: [{ name: 'one', base_url: 'http://127.0.0.1:1/v1', prefix: 'one/', default: true }] });
  const initial = loadConfig(path, {});
  const boot = { configPath: path, initial, routerKey: 'k', routerKeyGenerated: false, env: {}, overrides: {}, logLevel: 'info', prettyLogs: false };
  const configService = new RouterConfigService({ get: () => boot } as never);
  const logger = { info: jest.fn(), warn: jest.fn(), error: jest.fn() };
  const service = new ConfigReloadService(configService, logger as unknown as PinoLogger);
  return { path, write, configService, logger, service };
}

describe('ConfigReloadService', () => {
  it('reloads the file on SIGHUP and stops listening when the app closes', () => {
    const { write, configService, service } = setup();
    service.onApplicationBootstrap();
    try {
      write({ backends: [{ name: 'two', base_url: 'http://127.0.0.1:2/v1', prefix: 'two/', default: true }] });
      process.emit('SIGHUP', 'SIGHUP');
      expect(configService.current.backends.map((b) => b.name)).toEqual(['two']);
    } finally {
      service.onModuleDestroy();
    }
    write({ backends: [{ name: 'three', base_url: 'http://127.0.0.1:3/v1', prefix: 'three/', default: true }] });
    process.emit('SIGHUP', 'SIGHUP');
    expect(configService.current.backends.map((b) => b.name)).toEqual(['two']);
  });

  it('keeps the old config and logs every problem of an invalid file', () => {
    const { write, configService, logger, service } = setup();
    const before = configService.current;
    write({ backends: [{ name: 'bad', base_url: 'ftp://x', prefix: '' }] });
    expect(service.reload('test')).toBe(false);
    expect(configService.current).toBe(before);
    const logged = logger.error.mock.calls.map((c) => String(c[0])).join('\n');
    expect(logged).toContain('backends[0].base_url');
    expect(logged).toContain('backends[0].prefix');
  });

  it('keeps the old config when a service cannot apply the new one, and logs why', () => {
    const { write, configService, logger, service } = setup();
    const before = configService.current;
    const applied: string[] = [];
    configService.onChange((c) => applied.push(c.backends[0].name));
    configService.onChange((c) => {
      if (c.backends[0].name === 'two') throw new Error('invalid IP address: lb.internal');
    });
    write({ backends: [{ name: 'two', base_url: 'http://127.0.0.1:2/v1', prefix: 'two/', default: true }] });
    expect(service.reload('test')).toBe(false);
    expect(configService.current).toBe(before);
    expect(applied).toEqual(['two', 'one']);
    const logged = logger.error.mock.calls.map((c) => String(c[0])).join('\n');
    expect(logged).toContain('could not be applied: invalid IP address: lb.internal');
    expect(logged).toContain('the previous config stays in force');
  });

  it('warns that a changed port needs a restart', () => {
    const { write, logger, service } = setup();
    write({ listening_port: 9999, backends: [{ name: 'one', base_url: 'http://127.0.0.1:1/v1', prefix: 'one/', default: true }] });
    expect(service.reload('test')).toBe(true);
    expect(logger.warn.mock.calls.map((c) => String(c[0]))).toContain('config: listening_port changed; it takes effect after a restart');
  });
});
