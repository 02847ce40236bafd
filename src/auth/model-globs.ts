// allowed_models: globs over the model name exactly as the client sent it (before alias resolution).
// `*` is the only wildcard and matches any run of characters, `/` included; everything else is literal.

export type ModelPredicate = (model: string) => boolean;

export const allowsEveryModel: ModelPredicate = () => true;

/** undefined means every model; an empty list means none. */
export function compileModelGlobs(globs: readonly string[] | undefined): ModelPredicate {
  if (globs === undefined) return allowsEveryModel;
  if (globs.length === 0) return () => false;
  const pattern = new RegExp(`^(?:${globs.map(globToRegExpSource).join('|')})$`, 's');
  return (model) => pattern.test(model);
}

function globToRegExpSource(glob: string): string {
  return glob
    .split('*')
    .map((literal) => literal.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&'))
    .join('.*');
}
