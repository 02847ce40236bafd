import { indexOfUsageKey, lastIndexOfUsageKey } from './usage-key';

describe('usage key search', () => {
  const text = '{"content":"usage of usage","usage":{"a":1},"x":{"usage":2}}';
  const buf = Buffer.from(text);

  it('finds the quoted key, not the word in a value', () => {
    expect(indexOfUsageKey(buf)).toBe(text.indexOf('"usage"'));
    expect(indexOfUsageKey(buf, text.indexOf('"usage"') + 1)).toBe(text.lastIndexOf('"usage"'));
    expect(lastIndexOfUsageKey(buf)).toBe(text.lastIndexOf('"usage"'));
  });

  it('answers -1 when there is no key, also for a bare word at either end', () => {
    expect(indexOfUsageKey(Buffer.from('usage"x"usage'))).toBe(-1);
    expect(lastIndexOfUsageKey(Buffer.from('usage"x"usage'))).toBe(-1);
    expect(indexOfUsageKey(Buffer.from(''))).toBe(-1);
  });
});
