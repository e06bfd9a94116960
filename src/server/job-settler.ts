/**
 * @internal
 * Turns a job's outcome into Redis writes (the caller side of
 * `src/job-events.ts`): ack, retry, dead set, lock release.
 * Success-path acks are batched by the {@link Acker}; a retry or death is
 * one MULTI (zset add + ack), retried on connection errors until it lands or
 * the process stops — then the job is still in the private list and is
 * requeued, never lost (sidekiq `manager.rb`: worse to lose a job than to
 * run it twice).
 */
import type { Clock } from '../clock.js';
import { logEvent, type Logger } from '../logger.js';
import { deadLetterEntry, deadLetterJid, deadLetterFields, excerpt } from '../job/dead-letter.js';
import type { RawJob } from '../job/raw.js';
import type { ConnectionPool } from '../redis/connections.js';
import { queueKey } from '../redis/keys.js';
import type { OutageLog } from '../redis/outage-log.js';
import type { Acker } from './acker.js';
import { killJob, releaseUniqueLock, retryJob, type FetchedJob } from './ops/index.js';
import { errorClassOf } from '../job/error-fields.js';
import type { JobOutcome, UniqueLock } from '../job-events.js';

/** What the settler needs. */
export interface SettlerDeps {
  readonly pool: ConnectionPool;
  readonly acker: Acker;
  readonly clock: Clock;
  readonly identity: string;
  readonly logger: Logger;
  readonly deadLimit: number;
  readonly deadTimeout: number;
  /** Aborted when the process stops: persistence retries give up then. */
  readonly signal: AbortSignal;
  /** Logs failed retry/dead/unlock writes once per outage. */
  readonly outage?: OutageLog;
  /** Told when a retry or dead write has landed: the job has left the private list (acks: the Acker's `written`). */
  readonly settled?: (job: FetchedJob) => void;
}

/**
 * Settle `outcome` in Redis, removing `raw` (the entry exactly as fetched;
 * default `outcome.raw`) from the private list. Never throws or rejects.
 * An outcome that only needs an ack (success, discard, an expiry, no lock
 * to release) is handed to the {@link Acker} at once and returns
 * `undefined`: the job path takes no extra promise step for it; anything
 * else returns the promise of its writes.
 */
export function settleOutcome(outcome: JobOutcome, deps: SettlerDeps, raw: RawJob = outcome.raw): Promise<void> | undefined {
  if ((outcome.kind === 'success' || outcome.kind === 'discard' || (outcome.kind === 'aborted' && outcome.reason !== 'shutdown')) && outcome.unlock === undefined) {
    deps.acker.add({ queue: outcome.queue, raw });
    return undefined;
  }
  return settleWrites(outcome, deps, raw);
}

async function settleWrites(outcome: JobOutcome, deps: SettlerDeps, raw: RawJob): Promise<void> {
  const fetched: FetchedJob = { queue: outcome.queue, raw };
  const landed = () => deps.settled?.(fetched);
  switch (outcome.kind) {
    case 'success':
      deps.acker.add(fetched);
      break;
    case 'aborted':
      if (outcome.reason === 'shutdown') return; // stays in the private list; requeued
      deps.acker.add(fetched);
      break;
    // failures are logged by the logger reporter (job_failure, with the outcome)
    case 'discard':
      deps.acker.add(fetched);
      break;
    case 'retry':
      if (await persist(deps, () => retryJob(deps.pool.next(), deps.identity, fetched, outcome.json, outcome.retryAtSec))) landed();
      break;
    case 'dead':
      if (await persist(deps, () => killJob(deps.pool.next(), deps.identity, fetched, outcome.json, nowSec(deps), deps.deadLimit, deps.deadTimeout))) landed();
      break;
    case 'invalid': {
      // not a job: dead as a wrapper Sidekiq's Dead page reads, reason inside (the entry's
      // own bytes too when they are not UTF-8), logged once with what finds it
      const at = nowSec(deps);
      const from = queueKey(outcome.queue);
      const entry = deadLetterEntry(raw, { reason: outcome.error.message, queue: outcome.queue, source: from, nowSec: at });
      if (await persist(deps, () => killJob(deps.pool.next(), deps.identity, fetched, entry, at, deps.deadLimit, deps.deadTimeout))) {
        landed();
        logEvent(deps.logger, 'warn', 'job_invalid', deadLetterFields({ from, jid: deadLetterJid(raw), deadScore: at, reason: outcome.error.message, excerpt: excerpt(raw) }));
      }
      return;
    }
  }
  const unlock: UniqueLock | undefined = 'unlock' in outcome ? outcome.unlock : undefined;
  if (unlock) await persist(deps, () => releaseUniqueLock(deps.pool.next(), unlock.key, unlock.jid));
}

function nowSec(deps: SettlerDeps): number {
  return deps.clock.realMs() / 1000;
}

/**
 * Run `write` until it succeeds (true), backing off 50 ms → 2 s, or until the
 * process stops (false); the outage is logged (`settle_failed`, then `settle_restored`).
 */
async function persist(deps: SettlerDeps, write: () => Promise<unknown>): Promise<boolean> {
  for (let delay = 50; ; delay = Math.min(delay * 2, 2_000)) {
    try {
      await write();
      deps.outage?.restored('settle_restored');
      return true;
    } catch (error) {
      deps.outage?.failed('settle_failed', error);
      if (deps.signal.aborted) {
        logEvent(deps.logger, 'error', 'job_outcome_unsaved', error instanceof Error ? { error_class: errorClassOf(error), error: error.message } : { error: String(error) });
        return false;
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
