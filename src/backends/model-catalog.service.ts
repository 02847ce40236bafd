import type { Readable } from 'node:stream';
import { HttpService } from '@nestjs/axios';
import { Injectable, Logger } from '@nestjs/common';
import { withDeadline } from '../common/deadline';
import type { CompiledBackend, RouterConfig } from '../config/compiled-config';
import { modelIdOf } from './google-model';
import { UpstreamPoolsService } from './upstream-pools.service';

export interface ModelEntry {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}

const LIST_TIMEOUT_MS = 5_000;
const MAX_LIST_BYTES = 4 * 1024 * 1024;
/** How long one fan-out to the backends answers GET /v1/models (a reload starts a new one at once). */
export const MODEL_LIST_TTL_MS = 10_000;

/**
 * GET /v1/models: the aliases plus every backend's own list with its prefix added, fetched concurrently.
 * Kept briefly per config, so clients polling it (and many at once) cause one fan-out with the provider keys.
 */
@Injectable()
export class ModelCatalogService {
  private readonly logger = new Logger('ModelCatalog');
  private cached?: { config: RouterConfig; at: number; entries: Promise<ModelEntry[]> };

  constructor(
    private readonly http: HttpService,
    private readonly pools: UpstreamPoolsService,
  ) {}

  list(config: RouterConfig): Promise<ModelEntry[]> {
    const now = Date.now();
    // A reload gives a new config object: its list is fetched anew.
    if (this.cached?.config !== config || now - this.cached.at >= MODEL_LIST_TTL_MS) {
      this.cached = { config, at: now, entries: this.fetchAll(config) };
    }
    return this.cached.entries;
  }

  private async fetchAll(config: RouterConfig): Promise<ModelEntry[]> {
    const lists = await Promise.all(config.backends.map((b) => this.backendModels(b)));
    const entries: ModelEntry[] = [];
    const seen = new Set<string>();
    const add = (entry: ModelEntry) => {
      if (!seen.has(entry.id)) {
        seen.add(entry.id);
        entries.push(entry);
      }
    };
    for (const alias of config.aliases.keys()) add({ id: alias, object: 'model', created: 0, owned_by: 'llm-router-alias' });
    for (const list of lists) list.forEach(add);
    return entries;
  }

  /** One backend's models as `prefix/model`; a backend that fails is logged and left out. */
  async backendModels(backend: CompiledBackend, timeoutMs = LIST_TIMEOUT_MS): Promise<ModelEntry[]> {
    if (backend.missingKeyEnv) return [];
    try {
      const ids = await withDeadline(this.fetchIds(backend, timeoutMs), timeoutMs);
      return ids.map((id) => ({ id: `${backend.prefix}${id}`, object: 'model', created: 0, owned_by: backend.name }));
    } catch (err) {
      this.logger.warn(`could not list models of backend "${backend.name}": ${(err as Error).message}`);
      return [];
    }
  }

  /** Raw model ids from `{base_url}/models`; throws when the backend does not answer 200 in time. */
  async fetchIds(backend: CompiledBackend, timeoutMs: number): Promise<string[]> {
    const response = await this.http.axiosRef.request<Readable>({
      url: `${backend.baseUrl}/models`,
      method: 'GET',
      headers: backend.hasApiKey ? listHeaders(backend) : {},
      signal: AbortSignal.timeout(timeoutMs),
      dispatcher: this.pools.poolFor(backend),
    });
    const text = await readAll(response.data, MAX_LIST_BYTES);
    if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
    const parsed = JSON.parse(text) as { data?: Array<{ id?: unknown }>; models?: Array<{ name?: unknown }> };
    // OpenAI's {"data":[{"id"}]}, or Google's {"models":[{"name":"models/…"}]} from a Gemini API backend.
    if (Array.isArray(parsed.data)) return parsed.data.map((m) => m?.id).filter(isString);
    return Array.isArray(parsed.models) ? parsed.models.map((m) => m?.name).filter(isString).map(modelIdOf) : [];
  }
}

/** A backend that serves only the Gemini API (Google AI Studio) takes its key as x-goog-api-key, not Bearer. */
function listHeaders(backend: CompiledBackend): Record<string, string> {
  const geminiOnly = backend.endpoints.has('gemini') && !backend.endpoints.has('chat/completions');
  if (geminiOnly) return { 'x-goog-api-key': backend.geminiHeaders['x-goog-api-key'] };
  return { authorization: backend.headers.authorization as string };
}

async function readAll(stream: Readable, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      stream.destroy();
      throw new Error('model list too large');
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}
