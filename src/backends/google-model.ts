import type { ModelEntry } from './model-catalog.service';

// The model list in Google's shape (GET /v1beta/models, and GET /v1/models for the Gen AI SDK, whose default
// API version is v1): the router's models (aliases and every backend's, with prefix), each as a Model a
// Gemini client can call.

const METHODS = ['generateContent', 'streamGenerateContent', 'countTokens', 'embedContent', 'batchEmbedContents'];

export function geminiModel(entry: ModelEntry): Record<string, unknown> {
  return {
    name: `models/${entry.id}`,
    baseModelId: entry.id,
    version: '001',
    displayName: entry.id,
    description: entry.owned_by === 'llm-router-alias' ? 'An LLM-router alias.' : `Served by backend "${entry.owned_by}" through LLM-router.`,
    supportedGenerationMethods: METHODS,
  };
}

/** The id a client names in GET models/{model}: with or without the "models/" it may repeat. */
export function modelIdOf(name: string): string {
  return name.startsWith('models/') ? name.slice('models/'.length) : name;
}
