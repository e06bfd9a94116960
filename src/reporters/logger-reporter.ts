/**
 * @internal
 * The logger reporter (Kiq's `Kiq.Reporter.Logger`, docs/kiq-elixir.md §6.2):
 * one compact JSON line per job event through `config.logger`, `info` for
 * started/success/aborted and `warn` for failures. `stopped` is not logged
 * (Kiq does not either). Fields, in this order, absent ones left out:
 *
 * | event         | fields                                                                                    |
 * | ------------- | ----------------------------------------------------------------------------------------- |
 * | `job_started` | `source:"kiq"`, `event`, `class`, `queue`, `jid`                                          |
 * | `job_success` | … `duration_ms` (ms, 3 decimals)                                                          |
 * | `job_aborted` | … `reason` (`expired` \| `shutdown`)                                                      |
 * | `job_failure` | … `duration_ms`?, `error` (message), `error_class`, `retry_count` (as it ran), `outcome`, `backtrace`? (the first {@link LOGGED_FRAMES} stack frames) |
 *
 * Kiq wrote `worker` and `timing:"<µs> µs"`; we write `class` (Sidekiq's
 * name) and a number of milliseconds. Cost: each line is built once, when
 * its event is handled in the reporter actor (never on the job path), and
 * not at all when the logger says the level is off (`isLevelEnabled`, as
 * pino and winston have it; read once per batch). With both levels off the
 * bus does not feed this reporter at all (see {@link loggerReporter}).
 *
 * @example
 * {"source":"kiq","event":"job_success","class":"Mailer","queue":"mailers","jid":"0b5d0c5b34a9c2b1e4a7d9f0","duration_ms":12.345}
 */
import type { JobEvent } from '../../machines/reporter.js';
import type { Logger } from '../logger.js';
import type { JobEventType } from './bus.js';
import { backtraceLines } from '../job/backtrace.js';
import { errorClassOf, errorMessageOf } from '../job/error-fields.js';

/** Stack frames a `job_failure` line keeps: where it failed, not the whole stack (the `backtrace` option keeps it in the payload). */
export const LOGGED_FRAMES = 5;

/** Kiq's log event names, by job event (`stopped` has none). */
const EVENT_NAMES = {
  started: 'job_started',
  success: 'job_success',
  aborted: 'job_aborted',
  failure: 'job_failure',
} as const;

/** The log line for `event`, or `undefined` for `stopped`. */
export function formatJobLine(event: JobEvent): string | undefined {
  if (event.type === 'stopped') return undefined;
  const { job } = event;
  const fields: Record<string, unknown> = {
    source: 'kiq',
    event: EVENT_NAMES[event.type],
    class: job.class,
    queue: event.queue,
    jid: typeof job.jid === 'string' ? job.jid : undefined,
  };
  switch (event.type) {
    case 'success':
      fields.duration_ms = roundMs(event.durationMs);
      break;
    case 'aborted':
      fields.reason = event.reason;
      break;
    case 'failure':
      if (event.durationMs !== undefined) fields.duration_ms = roundMs(event.durationMs);
      fields.error = errorMessageOf(event.error);
      fields.error_class = errorClassOf(event.error);
      fields.retry_count = typeof job.retry_count === 'number' ? job.retry_count : 0;
      fields.outcome = event.outcome;
      {
        const frames = backtraceLines(event.error).slice(0, LOGGED_FRAMES);
        if (frames.length > 0) fields.backtrace = frames;
      }
      break;
  }
  return JSON.stringify(fields);
}

/**
 * The logger reporter's handler and per-batch prelude, for `guardedDeliver`,
 * and, for a logger that has `isLevelEnabled`, its `wanted` for the bus: the
 * events it would log at the levels now on (`failure` at warn; `started`,
 * `success` and `aborted` at info; never `stopped`), so at warn level a
 * batch of successful jobs is not even recorded for it (a logger without
 * `isLevelEnabled` is always wanted).
 */
export function loggerReporter(logger: Logger): { handle: (event: JobEvent) => void; begin: () => void; wanted?: (type: JobEventType) => boolean } {
  let infoOn = true;
  let warnOn = true;
  const canTell = typeof (logger as { isLevelEnabled?: unknown }).isLevelEnabled === 'function';
  return {
    ...(canTell ? { wanted: (type: JobEventType) => type !== 'stopped' && levelEnabled(logger, type === 'failure' ? 'warn' : 'info') } : {}),
    begin() {
      infoOn = levelEnabled(logger, 'info');
      warnOn = levelEnabled(logger, 'warn');
    },
    handle(event) {
      if (event.type === 'stopped') return;
      if (event.type === 'failure') {
        if (warnOn) logger.warn(formatJobLine(event)!);
      } else if (infoOn) {
        logger.info(formatJobLine(event)!);
      }
    },
  };
}

/** `logger.isLevelEnabled(level)` when the logger has it (pino, winston); else assume on. */
function levelEnabled(logger: Logger, level: 'info' | 'warn'): boolean {
  const check = (logger as { isLevelEnabled?: unknown }).isLevelEnabled;
  if (typeof check !== 'function') return true;
  try {
    return check.call(logger, level) !== false;
  } catch {
    return true;
  }
}

/** Milliseconds to 3 decimals (µs), as a number. */
function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
