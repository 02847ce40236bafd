import * as ClassValidator from 'class-validator';
import * as ConfigValidators from './config-validators';

describe('config-validators', () => {
  it('exports the very functions class-validator exports, loaded from their own files', () => {
    for (const name of Object.keys(ConfigValidators).filter((n) => n !== 'validateSync')) {
      expect(ConfigValidators[name as keyof typeof ConfigValidators]).toBe(ClassValidator[name as keyof typeof ClassValidator]);
    }
  });

  it('validates like class-validator validateSync', () => {
    class Sample {
      @ConfigValidators.IsString()
      name: unknown = 42;
    }
    const mine = ConfigValidators.validateSync(new Sample());
    const theirs = ClassValidator.validateSync(new Sample());
    expect(mine.map((e) => e.constraints)).toEqual(theirs.map((e) => e.constraints));
    expect(mine[0].constraints).toHaveProperty('isString');
  });
});
