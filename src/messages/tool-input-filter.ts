// A tool_use block's input must be one JSON object: the Anthropic SDK parses the streamed input_json_delta
// text and raises on anything else, failing the whole answer. Models sometimes write `null`, an array,
// or two objects run together as chat arguments; this passes on only the first object, as it streams.

export class ToolInputFilter {
  private state: 'before' | 'inside' | 'after' = 'before';
  private depth = 0;
  private inString = false;
  private escaped = false;

  /** The part of `piece` that belongs to the first JSON object of the arguments ('' for none). */
  push(piece: string): string {
    let start = -1;
    let end = piece.length;
    for (let i = 0; i < piece.length && this.state !== 'after'; i++) {
      const ch = piece[i];
      if (this.state === 'before') {
        if (/\s/.test(ch)) continue;
        if (ch !== '{') {
          this.state = 'after'; // not an object: nothing is passed on, the input stays {}
          return '';
        }
        this.state = 'inside';
        start = i;
      } else if (start < 0) {
        start = i;
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (ch === '\\') this.escaped = true;
        else if (ch === '"') this.inString = false;
      } else if (ch === '"') this.inString = true;
      else if (ch === '{' || ch === '[') this.depth++;
      else if ((ch === '}' || ch === ']') && --this.depth === 0) {
        this.state = 'after';
        end = i + 1;
      }
    }
    return start < 0 ? '' : piece.slice(start, end);
  }
}
