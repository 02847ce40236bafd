import { Injectable, Logger } from '@nestjs/common';
import { ModelCatalogService } from '../backends/model-catalog.service';
import { classifyUpstreamError } from '../backends/upstream-error';
import type { CompiledBackend } from '../config/compiled-config';

export const PROBE_TIMEOUT_MS = 2_000;
export const PROBE_CACHE_MS = 10_000;

export interface BackendState {
  status: 'up' | 'down';
  /** Why it is down, as a kind (refused, timeout, http_503, key_missing, …): never an address or a key. */
  reason?: string;
}

interface CachedProbe {
  at: number;
  state: Promise<BackendState>;
}

/**
 * Is a backend answering? GET {base_url}/models with its own key, 2 s timeout, the answer kept 10 s so
 * frequent readiness probes do not hammer the backends. Concurrent probes share one request.
 */
@Injectable()
export class BackendProbeService {
  private readonly logger = new Logger('Health');
  // Keyed by the compiled backend: a config reload brings new objects and so fresh probes.
  private readonly cache = new WeakMap<CompiledBackend, CachedProbe>();
  private readonly lastStatus = new Map<string, BackendState['status']>();

  constructor(private readonly catalog: ModelCatalogService) {}

  state(backend: CompiledBackend, now = Date.now()): Promise<BackendState> {
    const cached = this.cache.get(backend);
    if (cached && now - cached.at < PROBE_CACHE_MS) return cached.state;
    const state = this.probe(backend).then((s) => this.noteTransition(backend.name, s));
    this.cache.set(backend, { at: now, state });
    return state;
  }

  private async probe(backend: CompiledBackend): Promise<BackendState> {
    if (backend.missingKeyEnv) return { status: 'down', reason: 'key_missing' };
    try {
      await this.catalog.fetchIds(backend, PROBE_TIMEOUT_MS);
      return { status: 'up' };
    } catch (err) {
      return { status: 'down', reason: probeFailure(err) };
    }
  }

  private noteTransition(name: string, state: BackendState): BackendState {
    const before = this.lastStatus.get(name);
    this.lastStatus.set(name, state.status);
    if (state.status === 'down' && before !== 'down') this.logger.warn(`backend "${name}" is down (${state.reason})`);
    if (state.status === 'up' && before === 'down') this.logger.log(`backend "${name}" is up again`);
    return state;
  }
}

/** A short, address-free reason: error messages of failed connections name the host and port. */
export function probeFailure(err: unknown): string {
  const http = /^HTTP (\d{3})$/.exec((err as Error)?.message ?? '');
  if (http) return `http_${http[1]}`;
  const name = (err as { name?: string })?.name;
  if (name === 'TimeoutError') return 'timeout';
  if (err instanceof SyntaxError) return 'invalid_response';
  const kind = classifyUpstreamError(err);
  if (kind === 'aborted') return 'timeout';
  return kind === 'other' ? 'error' : kind;
}
