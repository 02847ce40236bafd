// Watches an SSE stream as it is relayed, without copying or re-encoding it: notes whether the stream
// ended properly ([DONE] or a final Responses event), spots bytes that are not an event stream of JSON
// events (an HTML error page from a proxy in the middle of a stream), and picks the token counts out of
// the usage event. Lines are checked on their bytes; only lines that mention "usage" are decoded.

import { MAX_EVENT_SIZE } from './sse-event-reader';
import { indexOfUsageKey } from './usage-key';

const NEWLINE = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;
/** The bytes a JSON value can start with: { [ " - 0-9 t f n. */
const JSON_VALUE_START = new Set(Buffer.from('{["-0123456789tfn'));
const DONE = Buffer.from('[DONE]');
const USAGE_KEY_LENGTH = '"usage"'.length;
const COMPLETED_EVENT = /^event:\s*(response\.(completed|failed|incomplete)|message_stop|error\b)/;
/** The SSE field names a line may start with (a line starting with ":" is a comment). */
const FIELDS = ['data:', 'event:', 'id:', 'retry:'].map((f) => Buffer.from(f));
const DATA = FIELDS[0];
/** An unfinished line is kept up to this size to read it when it ends; a longer one is skipped to its end. */
const MAX_CARRY = 256 * 1024;

export interface TokenUsage {
  promptTokens?: number;
  completionTokens?: number;
  totalTokens?: number;
}

export class SseMonitor {
  sawDone = false;
  sawCompletedEvent = false;
  garbage = false;
  /** An event grew past the size cap without ending (a backend that never ends an event). */
  tooLarge = false;
  usage?: TokenUsage;
  /** The unfinished last line of the previous chunk. */
  private carry: Buffer | undefined;
  /** Inside an overlong line whose head was checked: skip to its end. */
  private skipping = false;
  /** The event being read already has a data line: the next ones continue its value (multi-line data). */
  private eventHasData = false;
  /** The buffer being checked and where "usage" next occurs in it (-1: nowhere after the last search). */
  private usageIn: Buffer | undefined;
  private usageAt = -1;
  /** Stream offsets: where the chunk being checked starts, and where the event being read started. */
  private chunkStart = 0;
  private eventStart = 0;

  constructor(private readonly maxEventSize = MAX_EVENT_SIZE) {}

  /**
   * Inspects one chunk; returns how many of its bytes are sound. Less than its length means the stream
   * went bad at that offset: the bytes before it are whole events that may still be relayed.
   */
  push(chunk: Buffer): number {
    const sound = this.checkChunk(chunk);
    const chunkStart = this.chunkStart;
    this.chunkStart += chunk.length;
    // Lines are not kept past MAX_CARRY, but an event's lines are relayed as they come: without a cap, an
    // event that never ends would stream to the client for ever.
    if (sound === chunk.length && this.chunkStart - this.eventStart > this.maxEventSize) {
      this.tooLarge = true;
      return Math.max(0, this.eventStart - chunkStart);
    }
    return sound;
  }

  private checkChunk(chunk: Buffer): number {
    this.usageIn = undefined;
    let start = 0;
    if (this.skipping) {
      const nl = chunk.indexOf(NEWLINE);
      if (nl === -1) return chunk.length;
      this.skipping = false;
      start = nl + 1;
    }
    let buf = chunk;
    let carried = 0;
    if (this.carry) {
      carried = this.carry.length;
      buf = Buffer.concat([this.carry, chunk.subarray(start)]);
      this.carry = undefined;
      start = 0;
    }
    // Offsets in `buf` map to the chunk by removing the carried bytes (a bad carried line is at 0).
    const toChunk = (offset: number) => Math.max(0, offset - carried);
    while (start < buf.length) {
      if (buf[start] === NEWLINE) {
        // The blank line that ends an event, right after its last line: no search for it.
        this.eventHasData = false;
        start++;
        this.eventStart = this.chunkStart + start - carried;
        continue;
      }
      const nl = buf.indexOf(NEWLINE, start);
      if (nl === -1) break;
      if (!this.checkLine(buf, start, nl)) return toChunk(start);
      // A blank line ending in CR LF ends the event too.
      if (nl === start + 1 && buf[start] === CR) this.eventStart = this.chunkStart + nl + 1 - carried;
      start = nl + 1;
    }
    if (start < buf.length) {
      if (!lineHeadValid(buf, start, buf.length, !this.eventHasData, false)) {
        this.garbage = true;
        return toChunk(start);
      }
      if (buf.length - start <= MAX_CARRY) this.carry = Buffer.from(buf.subarray(start));
      else this.skipping = true;
    }
    return chunk.length;
  }

  /** A stream that ends without its terminator was cut short upstream. */
  get complete(): boolean {
    return this.sawDone || this.sawCompletedEvent;
  }

  /** Checks the line buf[start, end) on its bytes, without a Buffer object per line. */
  private checkLine(buf: Buffer, start: number, end: number): boolean {
    let lineEnd = end;
    if (lineEnd > start && buf[lineEnd - 1] === CR) lineEnd--;
    if (lineEnd === start) {
      this.eventHasData = false;
      return true;
    }
    if (!lineHeadValid(buf, start, lineEnd, !this.eventHasData, true)) {
      this.garbage = true;
      return false;
    }
    if (buf[start] === 0x64 /* d */) {
      this.eventHasData = true;
      const payload = dataPayloadStart(buf, start);
      if (startsWith(buf, payload, lineEnd, DONE)) this.sawDone = true;
      else if (this.mentionsUsage(buf, payload, lineEnd)) this.readUsage(buf.subarray(start, lineEnd), payload - start);
    } else if (buf[start] === 0x65 /* e */ && COMPLETED_EVENT.test(buf.toString('latin1', start, Math.min(lineEnd, start + 40)))) {
      this.sawCompletedEvent = true;
    }
    return true;
  }

  /**
   * Whether "usage" occurs in buf[from, end). The next occurrence in the buffer is searched once and kept,
   * so a buffer of many lines is scanned once, not once per line.
   */
  private mentionsUsage(buf: Buffer, from: number, end: number): boolean {
    if (this.usageIn !== buf || (this.usageAt !== -1 && this.usageAt < from)) {
      this.usageIn = buf;
      this.usageAt = indexOfUsageKey(buf, from);
    }
    return this.usageAt !== -1 && this.usageAt + USAGE_KEY_LENGTH <= end;
  }

  private readUsage(line: Buffer, payload: number): void {
    try {
      const event = JSON.parse(line.toString('utf8', payload)) as { usage?: unknown; response?: { usage?: unknown }; message?: { usage?: unknown } };
      const usage = readTokenUsage(event.usage ?? event.response?.usage ?? event.message?.usage);
      if (!usage) return;
      if (usage.promptTokens !== undefined && usage.completionTokens !== undefined) {
        this.usage = usage;
        return;
      }
      // Anthropic streams give input tokens in message_start and output tokens in message_delta.
      const promptTokens = usage.promptTokens ?? this.usage?.promptTokens;
      const completionTokens = usage.completionTokens ?? this.usage?.completionTokens;
      this.usage = { promptTokens, completionTokens, totalTokens: (promptTokens ?? 0) + (completionTokens ?? 0) };
    } catch {
      // Not JSON: not ours to judge; the client sees the bytes as they came.
    }
  }
}

/**
 * Whether the line buf[start, end) (or the head of an unfinished one) can be part of an event stream of
 * JSON events: a comment, a known field, and for an event's first `data:` a JSON value ([DONE] included).
 * `complete`: the line has ended (its whole payload is in the buffer).
 */
function lineHeadValid(buf: Buffer, start: number, end: number, requireJson: boolean, complete: boolean): boolean {
  const first = buf[start];
  if (first === 0x3a /* : */) return true;
  const field = first === 0x64 ? DATA : first === 0x65 ? FIELDS[1] : first === 0x69 ? FIELDS[2] : first === 0x72 ? FIELDS[3] : undefined;
  if (!field) return false;
  const n = Math.min(end - start, field.length);
  for (let i = 1; i < n; i++) if (buf[start + i] !== field[i]) return false;
  if (field !== DATA || !requireJson || end - start <= field.length) return true;
  const payload = dataPayloadStart(buf, start);
  // The fast path, for the shape every backend sends: "data: {" or "data: [".
  if (payload >= end || buf[payload] === 0x7b /* { */ || buf[payload] === 0x5b /* [ */) return true;
  return payloadCanBeJson(buf, payload, end, complete);
}

/**
 * The slow path, for what the fast one does not recognise: JSON allows whitespace before a value and
 * scalars as values, so the payload is bad only when it cannot be JSON. A complete line is parsed; the
 * head of an unfinished one only has to start like a JSON value.
 */
function payloadCanBeJson(buf: Buffer, payload: number, end: number, complete: boolean): boolean {
  let at = payload;
  while (at < end && (buf[at] === SPACE || buf[at] === TAB || buf[at] === CR)) at++;
  if (at >= end) return true;
  if (!JSON_VALUE_START.has(buf[at])) return false;
  if (buf[at] === 0x7b || buf[at] === 0x5b || !complete) return true;
  try {
    JSON.parse(buf.toString('utf8', at, end));
    return true;
  } catch {
    return false;
  }
}

/** Where a data line's value starts: after "data:" and one optional space. */
function dataPayloadStart(buf: Buffer, start: number): number {
  return buf[start + DATA.length] === SPACE ? start + DATA.length + 1 : start + DATA.length;
}

/** Whether buf[at, end) starts with `word`. */
function startsWith(buf: Buffer, at: number, end: number, word: Buffer): boolean {
  if (end - at < word.length) return false;
  for (let i = 0; i < word.length; i++) if (buf[at + i] !== word[i]) return false;
  return true;
}

/** Chat/Completions usage or Responses usage (input_tokens/output_tokens). */
export function readTokenUsage(usage: unknown): TokenUsage | undefined {
  if (typeof usage !== 'object' || usage === null) return undefined;
  const u = usage as Record<string, unknown>;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const promptTokens = num(u.prompt_tokens) ?? num(u.input_tokens);
  const completionTokens = num(u.completion_tokens) ?? num(u.output_tokens);
  const totalTokens = num(u.total_tokens) ?? (promptTokens ?? 0) + (completionTokens ?? 0);
  return { promptTokens, completionTokens, totalTokens };
}
