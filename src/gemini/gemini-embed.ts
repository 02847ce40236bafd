import { badRequest } from '../common/openai-error';
import type { JsonObject } from '../common/proxy-context';
import { isObject } from '../common/json';

// Gemini embeddings <-> OpenAI embeddings. batchEmbedContents {"requests":[{content, outputDimensionality}]}
// and embedContent {content, outputDimensionality} become one /embeddings call with a list of texts; the
// vectors come back as {"embeddings":[{"values":[…]}]} or {"embedding":{"values":[…]}}.

/** As OpenAI's /embeddings takes at most. */
export const MAX_EMBED_REQUESTS = 2048;

export function geminiToEmbeddings(body: JsonObject, batch: boolean): JsonObject {
  const requests = batch ? body.requests : [body];
  if (!Array.isArray(requests) || requests.length === 0) throw badRequest('requests: a non-empty array of EmbedContentRequest is required.', 'invalid_request');
  if (requests.length > MAX_EMBED_REQUESTS) throw badRequest(`requests: at most ${MAX_EMBED_REQUESTS} in one call.`, 'invalid_request');
  let dimensions: unknown;
  const input = requests.map((request, i) => {
    const path = batch ? `requests.${i}` : 'request';
    if (!isObject(request)) throw badRequest(`${path}: must be an object.`, 'invalid_request');
    if (request.outputDimensionality !== undefined) {
      if (!Number.isInteger(request.outputDimensionality) || (request.outputDimensionality as number) < 1) {
        throw badRequest(`${path}.outputDimensionality: must be a positive integer.`, 'invalid_request');
      }
      dimensions = request.outputDimensionality;
    }
    return textOfContent(request.content, `${path}.content`);
  });
  const out: JsonObject = { model: body.model, input, encoding_format: 'float' };
  if (dimensions !== undefined) out.dimensions = dimensions;
  return out;
}

function textOfContent(content: unknown, path: string): string {
  if (!isObject(content) || !Array.isArray(content.parts)) throw badRequest(`${path}: a Content with "parts" is required.`, 'invalid_request');
  return content.parts
    .map((part, j) => {
      if (!isObject(part) || typeof part.text !== 'string') throw badRequest(`${path}.parts.${j}: only text parts can be embedded.`, 'invalid_request');
      return part.text;
    })
    .join('\n');
}

/** OpenAI's {"data":[{"embedding":[…],"index":0}]} in Google's shape; vectors in input order. */
export function embeddingsToGemini(answer: JsonObject, batch: boolean): JsonObject {
  const data = Array.isArray(answer.data) ? answer.data.filter(isObject) : [];
  const ordered = [...data].sort((a, b) => (typeof a.index === 'number' && typeof b.index === 'number' ? a.index - b.index : 0));
  const embeddings = ordered.map((item) => ({ values: Array.isArray(item.embedding) ? item.embedding.filter((v) => typeof v === 'number') : [] }));
  return batch ? { embeddings } : { embedding: embeddings[0] ?? { values: [] } };
}
