/**
 * @internal
 * The `deliver` every reporter actor runs: a per-event handler wrapped so
 * that a bad reporter costs only its own telemetry. Reporters are
 * best-effort; jobs never wait for them and never see their errors.
 *
 * 1. Each event goes to `handle` in its own try/catch: an event that throws
 *    does not cost the rest of the batch.
 * 2. A promise `handle` returns is never awaited; a rejection is caught and
 *    logged (`reporter_rejected`, at most one line per reporter per second,
 *    with the count of those not logged), never left unhandled.
 * 3. A batch in which `handle` threw is logged (`reporter_crashed`, with the
 *    first error and how many events failed), then `deliver` throws
 *    {@link ReporterFailedError}: the actor crashes and its supervisor
 *    restarts it. So every restart has one log line.
 * 4. The `maxCrashes`-th crash within `windowMs` disables the reporter
 *    instead of crashing it: one `reporter_disabled` error line, a
 *    {@link ReporterDisabledError} for `onDisabled` (the facade's `error`
 *    event), and from then on `deliver` does nothing until the process
 *    restarts. A reporter thus crashes at most `maxCrashes - 1` times per
 *    window, which is what lets the reporters supervisor size its restart
 *    intensity so that a reporter can never make it escalate
 *    (src/reporters/supervisor.ts).
 */
import type { JobEvent } from '../../machines/reporter.js';
import { logEvent, type Logger } from '../logger.js';
import { ReporterDisabledError } from '../errors.js';
import { errorClassOf, errorMessageOf, toError } from '../job/error-fields.js';

/** Re-exported for callers of this module; defined in the error catalogue. */
export { ReporterDisabledError };

/** Crashes within {@link CRASH_WINDOW_MS} that disable a reporter (the last one disables instead of crashing). */
export const MAX_CRASHES = 5;
/** Window of {@link MAX_CRASHES}, ms. */
export const CRASH_WINDOW_MS = 60_000;
/** At most one `reporter_rejected` line per reporter per this many ms. */
const REJECTION_LOG_EVERY_MS = 1_000;

/** A reporter threw while handling a batch; its actor crashes with this error and is restarted. */
export class ReporterFailedError extends Error {
  /** The reporter's systemId, e.g. `reporter:0`. */
  readonly reporter: string;
  /** Events of the batch whose handling threw. */
  readonly failed: number;

  constructor(reporter: string, failed: number, total: number, cause: Error) {
    super(`${reporter} threw on ${failed} of ${total} events: ${errorMessageOf(cause)}`, { cause });
    this.name = 'ReporterFailedError';
    this.reporter = reporter;
    this.failed = failed;
  }
}


/** What {@link guardedDeliver} needs. */
export interface GuardOptions {
  /** The reporter's systemId, for log lines and errors. */
  readonly name: string;
  /** Handles one event; may return a promise (never awaited). */
  readonly handle: (event: JobEvent) => unknown;
  /** Called once before each batch (e.g. to read the logger's level once). */
  readonly begin?: () => void;
  /** Where the crash, rejection and disable lines go. */
  readonly logger: Logger;
  /** Monotonic ms (`config.clock.monoMs`). */
  readonly now: () => number;
  /** Told once, when the reporter is disabled. */
  readonly onDisabled?: (error: ReporterDisabledError) => void;
  /** @defaultValue {@link MAX_CRASHES} */
  readonly maxCrashes?: number;
  /** @defaultValue {@link CRASH_WINDOW_MS} */
  readonly windowMs?: number;
}

/** A reporter's `deliver`: hands a batch to `handle` (see the lifecycle above). Shared by every incarnation of the actor. */
export function guardedDeliver(options: GuardOptions): (events: readonly JobEvent[]) => void {
  const { name, handle, begin, logger, now, onDisabled, maxCrashes = MAX_CRASHES, windowMs = CRASH_WINDOW_MS } = options;
  let crashes: number[] = [];
  let disabled = false;
  let lastRejectionLogAt = -Infinity;
  let unloggedRejections = 0;

  const onRejected = (reason: unknown): void => {
    const t = now();
    if (t - lastRejectionLogAt < REJECTION_LOG_EVERY_MS) {
      unloggedRejections++;
      return;
    }
    const error = toError(reason);
    logEvent(logger, 'warn', 'reporter_rejected', { reporter: name, error: errorMessageOf(error), error_class: errorClassOf(error), not_logged: unloggedRejections });
    lastRejectionLogAt = t;
    unloggedRejections = 0;
  };

  return (events) => {
    if (disabled) return;
    begin?.();
    let failed = 0;
    let first: unknown;
    for (const event of events) {
      try {
        const result = handle(event);
        if (result !== undefined && result !== null && typeof (result as PromiseLike<unknown>).then === 'function') {
          (result as PromiseLike<unknown>).then(undefined, onRejected);
        }
      } catch (thrown) {
        if (failed++ === 0) first = thrown;
      }
    }
    if (failed === 0) return;

    const error = toError(first);
    const t = now();
    crashes = crashes.filter((stamp) => t - stamp <= windowMs);
    crashes.push(t);
    if (crashes.length >= maxCrashes) {
      disabled = true;
      const disabledError = new ReporterDisabledError(name, crashes.length, windowMs, error);
      logEvent(logger, 'error', 'reporter_disabled', { reporter: name, crashes: crashes.length, window_ms: windowMs, error: errorMessageOf(error), error_class: errorClassOf(error) });
      try {
        onDisabled?.(disabledError);
      } catch {
        // the facade's emitter isolates its listeners; nothing else to do here
      }
      return;
    }
    logEvent(logger, 'warn', 'reporter_crashed', {
      reporter: name,
      failed,
      events: events.length,
      error: errorMessageOf(error),
      error_class: errorClassOf(error),
      crashes: crashes.length,
      disabled_at: maxCrashes,
      action: 'restart',
    });
    // Crash the actor: the reporters supervisor restarts it (machines/reporter.ts, step 2).
    throw new ReporterFailedError(name, failed, events.length, error);
  };
}
