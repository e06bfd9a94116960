/**
 * Argument checks shared by the admin readers: a bad count is an
 * `AdminError` (`invalid-argument`) naming the argument, before any Redis call.
 */
import { AdminError } from '../errors.js';

/**
 * Throws `AdminError` (`invalid-argument`) unless `value` is an integer >= `min`.
 *
 * @example
 * checkCount('limit', limit, 1);
 */
export function checkCount(what: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) throw new AdminError('invalid-argument', `${what} must be an integer >= ${min}, got ${value}`);
}
