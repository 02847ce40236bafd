import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { RouterConfigService } from '../config/router-config.service';

const CONNECT_TIMEOUT_MS = 1_000;
const COMMAND_TIMEOUT_MS = 1_000;
const MAX_RECONNECT_DELAY_MS = 2_000;

type RedisState = 'connecting' | 'up' | 'down';

/**
 * The one Redis connection (when `redis_url` is set) that limits and usage counters share between
 * replicas. Commands never queue while Redis is away (enableOfflineQueue: false), so callers fall back
 * to memory at once; reconnecting goes on with a capped backoff, and each change of state is logged once.
 */
@Injectable()
export class RedisConnectionService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Redis');
  private redis?: Redis;
  private url?: string;
  private state: RedisState = 'connecting';
  private readonly clientListeners: Array<() => void> = [];
  private readonly upListeners: Array<() => void> = [];

  constructor(private readonly configService: RouterConfigService) {
    configService.onChange((config) => {
      if (config.redisUrl === this.url) return;
      this.close();
      this.open(config.redisUrl);
      for (const listener of this.clientListeners) listener();
    });
  }

  /** Waits briefly for the first connection so a fresh replica starts on the shared counters. */
  async onModuleInit(): Promise<void> {
    this.open(this.configService.current.redisUrl);
    const redis = this.redis;
    if (!redis) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        redis.off('ready', done);
        redis.off('error', done);
        resolve();
      };
      const timer = setTimeout(done, CONNECT_TIMEOUT_MS * 2);
      redis.once('ready', done);
      redis.once('error', done);
    });
  }

  onModuleDestroy(): void {
    this.close();
  }

  /** Set whenever redis_url is configured, connected or not. */
  get client(): Redis | undefined {
    return this.redis;
  }

  get isUp(): boolean {
    return this.redis !== undefined && this.state === 'up';
  }

  /** Called when redis_url changes on a config reload, so limiters are rebuilt on the new client. */
  onClientChange(listener: () => void): void {
    this.clientListeners.push(listener);
  }

  /** Called each time Redis becomes reachable (first connection included), e.g. to flush what was kept locally. */
  onUp(listener: () => void): void {
    this.upListeners.push(listener);
  }

  private open(url: string | undefined): void {
    this.url = url;
    if (!url) return;
    this.state = 'connecting';
    const where = describe(url);
    // Loaded only when redis_url is set: most routers never need it, and it is ~9 MB of memory.
    const { Redis: RedisClient } = require('ioredis') as typeof import('ioredis');
    const redis = new RedisClient(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: CONNECT_TIMEOUT_MS,
      commandTimeout: COMMAND_TIMEOUT_MS,
      retryStrategy: (times) => Math.min(times * 200, MAX_RECONNECT_DELAY_MS),
    });
    redis.on('ready', () => {
      if (this.redis !== redis || this.state === 'up') return;
      if (this.state === 'down') this.logger.log(`Redis at ${where} is back: limits and usage are shared again`);
      else this.logger.log(`Redis at ${where} connected: limits and usage are shared between replicas`);
      this.state = 'up';
      for (const listener of this.upListeners) listener();
    });
    const lost = (reason: string) => {
      if (this.redis !== redis || this.state === 'down') return;
      this.state = 'down';
      this.logger.warn(`Redis at ${where} is unreachable (${reason}): serving with in-memory limits and usage until it is back`);
    };
    // Without an 'error' listener ioredis would print every failed reconnect attempt itself.
    redis.on('error', (err: NodeJS.ErrnoException) => lost(err.code ?? err.message));
    redis.on('close', () => lost('connection closed'));
    this.redis = redis;
  }

  private close(): void {
    const redis = this.redis;
    this.redis = undefined;
    redis?.disconnect();
  }
}

/** host:port only: a redis_url may carry a password. */
function describe(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '6379'}`;
  } catch {
    return 'redis_url';
  }
}
