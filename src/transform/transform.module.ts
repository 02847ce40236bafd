import { Module } from '@nestjs/common';
import { AliasInterceptor } from './alias.interceptor';
import { ChatCompatInterceptor } from './chat-compat.interceptor';
import { ParamStripInterceptor } from './param-strip.interceptor';
import { RoleRewriteInterceptor } from './role-rewrite.interceptor';

@Module({
  providers: [AliasInterceptor, ChatCompatInterceptor, RoleRewriteInterceptor, ParamStripInterceptor],
  exports: [AliasInterceptor, ChatCompatInterceptor, RoleRewriteInterceptor, ParamStripInterceptor],
})
export class TransformModule {}
