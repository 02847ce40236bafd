import type { JsonObject } from './proxy-context';

// Plain helpers over parsed JSON, shared by every folder that reads a body.

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The text of a chat message or delta: a string, or (Mistral and a few others) an array of text parts. */
export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part) => (isObject(part) && part.type === 'text' && typeof part.text === 'string' ? part.text : '')).join('');
}

/** A streamed tool call's arguments as text: a JSON string in chat; a few backends (Ollama) send the object itself. */
export function argumentsText(args: unknown): string {
  return typeof args === 'string' ? args : isObject(args) ? JSON.stringify(args) : '';
}
