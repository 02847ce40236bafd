import { Module } from '@nestjs/common';
import { AliasInterceptor } from './alias.interceptor';
import { ParamStripInterceptor } from './param-strip.interceptor';
import { RoleRewriteInterceptor } from './role-rewrite.interceptor';

@Module({
  providers: [AliasInterceptor, RoleRewriteInterceptor, ParamStripInterceptor],
  exports: [AliasInterceptor, RoleRewriteInterceptor, ParamStripInterceptor],
})
export class TransformModule {}
