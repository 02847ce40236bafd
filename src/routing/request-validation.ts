import type { Endpoint } from '../config/router-config';
import { badRequest } from '../common/openai-error';
import type { JsonObject } from '../common/proxy-context';
import { isObject } from '../common/json';

/** Longer names are refused: the model is logged, counted per key and echoed in errors and headers. */
export const MAX_MODEL_LENGTH = 256;

/** The few checks the router needs to route a request; everything else is the backend's to judge. */
export function validateProxyBody(endpoint: Endpoint, body: unknown): JsonObject {
  if (!isObject(body)) throw badRequest('The request body must be a JSON object.', 'invalid_body');
  if (body.model === undefined || body.model === null || body.model === '') {
    throw badRequest('You must provide a model parameter (e.g. "ollama/llama3.2").', 'missing_model', 'model');
  }
  if (typeof body.model !== 'string') throw badRequest('The "model" parameter must be a string.', 'invalid_model', 'model');
  if (body.model.length > MAX_MODEL_LENGTH) {
    throw badRequest(`The "model" parameter is too long: at most ${MAX_MODEL_LENGTH} characters.`, 'model_too_long', 'model');
  }
  if (endpoint === 'chat/completions') {
    const hasInput = body.input !== undefined;
    if (body.messages === undefined && !hasInput) {
      throw badRequest('Missing required parameter: "messages" (an array of chat messages).', 'missing_messages', 'messages');
    }
    if (body.messages !== undefined && !Array.isArray(body.messages)) {
      throw badRequest('The "messages" parameter must be an array.', 'invalid_messages', 'messages');
    }
    // A Responses-shaped body (Cursor) is converted to messages: its input must be convertible.
    const responsesShaped = hasInput && (body.messages === undefined || (body.messages as unknown[]).length === 0);
    if (responsesShaped && typeof body.input !== 'string' && !Array.isArray(body.input)) {
      throw badRequest('The "input" parameter must be a string or an array of input items.', 'invalid_input', 'input');
    }
  }
  return body;
}
