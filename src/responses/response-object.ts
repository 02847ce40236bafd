import { randomBytes } from 'node:crypto';
import type { JsonObject } from '../common/proxy-context';
import { isObject, textOf } from '../common/json';
import { clientCallItem, type ClientTools } from './client-tools';

export { customInput } from './client-tools';

// Pure builders of the Responses API's answer objects from a Chat Completions answer: the response
// envelope with the request's echoed fields, its output items, and usage. Shared by the JSON
// converter (below) and the stream translator.

/** What a bridged answer needs to know about its request. */
export interface ResponseRequest {
  id: string;
  createdAt: number;
  /** The model as the client named it. */
  model: string;
  body: JsonObject;
  /** The client's tools by their chat name: a call comes back as the kind of tool the client declared. */
  tools: ClientTools;
}

export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(24).toString('hex')}`;
}

export function newResponseRequest(body: JsonObject, model: string, tools: ClientTools): ResponseRequest {
  return { id: newId('resp'), createdAt: Math.floor(Date.now() / 1000), model, body, tools };
}

/** The response object with the request's parameters echoed as OpenAI returns them. */
export function responseEnvelope(req: ResponseRequest, status: string, output: JsonObject[], usage: JsonObject | null): JsonObject {
  const b = req.body;
  const reasoning = isObject(b.reasoning) ? b.reasoning : {};
  return {
    id: req.id,
    object: 'response',
    created_at: req.createdAt,
    status,
    background: false,
    error: null,
    incomplete_details: null,
    instructions: b.instructions ?? null,
    max_output_tokens: b.max_output_tokens ?? null,
    max_tool_calls: b.max_tool_calls ?? null,
    model: req.model,
    output,
    parallel_tool_calls: b.parallel_tool_calls ?? true,
    previous_response_id: b.previous_response_id ?? null,
    reasoning: { effort: reasoning.effort ?? null, summary: reasoning.summary ?? null },
    store: b.store ?? true,
    temperature: b.temperature ?? 1,
    text: b.text ?? { format: { type: 'text' } },
    tool_choice: b.tool_choice ?? 'auto',
    tools: b.tools ?? [],
    top_p: b.top_p ?? 1,
    truncation: b.truncation ?? 'disabled',
    usage,
    user: b.user ?? null,
    metadata: b.metadata ?? {},
  };
}

/** Chat usage -> Responses usage, details included where the backend gave them; null without usage. */
export function responseUsage(usage: unknown): JsonObject | null {
  if (!isObject(usage)) return null;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  const input = num(usage.prompt_tokens);
  const output = num(usage.completion_tokens);
  const inDetails = isObject(usage.prompt_tokens_details) ? usage.prompt_tokens_details : {};
  const outDetails = isObject(usage.completion_tokens_details) ? usage.completion_tokens_details : {};
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: num(inDetails.cached_tokens) },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: num(outDetails.reasoning_tokens) },
    total_tokens: typeof usage.total_tokens === 'number' ? usage.total_tokens : input + output,
  };
}

/** Why a response is incomplete, from the chat finish_reason; undefined when it is complete. */
export function incompleteReason(finishReason: unknown): string | undefined {
  if (finishReason === 'length') return 'max_output_tokens';
  if (finishReason === 'content_filter') return 'content_filter';
  return undefined;
}

/** Sets status and incomplete_details of a finished response. */
export function finish(response: JsonObject, finishReason: unknown): JsonObject {
  const reason = incompleteReason(finishReason);
  response.status = reason ? 'incomplete' : 'completed';
  if (reason) response.incomplete_details = { reason };
  return response;
}

export function reasoningItem(id: string, text: string): JsonObject {
  return { type: 'reasoning', id, summary: text ? [{ type: 'summary_text', text }] : [] };
}

export function textPart(text: string): JsonObject {
  return { type: 'output_text', text, annotations: [], logprobs: [] };
}

export function messageItem(id: string, status: string, content: JsonObject[]): JsonObject {
  return { type: 'message', id, status, role: 'assistant', content };
}

/** A chat tool call -> the call item of the tool the client declared (function_call, custom_tool_call, tool_search_call). */
export function toolCallItem(req: ResponseRequest, id: string, callId: string, name: string, args: string, status: string): JsonObject {
  const item = clientCallItem(req.tools, name, callId, args);
  return { type: item.type, id, ...item, status };
}

/** The id prefix of a call item of chat function `name`. */
export function toolCallIdPrefix(req: ResponseRequest, name: string): string {
  const kind = req.tools.get(name)?.kind;
  return kind === 'custom' ? 'ctc' : kind === 'tool_search' ? 'tsc' : 'fc';
}

/** The reasoning text of a chat message or delta (vLLM/DeepSeek: reasoning_content, Ollama/Groq: reasoning). */
export function reasoningText(message: JsonObject): string | undefined {
  const text = message.reasoning_content ?? message.reasoning;
  return typeof text === 'string' ? text : undefined;
}

/** A chat.completion -> a Responses object. */
export function chatJsonToResponse(chat: JsonObject, req: ResponseRequest): JsonObject {
  const choice = Array.isArray(chat.choices) && isObject(chat.choices[0]) ? chat.choices[0] : {};
  const message = isObject(choice.message) ? choice.message : {};
  const itemStatus = incompleteReason(choice.finish_reason) ? 'incomplete' : 'completed';
  const output: JsonObject[] = [];
  const reasoning = reasoningText(message);
  if (reasoning) output.push(reasoningItem(newId('rs'), reasoning));
  const content: JsonObject[] = [];
  const text = textOf(message.content);
  if (text !== '') content.push(textPart(text));
  if (typeof message.refusal === 'string' && message.refusal !== '') content.push({ type: 'refusal', refusal: message.refusal });
  if (content.length > 0) output.push(messageItem(newId('msg'), itemStatus, content));
  if (Array.isArray(message.tool_calls)) {
    for (const call of message.tool_calls) {
      if (!isObject(call) || !isObject(call.function)) continue;
      const fn = call.function;
      const args = typeof fn.arguments === 'string' ? fn.arguments : JSON.stringify(fn.arguments ?? {});
      const callId = typeof call.id === 'string' && call.id ? call.id : newId('call');
      output.push(toolCallItem(req, newId(toolCallIdPrefix(req, String(fn.name ?? ''))), callId, String(fn.name ?? ''), args, 'completed'));
    }
  }
  return finish(responseEnvelope(req, 'completed', output, responseUsage(chat.usage)), choice.finish_reason);
}
