import { applyDecorators, Post, SetMetadata, UseInterceptors } from '@nestjs/common';
import type { Endpoint } from '../config/router-config';
import { AliasInterceptor } from '../transform/alias.interceptor';
import { ChatCompatInterceptor } from '../transform/chat-compat.interceptor';
import { ParamStripInterceptor } from '../transform/param-strip.interceptor';
import { RoleRewriteInterceptor } from '../transform/role-rewrite.interceptor';
import { PROXY_ENDPOINT, RequestContextInterceptor } from './request-context.interceptor';

/**
 * A proxied OpenAI endpoint, served with and without the /v1 prefix, with the transform pipeline:
 * context -> alias -> chat-compat (Responses-shaped bodies, tools) -> role rewrites -> parameter stripping
 * (the last three run per target, as it is tried; chat-compat first so role rewrites see converted messages).
 */
export const ProxyRoute = (endpoint: Endpoint) =>
  applyDecorators(
    Post([`v1/${endpoint}`, endpoint]),
    SetMetadata(PROXY_ENDPOINT, endpoint),
    UseInterceptors(RequestContextInterceptor, AliasInterceptor, ChatCompatInterceptor, RoleRewriteInterceptor, ParamStripInterceptor),
  );
