// Flag values every command and server parses the same way, with one wording for bad input.
import { LocoError } from './errors.js';

/** `text` as a whole number in [min, max]; undefined when the flag was not given. */
export function wholeNumberFlag(flag: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new LocoError('usage', `${flag} must be a whole number from ${min} to ${max}, got ${JSON.stringify(text)}`);
  }
  return value;
}

/** `text` as a number above 0 and at most `max` (seconds, rates); undefined when the flag was not given. */
export function positiveNumberFlag(flag: string, text: string | undefined, max: number): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || value > max) throw new LocoError('usage', `${flag} must be a number above 0 and at most ${max}, got ${JSON.stringify(text)}`);
  return value;
}
