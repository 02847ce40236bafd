import 'reflect-metadata';
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { config as loadDotenv } from 'dotenv';
import { ConfigError, prepareBoot, routerKeyBanner } from './boot';
import { CliError, parseCli, USAGE } from './cli';
import { describeBackends } from './config/compiled-config';
import { createApp } from './configure-app';
import { RouterLogger } from './logging/router-logger';
import { GracefulShutdownService } from './lifecycle/graceful-shutdown.service';
import { WorkerSupervisor } from './lifecycle/worker-supervisor';
import { serveSharedState } from './primary-state';
import { createKeyCommand } from './team/keys-command';

async function main(): Promise<void> {
  let command;
  try {
    command = parseCli(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`llm-router: ${(err as CliError).message}\n`);
    process.exit(2);
  }
  if (command.kind === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  if (command.kind === 'keys-create') {
    process.stdout.write(createKeyCommand(command.name));
    return;
  }

  // .env fills in what the environment does not already set.
  loadDotenv({ path: '.env', quiet: true });
  let boot;
  try {
    boot = prepareBoot(command.options, process.env, true);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`llm-router: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const { config } = boot.initial;
  const workers = config.workers === 'auto' ? availableParallelism() : config.workers;

  if (workers > 1 && cluster.isPrimary) {
    if (boot.routerKeyGenerated) process.stdout.write(routerKeyBanner(boot.routerKey, config.apiKeyEnv));
    // Workers share the port and one key; a generated key is handed down so every worker accepts it.
    const shared = serveSharedState(config);
    const supervisor = new WorkerSupervisor({
      cluster,
      workers,
      env: { LLMROUTER_WORKER_KEY: boot.routerKey, ...shared },
      write: (line) => process.stderr.write(line),
      exit: (code) => process.exit(code),
    });
    supervisor.start();
    for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => supervisor.signal(signal));
    return;
  }
  if (cluster.isWorker && process.env.LLMROUTER_WORKER_KEY) {
    boot.routerKey = process.env.LLMROUTER_WORKER_KEY;
    boot.routerKeyGenerated = false;
  }

  const app = await createApp(boot);
  const logger = app.get(RouterLogger);
  for (const warning of boot.initial.warnings) logger.warn(`config: ${warning}`, 'Config');
  await app.listen(config.port, config.host);
  // SIGTERM (docker stop) or Ctrl-C: finish what is in flight, then exit 0. Alone, a second Ctrl-C kills at
  // once; a worker gets Ctrl-C from the terminal and again from the primary, and drains once.
  let draining = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (draining) return;
    draining = true;
    void app
      .get(GracefulShutdownService)
      .drain(`${signal} received`)
      .then(() => app.close())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error(`shutdown failed: ${err instanceof Error ? err.message : String(err)}`, 'Main');
          process.exit(1);
        },
      );
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    if (cluster.isWorker) process.on(signal, shutdown);
    else process.once(signal, shutdown);
  }
  if (boot.routerKeyGenerated) process.stdout.write(routerKeyBanner(boot.routerKey, config.apiKeyEnv));
  logger.log(
    `LLM-router listening on http://${config.host}:${listeningPort(app)} with config ${config.source}; backends: ${describeBackends(config)}`,
    'Main',
  );
}

/** The port actually bound (differs from the config with --port 0). */
function listeningPort(app: { getHttpServer(): { address(): unknown } }): number | string {
  const address = app.getHttpServer().address();
  return typeof address === 'object' && address !== null ? (address as { port: number }).port : String(address);
}

void main().catch((err) => {
  process.stderr.write(`llm-router: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
