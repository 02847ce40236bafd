import { SetMetadata } from '@nestjs/common';
import type { Endpoint } from '../config/router-config';

export const PROXY_ENDPOINT = 'llmrouter:endpoint';

/** Marks a handler as a proxied OpenAI endpoint; guards and the transform pipeline read it. */
export const ProxyEndpoint = (endpoint: Endpoint) => SetMetadata(PROXY_ENDPOINT, endpoint);
