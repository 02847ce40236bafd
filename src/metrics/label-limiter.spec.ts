import { LabelLimiter } from './label-limiter';

describe('LabelLimiter', () => {
  it('keeps known values and folds values past the cap into "other"', () => {
    const limiter = new LabelLimiter(2);
    expect(limiter.value('a')).toBe('a');
    expect(limiter.value('b')).toBe('b');
    expect(limiter.value('c')).toBe('other');
    expect(limiter.value('a')).toBe('a');
  });

  it('labels a missing value with the fallback', () => {
    const limiter = new LabelLimiter(1);
    expect(limiter.value(undefined)).toBe('none');
    expect(limiter.value('', 'anonymous')).toBe('anonymous');
  });
});
