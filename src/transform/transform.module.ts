import { Module } from '@nestjs/common';
import { AliasTransform } from './alias.transform';
import { ChatCompatTransform } from './chat-compat.transform';
import { ParamStripTransform } from './param-strip.transform';
import { RoleRewriteTransform } from './role-rewrite.transform';
import { TransformPipelineInterceptor } from './transform-pipeline.interceptor';

const STEPS = [AliasTransform, ChatCompatTransform, RoleRewriteTransform, ParamStripTransform];

@Module({
  providers: [...STEPS, TransformPipelineInterceptor],
  exports: [...STEPS, TransformPipelineInterceptor],
})
export class TransformModule {}
