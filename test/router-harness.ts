import type { AddressInfo } from 'node:net';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { prepareBoot } from '../src/boot';
import { createApp } from '../src/configure-app';
import type { BootOptions } from '../src/config/router-config.service';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Starts the real application (createApp, as main.ts does) on 127.0.0.1 with a config written to a
// temporary file, so e2e tests go through the same bootstrap, pipeline and error filter as production.

export const ROUTER_KEY = 'rsk_test_router_key_0123456789';

export interface RunningRouter {
  app: NestExpressApplication;
  url: string;
  boot: BootOptions;
  configPath: string;
  close(): Promise<void>;
}

export async function startRouter(config: Record<string, unknown>, env: Record<string, string | undefined> = {}): Promise<RunningRouter> {
  const dir = mkdtempSync(join(tmpdir(), 'llmrouter-test-'));
  const configPath = join(dir, 'config.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  const boot = prepareBoot(
    { config: configPath, apiKey: ROUTER_KEY, logLevel: (process.env.TEST_LOG_LEVEL as 'error') ?? 'error' },
    { ...env },
    false,
  );
  const app = await createApp(boot);
  await app.listen(0, '127.0.0.1');
  const port = (app.getHttpServer().address() as AddressInfo).port;
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    boot,
    configPath,
    close: () => app.close(),
  };
}

export function backend(name: string, url: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, base_url: url, prefix: `${name}/`, ...extra };
}

export const auth = { Authorization: `Bearer ${ROUTER_KEY}` };
