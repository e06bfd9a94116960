/**
 * Fixtures for the reporter tests: job payloads, the starts and outcomes
 * the job path hands to its hooks, and a recording user reporter.
 */
import type { JobEvent } from '../../machines/reporter.js';
import type { Reporter, ReporterEvent } from '../../src/config/options.js';
import type { JobPayload } from '../../src/job/payload.js';
import type { JobOutcome, JobStart } from '../../src/job-events.js';

/** A decoded job; `n` makes the jid unique. */
export function job(n: number, extra: Partial<JobPayload> = {}): JobPayload {
  return { class: 'Echo', args: [n], jid: `jid-${n}`, queue: 'work', retry: true, ...extra };
}

/** What the queue passes to `hooks.started`. */
export function start(payload: JobPayload): JobStart {
  return { job: payload, raw: JSON.stringify(payload), queue: 'work' };
}

const base = (payload: JobPayload) => ({ job: payload, raw: JSON.stringify(payload), queue: 'work' });

/** Outcomes as `runJob` returns them. */
export const outcome = {
  success: (payload: JobPayload, durationMs = 1.5): JobOutcome => ({ kind: 'success', ...base(payload), durationMs }),
  retry: (payload: JobPayload, error = new Error('boom')): JobOutcome => ({ kind: 'retry', ...base(payload), error, json: '{}', retryAtSec: 1, durationMs: 2 }),
  dead: (payload: JobPayload, error = new Error('boom')): JobOutcome => ({ kind: 'dead', ...base(payload), error, json: '{}' }),
  discard: (payload: JobPayload, error = new Error('boom')): JobOutcome => ({ kind: 'discard', ...base(payload), error, reason: 'retry-false', durationMs: 3 }),
  expired: (payload: JobPayload): JobOutcome => ({ kind: 'aborted', ...base(payload), reason: 'expired' }),
  shutdownBeforeStart: (payload: JobPayload): JobOutcome => ({ kind: 'aborted', ...base(payload), reason: 'shutdown' }),
  shutdownWhileRunning: (payload: JobPayload): JobOutcome => ({ kind: 'aborted', ...base(payload), reason: 'shutdown', error: new Error('aborted') }),
};

/** `type jid` for each event, for order assertions. */
export const summary = (events: readonly (JobEvent | ReporterEvent)[]) => events.map((e) => `${e.type} ${String(e.job.jid)}`);

/** A user reporter recording every event it gets, through all five callbacks. */
export function recorder(): Reporter & { events: ReporterEvent[] } {
  const events: ReporterEvent[] = [];
  const record = (event: ReporterEvent) => {
    events.push(event);
  };
  return { events, started: record, success: record, aborted: record, failure: record, stopped: record };
}

/** Let setImmediate callbacks (the bus tick) and promise callbacks run. */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
