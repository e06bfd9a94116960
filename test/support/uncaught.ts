/**
 * Fail the current describe block's tests on any uncaught exception or
 * unhandled rejection they cause. xstate rethrows an unobserved actor error
 * in a later timer turn, so the check waits one turn first.
 */
import { expect } from 'chai';

/** Install the before/after hooks in the calling `describe`. */
export function failOnUncaught(): void {
  let uncaught: unknown[] = [];
  const onUncaught = (error: unknown) => uncaught.push(error);
  beforeEach(() => {
    uncaught = [];
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onUncaught);
  });
  afterEach(async () => {
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUncaught);
    expect(uncaught, 'uncaught errors during the test').to.deep.equal([]);
  });
}
