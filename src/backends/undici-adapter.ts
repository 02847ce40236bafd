import type { Readable } from 'node:stream';
import { AxiosError, AxiosHeaders, type AxiosAdapter, type AxiosInstance, type AxiosRequestConfig, type AxiosResponse, type InternalAxiosRequestConfig } from 'axios';
import { Dispatcher, request } from 'undici';

// An axios adapter on undici's connection pool. axios's own Node adapter spends most of a proxied
// request's CPU time (see the profile in README "Performance"); this one hands the request to undici
// and returns its body stream untouched, so BackendClientService keeps the axios/HttpService API.

declare module 'axios' {
  interface AxiosRequestConfig {
    /** The undici dispatcher (per-backend pool with its timeouts) to send this request through. */
    dispatcher?: Dispatcher;
  }
}

export const undiciAdapter: AxiosAdapter = async (config: InternalAxiosRequestConfig): Promise<AxiosResponse> => {
  if (!config.dispatcher) throw new AxiosError('undiciAdapter needs config.dispatcher', AxiosError.ERR_BAD_OPTION, config);
  // AxiosHeaders keeps each header as an own property: read them in place rather than through toJSON's copy.
  const headers: Record<string, string> = {};
  const given = config.headers as unknown as Record<string, unknown>;
  for (const name of Object.keys(given)) {
    const value = given[name];
    if (typeof value === 'string') headers[name] = value;
  }
  const url = config.baseURL ? config.baseURL.replace(/\/+$/, '') + config.url : (config.url as string);
  const upstream = await request(url, {
    method: (config.method ?? 'get').toUpperCase() as Dispatcher.HttpMethod,
    headers,
    body: config.data as Buffer | string | undefined,
    signal: config.signal as AbortSignal | undefined,
    dispatcher: config.dispatcher,
  });
  return {
    status: upstream.statusCode,
    statusText: '',
    // undici's names are lower-case and its values checked by its parser: copied in as they are. Given plain,
    // axios would build AxiosHeaders from them twice (transformData, then dispatchRequest), header by header.
    headers: Object.assign(new AxiosHeaders(), upstream.headers),
    data: upstream.body as unknown as Readable,
    config,
    request: undefined,
  };
};

/**
 * axios merges an instance's default headers (`common` and one object per method) into every request, key
 * by key. The router sets every header it sends itself (backend.headers), so they are emptied once; the
 * only one lost is axios's generic `Accept`, which no backend needs.
 */
export function withoutDefaultHeaders(instance: AxiosInstance): void {
  instance.defaults.headers = { common: {} } as AxiosInstance['defaults']['headers'];
}

/**
 * The HttpModule options of the upstream client (also read by the bench's ceiling app, so both use the
 * same client): bodies are relayed as streams, never parsed or decompressed; every status is relayed,
 * not thrown.
 */
export const upstreamAxiosConfig: AxiosRequestConfig = {
  adapter: undiciAdapter,
  responseType: 'stream',
  decompress: false,
  maxRedirects: 0,
  validateStatus: () => true,
  transformRequest: [],
  transformResponse: [],
};
