import type * as ClassValidator from 'class-validator';

// class-validator's index loads every decorator it has, IsPhoneNumber among them with libphonenumber-js
// and its metadata: 4.5 MB resident for a check the config never makes. The decorators the config uses
// and the validator are loaded from their own files instead (class-validator is pinned in package.json;
// config-validators.spec.ts checks them against the index).
type ClassValidatorExports = typeof ClassValidator;

/** One file of class-validator's CommonJS build; each exports the same names as the index does. */
function fromFile(file: string): ClassValidatorExports {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(`class-validator/cjs/${file}`) as ClassValidatorExports;
}

export const IsArray = fromFile('decorator/typechecker/IsArray').IsArray;
export const IsBoolean = fromFile('decorator/typechecker/IsBoolean').IsBoolean;
export const IsIn = fromFile('decorator/common/IsIn').IsIn;
export const IsInt = fromFile('decorator/typechecker/IsInt').IsInt;
export const IsNumber = fromFile('decorator/typechecker/IsNumber').IsNumber;
export const IsNotEmpty = fromFile('decorator/common/IsNotEmpty').IsNotEmpty;
export const IsObject = fromFile('decorator/typechecker/IsObject').IsObject;
export const IsOptional = fromFile('decorator/common/IsOptional').IsOptional;
export const IsString = fromFile('decorator/typechecker/IsString').IsString;
export const Matches = fromFile('decorator/string/Matches').Matches;
export const Max = fromFile('decorator/number/Max').Max;
export const Min = fromFile('decorator/number/Min').Min;
export const ValidateNested = fromFile('decorator/common/ValidateNested').ValidateNested;

const { Validator } = fromFile('validation/Validator');
const { getFromContainer } = fromFile('container');

/** class-validator's validateSync (index.js), on the same shared Validator instance. */
export function validateSync(object: object, options?: ClassValidator.ValidatorOptions): ClassValidator.ValidationError[] {
  return getFromContainer(Validator).validateSync(object, options);
}
