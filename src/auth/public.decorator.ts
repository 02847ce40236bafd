import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'llmrouter:isPublic';

/** Routes anyone may call without a key (health probes). */
export const Public = () => SetMetadata(IS_PUBLIC, true);
