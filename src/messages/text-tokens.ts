// Counting text with OpenAI's o200k_base tokenizer (gpt-tokenizer), in bounded work whatever the text's shape.
//
// The tokenizer splits text into pieces (a word, a run of punctuation, a run of spaces) and merges each
// piece's bytes pairwise, at a cost that grows faster than the piece's length: one 100 KB run without a
// break (base64 of zeros, minified code, a page of CJK) took 5.5 s, 200 KB 35 s. Its cost is otherwise
// about linear in UTF-8 bytes. So:
// - a run of one character class longer than MAX_RUN code points is counted in MAX_RUN slices (the
//   merges of a slice stay small; the count moves by about one token per slice), and
// - beyond EXACT_BYTES of text in one request, the count is taken from WINDOWS evenly spaced windows of
//   at most WINDOW_BYTES each and scaled to the whole, so no body, of any size or shape, hands the
//   tokenizer more than EXACT_BYTES (a few tens of milliseconds).
// Text under both limits is counted exactly as the tokenizer counts it.

export const MAX_RUN = 32;
export const EXACT_BYTES = 16 * 1024;
const WINDOWS = 32;
const WINDOW_BYTES = EXACT_BYTES / WINDOWS;

/** A run of letters, of punctuation (marks included) or of whitespace long enough to be one slow piece. */
const LONG_RUN = new RegExp(`[\\p{L}\\p{M}]{${MAX_RUN + 1},}|[^\\s\\p{L}\\p{N}]{${MAX_RUN + 1},}|\\s{${MAX_RUN + 1},}`, 'gu');

// The tokenizer's tables take about 40 MB once loaded: loaded on the first count, not at start-up.
let tokenizer: typeof import('gpt-tokenizer') | undefined;
// Text that happens to contain "<|endoftext|>" is counted as text, not refused.
const AS_PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

function tokenize(text: string): number {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return text === '' ? 0 : (tokenizer ??= require('gpt-tokenizer') as typeof import('gpt-tokenizer')).countTokens(text, AS_PLAIN_TEXT);
}

/** The tokens of one text, its long runs counted in slices. */
export function countText(text: string): number {
  let tokens = 0;
  let from = 0;
  for (const run of text.matchAll(LONG_RUN)) {
    tokens += tokenize(text.slice(from, run.index));
    // By code point, so a slice never splits a surrogate pair.
    const points = Array.from(run[0]);
    for (let at = 0; at < points.length; at += MAX_RUN) tokens += tokenize(points.slice(at, at + MAX_RUN).join(''));
    from = run.index + run[0].length;
  }
  return tokens + tokenize(text.slice(from));
}

/** The tokens of a request's texts: exact up to EXACT_BYTES in all, an estimate from samples beyond. */
export function countTexts(texts: readonly string[]): number {
  let bytes = 0;
  let chars = 0;
  for (const text of texts) {
    bytes += Buffer.byteLength(text, 'utf8');
    chars += text.length;
  }
  if (bytes <= EXACT_BYTES) return texts.reduce((tokens, text) => tokens + countText(text), 0);

  // The texts laid end to end; each window stands for an equal share of the characters, and its
  // tokens per character are taken as that share's. A window stays within one text.
  const share = chars / WINDOWS;
  let estimate = 0;
  let textIndex = 0;
  let textStart = 0;
  for (let w = 0; w < WINDOWS; w++) {
    const at = Math.floor(w * share);
    while (at >= textStart + texts[textIndex].length) textStart += texts[textIndex++].length;
    const window = windowAt(texts[textIndex], at - textStart);
    estimate += (countText(window) / window.length) * share;
  }
  return Math.round(estimate);
}

/** Up to WINDOW_BYTES of UTF-8 from `offset` (at least one character). */
function windowAt(text: string, offset: number): string {
  let window = text.slice(offset, offset + WINDOW_BYTES);
  for (let size = Buffer.byteLength(window, 'utf8'); size > WINDOW_BYTES; size = Buffer.byteLength(window, 'utf8')) {
    window = window.slice(0, Math.max(1, Math.floor((window.length * WINDOW_BYTES) / size)));
  }
  return window;
}
