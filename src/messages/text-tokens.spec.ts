import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { O200K_TOKEN_SPLIT_REGEX } from 'gpt-tokenizer/cjs/encodingParams/constants';
import { countTokens } from 'gpt-tokenizer';
import { countTexts, EXACT_BYTES, MAX_RUN } from './text-tokens';

// Every text handed to the tokenizer is recorded: the work of a count is bounded by what it is given.
// A piece (the tokenizer's own pre-tokenizer split) is what costs more than its length: one that is too
// long is refused before the tokenizer sees it, so unbounded work fails the test instead of hanging it.
const given: string[] = [];
const longestPiece = (text: string) => Math.max(0, ...Array.from(text.matchAll(O200K_TOKEN_SPLIT_REGEX), (m) => Array.from(m[0]).length));
const plain = { disallowedSpecial: new Set<string>() };
const tokenize = (text: string) => {
  given.push(text);
  if (longestPiece(text) > MAX_RUN + 1) throw new Error(`the tokenizer was handed a piece of ${longestPiece(text)} characters`);
  return countTokens(text, plain);
};
const count = (texts: readonly string[]) => countTexts(texts, tokenize);
const exact = (text: string) => countTokens(text, plain);

const MB = 1024 * 1024;
const pick = (alphabet: string, n: number) => {
  const chars = Array.from(alphabet);
  const bytes = randomBytes(n);
  let out = '';
  for (let i = 0; i < n; i++) out += chars[bytes[i] % chars.length];
  return out;
};
// Real prose and code; its two long runs of spaces (which are counted in slices) made shorter.
const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8').replace(/\s{16,}/g, '\n');

describe('countTexts: bounded work for any shape', () => {
  const shapes: Array<[string, () => string]> = [
    ['one letter repeated (base64 of zeros)', () => 'A'.repeat(MB)],
    ['base64 of random bytes', () => randomBytes(MB).toString('base64').slice(0, MB)],
    ['lower-case letters without a break', () => pick('abcdefghijklmnopqrstuvwxyz', MB)],
    ['CJK without a break', () => pick('日本語の文章を書きます中文字符测试', MB / 2)],
    ['emoji (surrogate pairs)', () => pick('😀🚀🎉👍', MB / 4)],
    ['punctuation', () => pick('!#$%&()*+,-.:;<=>?@[]^_{|}~', MB)],
    ['spaces', () => ' '.repeat(MB)],
    ['digits', () => pick('0123456789', MB)],
    ['prose', () => readme.repeat(Math.ceil(MB / readme.length)).slice(0, MB)],
  ];

  it.each(shapes)('hands the tokenizer at most EXACT_BYTES of a 1 MB text, in short pieces: %s', (_shape, make) => {
    const text = make();
    given.length = 0;
    expect(count([text])).toBeGreaterThan(0);
    const bytes = given.reduce((n, t) => n + Buffer.byteLength(t), 0);
    expect(bytes).toBeLessThanOrEqual(EXACT_BYTES);
    expect(Math.max(...given.map(longestPiece))).toBeLessThanOrEqual(MAX_RUN + 1);
  });

  it('spreads the same bound over many texts (a long conversation)', () => {
    const texts = Array.from({ length: 20_000 }, (_, i) => `message ${i}: ${'x'.repeat(40)}`);
    given.length = 0;
    expect(count(texts)).toBeGreaterThan(20_000 * 5);
    expect(given.reduce((n, t) => n + Buffer.byteLength(t), 0)).toBeLessThanOrEqual(EXACT_BYTES);
  });
});

describe('countTexts: the count', () => {
  it('is the tokenizer’s own count for text under EXACT_BYTES without long runs', () => {
    const text = readme.slice(0, EXACT_BYTES / 4);
    expect(count([text, text])).toBe(2 * exact(text));
  });

  it('estimates a long text within 3% of the exact count', () => {
    const text = readme.repeat(3);
    const n = exact(text);
    expect(Math.abs(count([text]) - n) / n).toBeLessThan(0.03);
  });

  it('estimates a mix of prose, code and base64 within 5%', () => {
    const texts = [readme.slice(0, 60_000), randomBytes(45_000).toString('base64'), readme.slice(60_000, 90_000), pick('日本語の文章を書きます中文字符测试', 20_000)];
    const n = texts.reduce((sum, t) => sum + exact(t), 0);
    expect(Math.abs(count(texts) - n) / n).toBeLessThan(0.05);
  });

  it('counts a long run in slices close to the tokenizer’s count of it whole', () => {
    const run = pick('abcdefghijklmnopqrstuvwxyz', 4_000);
    const n = exact(run);
    expect(Math.abs(count([run]) - n) / n).toBeLessThan(0.03);
  });

  it('counts text with lone surrogates and special-token markers instead of throwing', () => {
    expect(count(['a \ud800 b <|endoftext|> \udfff'.repeat(10_000)])).toBeGreaterThan(0);
  });
});
