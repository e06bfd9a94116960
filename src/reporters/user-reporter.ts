/**
 * @internal
 * A user reporter (`extraReporters`, Kiq's `extra_reporters`,
 * docs/kiq-elixir.md §6.1): each job event goes to the callback named like
 * its type (`started`, `success`, `aborted`, `failure`, `stopped`); a
 * missing callback skips the event. The reporter object is the callback's
 * `this`. What the callback returns (a promise, say) is handed back to
 * `guardedDeliver`, which never awaits it and logs a rejection.
 */
import type { JobEvent } from '../../machines/reporter.js';
import type { Reporter } from '../config/options.js';

/** The per-event handler of `reporter`, for `guardedDeliver`. */
export function userReporter(reporter: Reporter): (event: JobEvent) => unknown {
  return (event) => {
    const callback: unknown = reporter[event.type];
    // each callback takes the event of its own name; `type` picked it
    return typeof callback === 'function' ? (callback as (event: JobEvent) => unknown).call(reporter, event) : undefined;
  };
}
