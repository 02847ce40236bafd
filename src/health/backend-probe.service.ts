import { Injectable, Logger } from '@nestjs/common';
import { ModelCatalogService } from '../backends/model-catalog.service';
import { classifyUpstreamError } from '../backends/upstream-error';
import { withDeadline } from '../common/deadline';
import type { CompiledBackend } from '../config/compiled-config';

export const PROBE_TIMEOUT_MS = 2_000;
export const PROBE_CACHE_MS = 10_000;

export interface BackendState {
  status: 'up' | 'down';
  /** Why it is down, as a kind (refused, timeout, http_503, key_missing, …): never an address or a key. */
  reason?: string;
}

interface CachedProbe {
  /** When the last probe started. */
  at: number;
  /** The last finished probe's answer. */
  last?: BackendState;
  running?: Promise<BackendState>;
}

/**
 * Is a backend answering? GET {base_url}/models with its own key. The 2 s timeout bounds the whole probe,
 * connecting included (a black-holed host sends nothing back, and the pool's connect timeout is longer).
 * An answer is kept 10 s so frequent readiness probes do not hammer the backends; after that the last
 * answer is still served while the next probe runs. Concurrent callers share one probe.
 */
@Injectable()
export class BackendProbeService {
  private readonly logger = new Logger('Health');
  // Keyed by the compiled backend: a config reload brings new objects and so fresh probes.
  private readonly cache = new WeakMap<CompiledBackend, CachedProbe>();
  private readonly lastStatus = new Map<string, BackendState['status']>();

  constructor(private readonly catalog: ModelCatalogService) {}

  state(backend: CompiledBackend, now = Date.now()): Promise<BackendState> {
    let entry = this.cache.get(backend);
    if (!entry) {
      entry = { at: -Infinity };
      this.cache.set(backend, entry);
    }
    if (!entry.running && now - entry.at >= PROBE_CACHE_MS) {
      const probing = entry;
      probing.at = now;
      probing.running = this.probe(backend).then((s) => {
        probing.last = this.noteTransition(backend.name, s);
        probing.running = undefined;
        return s;
      });
    }
    return entry.last ? Promise.resolve(entry.last) : (entry.running as Promise<BackendState>);
  }

  private async probe(backend: CompiledBackend): Promise<BackendState> {
    if (backend.missingKeyEnv) return { status: 'down', reason: 'key_missing' };
    try {
      await withDeadline(this.catalog.fetchIds(backend, PROBE_TIMEOUT_MS), PROBE_TIMEOUT_MS);
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
