import { CustomInputDecoder } from './custom-input-decoder';

const input = '*** Begin Patch\n*** Add File: a.txt\n+caf\u00e9 "quoted" \\ back\tslash \ud83d\ude00 </end>\n*** End Patch\n';

describe('CustomInputDecoder', () => {
  it.each([
    ['compact JSON', JSON.stringify({ input })],
    ['spaced JSON with \\u escapes', `{ "input" : "${JSON.stringify(input).slice(1, -1).replace(/é/g, '\\u00e9').replace(/😀/g, '\\ud83d\\ude00')}" }`],
  ])('decodes %s to the raw input wherever the pieces are cut', (_what, args) => {
    for (let cut = 0; cut <= args.length; cut++) {
      for (const size of [1, 3]) {
        const decoder = new CustomInputDecoder();
        const pieces = [args.slice(0, cut), ...(args.slice(cut).match(new RegExp(`[\\s\\S]{1,${size}}`, 'g')) ?? [])];
        const out = pieces.map((p) => decoder.push(p)).join('');
        expect(out).toBe(input);
      }
    }
  });

  it('yields nothing for arguments of another shape', () => {
    const decoder = new CustomInputDecoder();
    expect(['{"patch":', '"x"}'].map((p) => decoder.push(p)).join('')).toBe('');
    expect(new CustomInputDecoder().push('raw text')).toBe('');
  });
});
