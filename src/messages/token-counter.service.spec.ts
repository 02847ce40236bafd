import { countTokens } from 'gpt-tokenizer';
import { countTexts } from './text-tokens';
import { TokenCounterService } from './token-counter.service';

const plain = { disallowedSpecial: new Set<string>() };
const onThisThread = (texts: string[]) => countTexts(texts, (text) => countTokens(text, plain));

describe('TokenCounterService', () => {
  let counter: TokenCounterService;
  beforeEach(() => (counter = new TokenCounterService()));
  afterEach(() => counter.onModuleDestroy());

  it('counts on its worker thread as the tokenizer counts on this one', async () => {
    const texts = ['The quick brown fox jumps over the lazy dog.', 'a <|endoftext|> b', 'A'.repeat(100_000), '日本語の文章'];
    expect(await counter.count(texts)).toBe(onThisThread(texts));
    expect(await counter.count([])).toBe(0);
  });

  it('answers many counts at once, each its own', async () => {
    const texts = Array.from({ length: 20 }, (_, i) => 'word '.repeat(i + 1));
    const counts = await Promise.all(texts.map((text) => counter.count([text])));
    expect(counts).toEqual(texts.map((text) => onThisThread([text])));
  });

  it('fails the counts waiting on a worker that dies, and starts a new one for the next', async () => {
    const worker = () => (counter as unknown as { thread?: { worker: { terminate(): Promise<number> } } }).thread!.worker;
    expect(await counter.count(['hello world'])).toBe(2);
    const dying = worker().terminate();
    const waiting = counter.count(['hello again']);
    await dying;
    await expect(waiting).rejects.toThrow('exited');
    expect(await counter.count(['hello world'])).toBe(2);
  });
});
