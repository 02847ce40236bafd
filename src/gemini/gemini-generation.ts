import { badRequest } from '../common/openai-error';
import type { JsonObject } from '../common/proxy-context';
import { reasoningEffortFor } from '../messages/messages-request';
import { isObject } from '../common/json';
import { checkedJsonSchema, geminiSchemaToJsonSchema } from './gemini-schema';

// Gemini generationConfig -> chat sampling parameters, answer format and reasoning effort. top_k goes as
// it is: backends that refuse it (OpenAI) list it in their unsupported_params.

const NUMBERS: Record<string, string> = {
  temperature: 'temperature',
  topP: 'top_p',
  topK: 'top_k',
  presencePenalty: 'presence_penalty',
  frequencyPenalty: 'frequency_penalty',
};
const INTEGERS: Record<string, string> = { maxOutputTokens: 'max_tokens', candidateCount: 'n', seed: 'seed' };
const LEVELS: Record<string, string> = { MINIMAL: 'minimal', LOW: 'low', MEDIUM: 'medium', HIGH: 'high' };

export function generationToChat(config: unknown): JsonObject {
  if (config === undefined || config === null) return {};
  if (!isObject(config)) throw badRequest('generationConfig: must be an object.', 'invalid_request');
  const out: JsonObject = {};
  for (const [key, chatKey] of Object.entries(NUMBERS)) {
    if (config[key] === undefined || config[key] === null) continue;
    if (typeof config[key] !== 'number') throw badRequest(`generationConfig.${key}: must be a number.`, 'invalid_request');
    out[chatKey] = config[key];
  }
  for (const [key, chatKey] of Object.entries(INTEGERS)) {
    if (config[key] === undefined || config[key] === null) continue;
    if (!Number.isInteger(config[key])) throw badRequest(`generationConfig.${key}: must be an integer.`, 'invalid_request');
    out[chatKey] = config[key];
  }
  if (config.stopSequences !== undefined) {
    const stop = config.stopSequences;
    if (!Array.isArray(stop) || !stop.every((s) => typeof s === 'string')) {
      throw badRequest('generationConfig.stopSequences: must be an array of strings.', 'invalid_request');
    }
    if (stop.length > 0) out.stop = stop;
  }
  const format = responseFormat(config);
  if (format) out.response_format = format;
  const effort = reasoningEffort(config.thinkingConfig);
  if (effort) out.reasoning_effort = effort;
  return out;
}

function responseFormat(config: JsonObject): JsonObject | undefined {
  const mime = config.responseMimeType;
  if (mime !== undefined && typeof mime !== 'string') throw badRequest('generationConfig.responseMimeType: must be a string.', 'invalid_request');
  const schema =
    config.responseJsonSchema !== undefined && config.responseJsonSchema !== null
      ? checkedJsonSchema(config.responseJsonSchema, 'generationConfig.responseJsonSchema')
      : config.responseSchema !== undefined && config.responseSchema !== null
        ? geminiSchemaToJsonSchema(config.responseSchema, 'generationConfig.responseSchema')
        : undefined;
  if (schema) return { type: 'json_schema', json_schema: { name: 'response', schema } };
  return mime === 'application/json' ? { type: 'json_object' } : undefined;
}

/** thinkingLevel as it is; a thinking budget as chat's effort (0 and -1, "off" and "dynamic", leave the default). */
function reasoningEffort(thinking: unknown): string | undefined {
  if (thinking === undefined || thinking === null) return undefined;
  if (!isObject(thinking)) throw badRequest('generationConfig.thinkingConfig: must be an object.', 'invalid_request');
  if (thinking.thinkingLevel !== undefined) {
    if (typeof thinking.thinkingLevel !== 'string') throw badRequest('generationConfig.thinkingConfig.thinkingLevel: must be a string.', 'invalid_request');
    return LEVELS[thinking.thinkingLevel.toUpperCase()];
  }
  if (thinking.thinkingBudget !== undefined) {
    if (!Number.isInteger(thinking.thinkingBudget)) throw badRequest('generationConfig.thinkingConfig.thinkingBudget: must be an integer.', 'invalid_request');
    if ((thinking.thinkingBudget as number) > 0) return reasoningEffortFor(thinking.thinkingBudget as number);
  }
  return undefined;
}
