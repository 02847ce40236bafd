import { SetMetadata } from '@nestjs/common';
import type { Endpoint } from '../config/router-config';

export const PROXY_ENDPOINT = 'llmrouter:endpoint';

/** Marks a handler as a proxied OpenAI endpoint; guards and the transform pipeline read it. */
export const ProxyEndpoint = (endpoint: Endpoint) => SetMetadata(PROXY_ENDPOINT, endpoint);

export const KEY_LIMITED = 'llmrouter:keyLimited';

/**
 * Marks a route the router answers itself (count_tokens, /v1/models) that a key still pays for like a
 * proxied one: TeamAccessGuard applies the key's allow-list to the body's model and its rate limits.
 */
export const KeyLimited = () => SetMetadata(KEY_LIMITED, true);
