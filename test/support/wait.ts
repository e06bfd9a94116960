/**
 * Waiting on conditions with a deadline, for tests. Prefer resolving a
 * promise from the code under test; use {@link until} only for state that
 * has no event (a Redis key), never as a fixed sleep.
 */

/** Resolve once `condition()` is truthy (checked every `everyMs`), reject after `timeoutMs`. */
export async function until(condition: () => unknown | Promise<unknown>, timeoutMs = 10_000, what = 'condition', everyMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** A promise with its resolve function, and a deadline. */
export function deferred<T = void>(timeoutMs = 10_000, what = 'event'): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
    resolve = (value: T) => {
      clearTimeout(timer);
      res(value);
    };
  });
  // a deferred nobody awaits (made ahead for a test that took another path)
  // must not time out as an unhandled rejection in whichever test runs then;
  // an awaiter still gets the rejection
  promise.catch(() => undefined);
  return { promise, resolve };
}
