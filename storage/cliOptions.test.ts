import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { intInRange, nonEmpty } from './cliOptions';

describe('intInRange', () => {
  const count = intInRange(1, 256);

  it('takes decimal digits within the bounds', () => {
    expect(count('1')).toBe(1);
    expect(count(' 16 ')).toBe(16);
    expect(count('256')).toBe(256);
  });

  it.each(['0x10', '1e1', '0b11', '0o7', '1.5', '-1', '+3', '', ' ', 'Infinity', '10abc'])(
    'refuses %j, which Number() would read as another count or none',
    (value) => {
      expect(() => count(value)).toThrow(InvalidArgumentError);
      expect(() => count(value)).toThrow(/expected a whole number/);
    },
  );

  it('names the bounds', () => {
    expect(() => count('0')).toThrow('must be between 1 and 256, got 0');
    expect(() => count('99999999999999999999')).toThrow(/must be between 1 and 256/);
  });
});

describe('nonEmpty', () => {
  it('refuses an empty or blank value (an unset shell variable) and keeps the rest as given', () => {
    expect(() => nonEmpty('')).toThrow(/must not be empty/);
    expect(() => nonEmpty('  ')).toThrow(InvalidArgumentError);
    expect(nonEmpty(' dir ')).toBe(' dir ');
  });
});
