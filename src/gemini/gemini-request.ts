import { badRequest } from '../common/openai-error';
import type { JsonObject } from '../common/proxy-context';
import { withinDepth } from '../messages/messages-request';
import { isObject } from '../common/json';
import { generationToChat } from './gemini-generation';
import { chatToolChoice, chatTools } from './gemini-tools';

// Gemini generateContent request -> Chat Completions request, for backends that speak only chat. Pure:
// the body is read, never changed; every field read is checked for its type. Gemini-only fields
// (safetySettings, cachedContent, labels) are accepted and not forwarded; thought parts of earlier turns
// are dropped (a chat backend has no place for them), as is a part's thoughtSignature.

/** A tool call of an earlier model turn, waiting for its functionResponse. */
interface PendingCall {
  id: string;
  name: string;
}

/** `stream`: the client asked for streamGenerateContent (a Gemini body does not say it). */
export function geminiToChat(body: JsonObject, stream: boolean): JsonObject {
  return withinDepth(() => convert(body, stream));
}

function convert(body: JsonObject, stream: boolean): JsonObject {
  const messages = [...systemMessages(body.systemInstruction), ...chatMessages(body.contents)];
  const out: JsonObject = { model: body.model, messages };
  const tools = chatTools(body.tools, body.toolConfig);
  if (tools.length > 0) {
    out.tools = tools;
    Object.assign(out, chatToolChoice(body.toolConfig));
  }
  Object.assign(out, generationToChat(body.generationConfig));
  if (stream) {
    out.stream = true;
    out.stream_options = { include_usage: true };
  }
  return out;
}

function systemMessages(instruction: unknown): JsonObject[] {
  if (instruction === undefined || instruction === null) return [];
  const text = typeof instruction === 'string' ? instruction : textOfContent(instruction, 'systemInstruction');
  return text === '' ? [] : [{ role: 'system', content: text }];
}

/** The text parts of a Content, joined; anything else in it is refused. */
function textOfContent(content: unknown, path: string): string {
  if (!isObject(content) || !Array.isArray(content.parts)) throw badRequest(`${path}: must be a Content with "parts".`, 'invalid_request');
  return content.parts
    .map((part, i) => {
      if (!isObject(part) || (part.text !== undefined && typeof part.text !== 'string')) {
        throw badRequest(`${path}.parts.${i}: only text parts are allowed here.`, 'invalid_request');
      }
      return part.thought === true ? '' : ((part.text as string | undefined) ?? '');
    })
    .filter((t) => t !== '')
    .join('\n\n');
}

function chatMessages(contents: unknown): JsonObject[] {
  if (typeof contents === 'string') return [{ role: 'user', content: contents }];
  if (!Array.isArray(contents) || contents.length === 0) {
    throw badRequest('contents: a non-empty array of Content is required.', 'invalid_request');
  }
  const out: JsonObject[] = [];
  let pending: PendingCall[] = [];
  contents.forEach((content, i) => {
    const path = `contents.${i}`;
    if (!isObject(content)) throw badRequest(`${path}: must be an object.`, 'invalid_request');
    if (!Array.isArray(content.parts)) throw badRequest(`${path}.parts: an array of parts is required.`, 'invalid_request');
    const role = content.role ?? 'user';
    if (role === 'model') {
      pending = modelTurn(content.parts, path, i, out);
    } else if (role === 'user' || role === 'function' || role === 'tool') {
      userTurn(content.parts, path, pending, out);
      pending = [];
    } else {
      throw badRequest(`${path}.role: must be "user" or "model".`, 'invalid_request');
    }
  });
  return out;
}

/** A part of a turn, checked: undefined for a thought part (dropped); a `text` present is a string. */
function turnPart(part: unknown, at: string): JsonObject | undefined {
  if (!isObject(part)) throw badRequest(`${at}: must be an object.`, 'invalid_request');
  if (part.thought === true) return undefined;
  if (part.text !== undefined && typeof part.text !== 'string') throw badRequest(`${at}.text: must be a string.`, 'invalid_request');
  return part;
}

function modelTurn(parts: unknown[], path: string, turn: number, out: JsonObject[]): PendingCall[] {
  const texts: string[] = [];
  const calls: JsonObject[] = [];
  const pending: PendingCall[] = [];
  parts.forEach((raw, j) => {
    const at = `${path}.parts.${j}`;
    const part = turnPart(raw, at);
    if (!part) return;
    if (typeof part.text === 'string' && part.text !== '') texts.push(part.text);
    if (part.functionCall !== undefined) {
      const call = part.functionCall;
      if (!isObject(call) || typeof call.name !== 'string' || call.name === '') {
        throw badRequest(`${at}.functionCall: needs a string "name".`, 'invalid_request');
      }
      if (call.args !== undefined && !isObject(call.args)) throw badRequest(`${at}.functionCall.args: must be an object.`, 'invalid_request');
      if (call.id !== undefined && typeof call.id !== 'string') throw badRequest(`${at}.functionCall.id: must be a string.`, 'invalid_request');
      // Gemini may leave calls without ids; chat needs one to pair each call with its result.
      const id = typeof call.id === 'string' && call.id !== '' ? call.id : `call_${turn}_${j}`;
      pending.push({ id, name: call.name });
      calls.push({ id, type: 'function', function: { name: call.name, arguments: JSON.stringify(call.args ?? {}) } });
    }
  });
  if (texts.length === 0 && calls.length === 0) return pending;
  const message: JsonObject = { role: 'assistant', content: texts.length > 0 ? texts.join('') : null };
  if (calls.length > 0) message.tool_calls = calls;
  out.push(message);
  return pending;
}

function userTurn(parts: unknown[], path: string, pending: PendingCall[], out: JsonObject[]): void {
  const content: JsonObject[] = [];
  const open = [...pending];
  parts.forEach((raw, j) => {
    const at = `${path}.parts.${j}`;
    const part = turnPart(raw, at);
    if (!part) return;
    if (typeof part.text === 'string') {
      if (part.text !== '') content.push({ type: 'text', text: part.text });
    } else if (part.inlineData !== undefined) {
      content.push(inlineData(part.inlineData, `${at}.inlineData`));
    } else if (part.fileData !== undefined) {
      content.push(fileData(part.fileData, `${at}.fileData`));
    } else if (part.functionResponse !== undefined) {
      // Tool results go first, right after the assistant's calls, as chat wants them.
      out.push(toolMessage(part.functionResponse, `${at}.functionResponse`, open));
    }
  });
  if (content.length === 0) return;
  const onlyText = content.every((c) => c.type === 'text');
  out.push({ role: 'user', content: onlyText ? content.map((c) => c.text).join('') : content });
}

function toolMessage(response: unknown, path: string, open: PendingCall[]): JsonObject {
  if (!isObject(response) || typeof response.name !== 'string') throw badRequest(`${path}: needs a string "name".`, 'invalid_request');
  if (response.id !== undefined && typeof response.id !== 'string') throw badRequest(`${path}.id: must be a string.`, 'invalid_request');
  // By id when it matches a call; else the oldest open call of that name (clients rename or drop ids).
  let at = open.findIndex((c) => c.id === response.id);
  if (at < 0) at = open.findIndex((c) => c.name === response.name);
  const id = at >= 0 ? open.splice(at, 1)[0].id : typeof response.id === 'string' && response.id !== '' ? response.id : `call_${response.name}`;
  const result = response.response;
  const text = isObject(result) && typeof result.output === 'string' && Object.keys(result).length === 1 ? result.output : JSON.stringify(result ?? {});
  return { role: 'tool', tool_call_id: id, content: text };
}

function inlineData(data: unknown, path: string): JsonObject {
  if (!isObject(data) || typeof data.mimeType !== 'string' || typeof data.data !== 'string') {
    throw badRequest(`${path}: needs string "mimeType" and base64 "data".`, 'invalid_request');
  }
  const url = `data:${data.mimeType};base64,${data.data}`;
  if (data.mimeType.startsWith('image/')) return { type: 'image_url', image_url: { url } };
  return { type: 'file', file: { filename: 'file', file_data: url } };
}

function fileData(data: unknown, path: string): JsonObject {
  if (!isObject(data) || typeof data.fileUri !== 'string') throw badRequest(`${path}: needs a string "fileUri".`, 'invalid_request');
  if (typeof data.mimeType === 'string' && !data.mimeType.startsWith('image/')) {
    throw badRequest(`${path}: only images can be given by URI to this backend; send other files as inlineData.`, 'invalid_request');
  }
  return { type: 'image_url', image_url: { url: data.fileUri } };
}
