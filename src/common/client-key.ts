/** A client key as the router knows it: found by ClientKeyService, set on the request by ApiKeyGuard. */
export interface ClientKey {
  name: string;
  /** Globs over the model name as the client sent it; undefined means every model. */
  allowedModels?: readonly string[];
  /** allowedModels compiled once (auth/model-globs.ts). */
  allowsModel: (model: string) => boolean;
  requestsPerMinute?: number;
  tokensPerMinute?: number;
}
