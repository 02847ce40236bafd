import { argumentsText, isObject, textOf } from './json';

describe('isObject', () => {
  it.each([
    [{}, true],
    [[], false],
    [null, false],
    ['x', false],
  ])('%j -> %s', (value, expected) => {
    expect(isObject(value)).toBe(expected);
  });
});

describe('textOf', () => {
  it.each([
    ['a string', 'hi', 'hi'],
    ['text parts', [{ type: 'text', text: 'a' }, { type: 'image_url' }, { type: 'text', text: 'b' }], 'ab'],
    ['neither', { text: 'x' }, ''],
  ])('%s', (_what, content, expected) => {
    expect(textOf(content)).toBe(expected);
  });
});

describe('argumentsText', () => {
  it('keeps a JSON string and serializes an object (as Ollama sends it)', () => {
    expect(argumentsText('{"a":1}')).toBe('{"a":1}');
    expect(argumentsText({ a: 1 })).toBe('{"a":1}');
    expect(argumentsText(undefined)).toBe('');
  });
});
