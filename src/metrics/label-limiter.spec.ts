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

  it('keeps reserved values labelled after unknown ones filled the cap', () => {
    const limiter = new LabelLimiter(2);
    limiter.reserve(['fast', 'ollama/phi4']);
    for (let i = 0; i < 10; i++) limiter.value(`random-${i}`);
    expect(limiter.value('random-99')).toBe('other');
    expect(limiter.value('fast')).toBe('fast');
    expect(limiter.value('ollama/phi4')).toBe('ollama/phi4');
  });

  it('gives a value a place only when it is admitted', () => {
    const limiter = new LabelLimiter(1);
    expect(limiter.value('nope/x', 'none', false)).toBe('other');
    expect(limiter.value('ollama/phi4', 'none', true)).toBe('ollama/phi4');
    expect(limiter.value('nope/y', 'none', true)).toBe('other');
  });

  it('makes lone surrogates and control characters printable', () => {
    const limiter = new LabelLimiter(5);
    expect(limiter.value('a\ud800b')).toBe('a\ufffdb');
    expect(limiter.value('x\u0000\ny')).toBe('x\ufffd\ufffdy');
  });
});
