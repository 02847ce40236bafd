// Streams the raw input of a custom tool call while its chat arguments, {"input": "<JSON string>"},
// arrive in pieces: each piece yields the newly decoded characters of the string, so the client sees
// the patch as it is written. A piece may end anywhere, even inside an escape (\" \n \u00e9) or
// between the two halves of a surrogate pair: such a tail waits for the next piece.

const HEAD = /^\s*\{\s*"input"\s*:\s*"/;
const SIMPLE_ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

export class CustomInputDecoder {
  private raw = '';
  /** Where the string value starts in `raw`; -1 until the head is seen; -2 when the shape is not ours. */
  private start = -1;
  private pos = 0;
  private closed = false;
  /** Everything decoded so far. */
  decoded = '';

  /** Adds a piece of the arguments; returns the newly decoded text ('' when none). */
  push(piece: string): string {
    this.raw += piece;
    if (this.start === -2 || this.closed) return '';
    if (this.start === -1) {
      const head = HEAD.exec(this.raw);
      if (!head) {
        // Not yet decidable while the text could still become the head.
        if (!couldStartHead(this.raw)) this.start = -2;
        return '';
      }
      this.start = head[0].length;
      this.pos = this.start;
    }
    const before = this.decoded.length;
    this.decodeAvailable();
    return this.decoded.slice(before);
  }

  private decodeAvailable(): void {
    const raw = this.raw;
    while (this.pos < raw.length) {
      const ch = raw[this.pos];
      if (ch === '"') {
        this.closed = true;
        return;
      }
      if (ch !== '\\') {
        this.decoded += ch;
        this.pos++;
        continue;
      }
      if (this.pos + 1 >= raw.length) return; // the escape continues in the next piece
      const kind = raw[this.pos + 1];
      if (kind !== 'u') {
        this.decoded += SIMPLE_ESCAPES[kind] ?? kind;
        this.pos += 2;
        continue;
      }
      if (this.pos + 6 > raw.length) return;
      const code = parseInt(raw.slice(this.pos + 2, this.pos + 6), 16);
      if (code >= 0xd800 && code <= 0xdbff) {
        // A high surrogate is emitted only with its low half.
        if (this.pos + 12 > raw.length) return;
        this.decoded += String.fromCharCode(code, parseInt(raw.slice(this.pos + 8, this.pos + 12), 16));
        this.pos += 12;
        continue;
      }
      this.decoded += String.fromCharCode(code);
      this.pos += 6;
    }
  }
}

function couldStartHead(text: string): boolean {
  // Completing the text with the rest of a head would match it.
  const trimmed = text.replace(/\s+/g, '');
  return '{"input":"'.startsWith(trimmed);
}
