import { createHash } from 'node:crypto';
import { FSWatcher, readFileSync, unwatchFile, watch, watchFile } from 'node:fs';
import { basename, dirname } from 'node:path';
import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { describeBackends, type RouterConfig } from '../config/compiled-config';
import { ConfigError } from '../config/config-loader';
import { RouterConfigService } from '../config/router-config.service';

const DEBOUNCE_MS = 200;
/** fs.watch misses some saves (network file systems, some editors' rename-over); polling catches them. */
const POLL_INTERVAL_MS = 1_000;

/**
 * Reloads the config on SIGHUP and when its file changes. A valid file replaces the config atomically
 * (requests in flight keep the snapshot they started with) once every service has accepted it; an invalid
 * one, or one a service refuses, is rejected with every problem logged, and the old config stays. The environment (.env included) is not read again.
 */
@Injectable()
export class ConfigReloadService implements OnApplicationBootstrap, OnModuleDestroy {
  private watcher: FSWatcher | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private lastDigest: string | undefined;
  private readonly onSighup = () => this.reload('SIGHUP');
  private readonly onPoll = () => this.scheduleFileCheck();

  constructor(
    private readonly configService: RouterConfigService,
    @InjectPinoLogger('ConfigReload') private readonly logger: PinoLogger,
  ) {}

  onApplicationBootstrap(): void {
    process.on('SIGHUP', this.onSighup);
    const path = this.configService.boot.configPath;
    if (!path) return;
    this.lastDigest = digestOf(path);
    try {
      // The directory, not the file: an editor that renames a new file over the old one replaces the inode.
      this.watcher = watch(dirname(path), { persistent: false }, (_event, name) => {
        if (!name || name.toString() === basename(path)) this.scheduleFileCheck();
      });
      this.watcher.on('error', () => this.watcher?.close());
    } catch (err) {
      this.logger.warn(`cannot watch ${dirname(path)} (${(err as NodeJS.ErrnoException).code}); polling only`);
    }
    watchFile(path, { persistent: false, interval: POLL_INTERVAL_MS }, this.onPoll);
  }

  onModuleDestroy(): void {
    process.off('SIGHUP', this.onSighup);
    this.watcher?.close();
    const path = this.configService.boot.configPath;
    if (path) unwatchFile(path, this.onPoll);
    clearTimeout(this.debounce);
  }

  /**
   * Loads, validates and swaps in the config file; returns false (old config kept) when it is invalid or
   * when a service cannot apply it (RouterConfigService.swap is all-or-nothing).
   */
  reload(trigger: string): boolean {
    const before = this.configService.current;
    const path = this.configService.boot.configPath;
    if (path) this.lastDigest = digestOf(path);
    try {
      const loaded = this.configService.reload();
      for (const warning of loaded.warnings) this.logger.warn(`config: ${warning}`);
      this.warnAboutRestartOnlyFields(before, loaded.config);
      this.logger.info(`config reloaded (${trigger}) from ${loaded.config.source}; backends: ${describeBackends(loaded.config)}`);
      return true;
    } catch (err) {
      // Whatever went wrong, a reload never takes the process down: the config in force stays.
      const problems = err instanceof ConfigError ? err.problems : [err instanceof Error ? err.message : String(err)];
      const source = err instanceof ConfigError ? err.source : (path ?? 'config');
      for (const problem of problems) this.logger.error(`config reload rejected: ${source}: ${problem}`);
      this.logger.error(`config reload (${trigger}) rejected with ${problems.length} problem(s); the previous config stays in force`);
      return false;
    }
  }

  private scheduleFileCheck(): void {
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => this.checkFile(), DEBOUNCE_MS);
    this.debounce.unref();
  }

  private checkFile(): void {
    const path = this.configService.boot.configPath;
    if (!path) return;
    const digest = digestOf(path);
    // Missing mid-rename, or unchanged (several events per save): wait for the next event.
    if (digest === undefined || digest === this.lastDigest) return;
    this.reload('file change');
  }

  private warnAboutRestartOnlyFields(before: RouterConfig, after: RouterConfig): void {
    const fields: Array<[string, unknown, unknown]> = [
      ['listening_port', before.port, after.port],
      ['host', before.host, after.host],
      ['workers', before.workers, after.workers],
      ['llmrouter_api_key_env', before.apiKeyEnv, after.apiKeyEnv],
      ['log_level', before.logLevel, after.logLevel],
    ];
    for (const [name, was, now] of fields) {
      if (was !== now) this.logger.warn(`config: ${name} changed; it takes effect after a restart`);
    }
  }
}

function digestOf(path: string): string | undefined {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch {
    return undefined;
  }
}
