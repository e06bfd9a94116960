/**
 * Helpers of the admin tests.
 */
import { expect } from 'chai';
import { AdminError } from '../../src/admin/index.js';

/** The `AdminError` `promise` rejects with; fails the test when it resolves or rejects with anything else. */
export async function rejection(promise: Promise<unknown>): Promise<AdminError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'expected a rejection').to.be.instanceOf(AdminError);
  return error as AdminError;
}
