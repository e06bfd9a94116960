/**
 * @internal
 * Was a failure caused by the process stopping? Sidekiq's
 * `exception_caused_by_shutdown?` (job_retry.rb): such a failure is not
 * retried; the job is requeued as if it had never been fetched.
 */

/** How deep a `cause` chain is followed (Sidekiq walks it too, guarding against cycles). */
const MAX_CAUSES = 16;

/**
 * `true` when `signal` has aborted and `thrown`, or an error in its `cause`
 * chain, is `signal.reason` itself or an `AbortError` (what `fetch`, timers
 * and streams reject with when the signal they were given aborts). A job
 * that failed for another reason while the process was stopping is a
 * normal failure. Never throws.
 *
 * @example
 * const controller = new AbortController();
 * controller.abort();
 * causedByShutdown(controller.signal.reason, controller.signal);  // true
 * causedByShutdown(new Error('db down'), controller.signal);      // false
 */
export function causedByShutdown(thrown: unknown, signal: AbortSignal): boolean {
  if (!signal.aborted) return false;
  const reason: unknown = signal.reason;
  const seen = new Set<unknown>();
  let current = thrown;
  for (let depth = 0; depth < MAX_CAUSES; depth++) {
    if (current === reason) return true;
    if (current === null || (typeof current !== 'object' && typeof current !== 'function') || seen.has(current)) return false;
    seen.add(current);
    const link = current;
    if (read(() => (link as { name?: unknown }).name) === 'AbortError') return true;
    current = read(() => (link as { cause?: unknown }).cause);
  }
  return false;
}

function read(fn: () => unknown): unknown {
  try {
    return fn();
  } catch {
    return undefined;
  }
}
