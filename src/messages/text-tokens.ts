// What to hand OpenAI's o200k_base tokenizer (gpt-tokenizer) to count a request's texts, in bounded work
// whatever their shape. TokenCounterService runs the plan on its worker thread.
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
export const EXACT_BYTES = 64 * 1024;
const WINDOWS = 64;
const WINDOW_BYTES = EXACT_BYTES / WINDOWS;

/** A run of letters, of punctuation (marks included) or of whitespace long enough to be one slow piece. */
const LONG_RUN = new RegExp(`[\\p{L}\\p{M}]{${MAX_RUN + 1},}|[^\\s\\p{L}\\p{N}]{${MAX_RUN + 1},}|\\s{${MAX_RUN + 1},}`, 'gu');

/** Texts for the tokenizer, each with the weight of its count: the tokens are Σ weight × count. */
export interface CountPlan {
  pieces: string[];
  weights: number[];
}

/** The plan for a request's texts: exact up to EXACT_BYTES in all, samples beyond. */
export function planCount(texts: readonly string[]): CountPlan {
  const plan: CountPlan = { pieces: [], weights: [] };
  let bytes = 0;
  let chars = 0;
  for (const text of texts) {
    bytes += Buffer.byteLength(text, 'utf8');
    chars += text.length;
  }
  if (bytes <= EXACT_BYTES) {
    for (const text of texts) addPieces(plan, text, 1);
    return plan;
  }
  // The texts laid end to end; each window stands for an equal share of the characters, and its
  // tokens per character are taken as that share's. A window stays within one text.
  const share = chars / WINDOWS;
  let textIndex = 0;
  let textStart = 0;
  for (let w = 0; w < WINDOWS; w++) {
    const at = Math.floor(w * share);
    while (at >= textStart + texts[textIndex].length) textStart += texts[textIndex++].length;
    const window = windowAt(texts[textIndex], at - textStart);
    addPieces(plan, window, share / window.length);
  }
  return plan;
}

/** The tokens a plan stands for, given the tokenizer's count of each of its pieces. */
export function tokensOf(plan: CountPlan, counts: readonly number[]): number {
  let tokens = 0;
  for (let i = 0; i < counts.length; i++) tokens += counts[i] * plan.weights[i];
  return Math.round(tokens);
}

/** Counts texts on this thread with `tokenize` (tests, and anything that has the tokenizer at hand). */
export function countTexts(texts: readonly string[], tokenize: (text: string) => number): number {
  const plan = planCount(texts);
  return tokensOf(plan, plan.pieces.map(tokenize));
}

/** Adds `text` to the plan, its long runs in MAX_RUN slices. */
function addPieces(plan: CountPlan, text: string, weight: number): void {
  const add = (piece: string) => {
    if (piece === '') return;
    plan.pieces.push(piece);
    plan.weights.push(weight);
  };
  let from = 0;
  for (const run of text.matchAll(LONG_RUN)) {
    add(text.slice(from, run.index));
    // By code point, so a slice never splits a surrogate pair.
    const points = Array.from(run[0]);
    for (let at = 0; at < points.length; at += MAX_RUN) add(points.slice(at, at + MAX_RUN).join(''));
    from = run.index + run[0].length;
  }
  add(text.slice(from));
}

/** Up to WINDOW_BYTES of UTF-8 from `offset` (at least one character). */
function windowAt(text: string, offset: number): string {
  let window = text.slice(offset, offset + WINDOW_BYTES);
  for (let size = Buffer.byteLength(window, 'utf8'); size > WINDOW_BYTES; size = Buffer.byteLength(window, 'utf8')) {
    window = window.slice(0, Math.max(1, Math.floor((window.length * WINDOW_BYTES) / size)));
  }
  return window;
}
