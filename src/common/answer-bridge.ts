import type { JsonObject } from './proxy-context';

// Provisional copy of the lead's bridge-hook shape (TEAM.md), replaced by main's file when it lands.

export interface StreamTranslator {
  push(chunk: unknown): string;
  end(): string;
  fail(message: string, code?: string): string;
}

export interface AnswerBridge {
  dialect: 'openai' | 'anthropic';
  toChatBody(body: JsonObject): JsonObject;
  fromChatJson(chat: unknown): unknown;
  streamTranslator(): StreamTranslator;
  keepAlive: string;
}
