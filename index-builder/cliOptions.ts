import { InvalidArgumentError } from 'commander';

/** A commander parser for integers within [min, max], with a message naming the bounds. */
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
 * A commander parser for a path or location: an empty value (an unset shell variable, usually) would
 * otherwise mean the current folder, and a build would index or write whatever is there.
 */
export function nonEmpty(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('must not be empty (an unset variable?)');
  return value;
}
