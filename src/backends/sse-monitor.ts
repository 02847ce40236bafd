// Watches an SSE stream as it is relayed, without copying or re-encoding it: notes whether the stream
// ended properly ([DONE] or a final Responses event), spots bytes that are not SSE at all, and picks the
// token counts out of the usage chunk. Only lines that mention "usage" are decoded.

const NEWLINE = 0x0a;
const DONE = Buffer.from('data: [DONE]');
const USAGE = Buffer.from('"usage"');
const VALID_LINE_STARTS = ['data:', 'event:', 'id:', 'retry:', ':'];
const MAX_CARRY = 1 << 20;

export interface TokenUsage {
  promptTokens?: number;
  completionTokens?: number;
  totalTokens?: number;
}

export class SseMonitor {
  sawDone = false;
  sawCompletedEvent = false;
  garbage = false;
  usage?: TokenUsage;
  /** The unfinished last line of the previous chunk. */
  private carry: Buffer | undefined;

  /** Inspects one chunk; returns false when the chunk holds bytes that are not SSE. */
  push(chunk: Buffer): boolean {
    let start = 0;
    let buf = chunk;
    if (this.carry) {
      buf = Buffer.concat([this.carry, chunk]);
      this.carry = undefined;
    }
    for (;;) {
      const nl = buf.indexOf(NEWLINE, start);
      if (nl === -1) break;
      if (!this.checkLine(buf, start, nl)) return false;
      start = nl + 1;
    }
    if (start < buf.length) {
      // Keep the start of an unfinished line; an overlong line is checked by its head only.
      const rest = buf.subarray(start);
      if (!this.lineHeadValid(rest)) {
        this.garbage = true;
        return false;
      }
      this.carry = rest.length <= MAX_CARRY ? Buffer.from(rest) : undefined;
    }
    return true;
  }

  /** A stream that ends without its terminator was cut short upstream. */
  get complete(): boolean {
    return this.sawDone || this.sawCompletedEvent;
  }

  private checkLine(buf: Buffer, start: number, end: number): boolean {
    let lineEnd = end;
    if (lineEnd > start && buf[lineEnd - 1] === 0x0d) lineEnd--;
    if (lineEnd === start) return true;
    const line = buf.subarray(start, lineEnd);
    if (!this.lineHeadValid(line)) {
      this.garbage = true;
      return false;
    }
    if (line.length >= DONE.length && line.indexOf(DONE) === 0) this.sawDone = true;
    else if (line[0] === 0x65 /* e */ && /^event:\s*(response\.(completed|failed|incomplete)|message_stop|error\b)/.test(line.toString('latin1', 0, 40))) {
      this.sawCompletedEvent = true;
    } else if (line.indexOf(USAGE) !== -1) this.readUsage(line);
    return true;
  }

  private lineHeadValid(line: Buffer): boolean {
    const head = line.toString('latin1', 0, Math.min(line.length, 6));
    return VALID_LINE_STARTS.some((p) => head.startsWith(p) || p.startsWith(head));
  }

  private readUsage(line: Buffer): void {
    const text = line.toString('utf8');
    const json = text.slice(text.indexOf(':') + 1).trim();
    try {
      const event = JSON.parse(json) as { usage?: unknown; response?: { usage?: unknown }; message?: { usage?: unknown } };
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
