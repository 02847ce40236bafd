// Finds the `"usage"` key in the bytes of an answer without decoding them. Searched as `usage`, then the
// quotes checked: Node's Buffer search is about ten times slower for a needle that starts with `"`, a
// byte JSON is full of (30 µs against 3 µs over a 30 KB batch of events).

const WORD = Buffer.from('usage');
const QUOTE = 0x22;

function quotedAt(buf: Buffer, at: number): boolean {
  return buf[at - 1] === QUOTE && buf[at + WORD.length] === QUOTE;
}

/** Where the first `"usage"` at or after `from` starts (its opening quote), or -1. */
export function indexOfUsageKey(buf: Buffer, from = 0): number {
  for (let at = buf.indexOf(WORD, from + 1); at !== -1; at = buf.indexOf(WORD, at + 1)) {
    if (quotedAt(buf, at)) return at - 1;
  }
  return -1;
}

/** Where the last `"usage"` starts (its opening quote), or -1. */
export function lastIndexOfUsageKey(buf: Buffer): number {
  for (let at = buf.lastIndexOf(WORD); at > 0; at = buf.lastIndexOf(WORD, at - 1)) {
    if (quotedAt(buf, at)) return at - 1;
  }
  return -1;
}
