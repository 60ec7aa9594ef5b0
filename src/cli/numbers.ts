import { UserError } from '../engine/errors.js';

/** Numeric command-line flags, with errors that name the flag and the value given. */

export function wholeNumberFlag(flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UserError(`${flag} must be a whole number from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

export function positiveNumberFlag(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UserError(`${flag} must be a positive number, got "${value}"`);
  return n;
}
