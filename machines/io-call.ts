/**
 * One call of a long-lived `io` actor (machines/fetcher-io.ts,
 * machines/flusher-io.ts): its value or its error becomes the reply event.
 */

/**
 * Run `call`; hand its value to `done`, or its error to `failed`: a
 * rejection, or a throw before it returned a promise (a bug in the call,
 * which backs off like a Redis error instead of crashing the actor).
 *
 * @example
 * settleCall(() => calls.flush(signal), (output) => sendBack({ type: 'io.flushed', output }), failed);
 */
export function settleCall<T>(call: () => Promise<T>, done: (value: T) => void, failed: (error: unknown) => void): void {
  let pending: Promise<T>;
  try {
    pending = call();
  } catch (error) {
    failed(error);
    return;
  }
  pending.then(done, failed);
}
