import { InvalidArgumentError } from 'commander';

/*
 * Commander option parsers shared by the builder's CLIs and `npm run deploy` (storage/ is what the two
 * share; neither imports the other).
 */

/**
 * A commander parser for integers within [min, max], with a message naming the bounds. Only decimal
 * digits: `Number()` would also take `0x10`, `1e1` or `0b11`, which nobody means as a count.
 */
export function intInRange(min: number, max: number): (value: string) => number {
  return (value: string) => {
    if (!/^\d+$/.test(value.trim()))
      throw new InvalidArgumentError(`expected a whole number, got '${value}'`);
    const n = Number.parseInt(value, 10);
    if (n < min || n > max) throw new InvalidArgumentError(`must be between ${min} and ${max}, got ${n}`);
    return n;
  };
}

/**
 * A commander parser for a path, location or name: an empty value (an unset shell variable, usually)
 * would otherwise mean the current folder (a build would index or write whatever is there, deploy would
 * publish it) or no bucket.
 */
export function nonEmpty(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('must not be empty (an unset variable?)');
  return value;
}
