/**
 * @internal
 * What the heartbeat reports about this process, kept in memory between
 * beats (docs/sidekiq-contract.md §4, §6.2): the jobs running now, the counters
 * not yet written to `stat:*`, and the quiet flag. The job path feeds it
 * through {@link JobHooks} (src/server/queue-logic.ts), synchronously and
 * per job, so each hook is O(1) with one small object per started job.
 *
 * Counting rules (Sidekiq's `processor.rb` `stats`: processed in `ensure`,
 * failed in `rescue Exception`; contract §4):
 *
 * | outcome                                   | processed | failed |
 * | ----------------------------------------- | --------- | ------ |
 * | `success`                                 | +1        |        |
 * | `retry`, `dead`, `discard`                | +1        | +1     |
 * | `aborted`/`shutdown` after `perform` ran  | +1        | +1     |
 * | `aborted`/`shutdown` not started          |           |        |
 * | `aborted`/`expired` (never ran)           |           |        |
 * | `invalid` (not a job; contract §4)        |           |        |
 *
 * An interrupted execution counts as processed and failed although the job
 * is requeued and runs again: Sidekiq counts `Sidekiq::Shutdown` passing
 * through `stats` the same way.
 */
import type { Clock } from '../clock.js';
import { ProblemBoard } from '../redis/outage-log.js';
import type { JobHooks, JobOutcome, JobStart } from '../job-events.js';

/** A running job as the heartbeat writes it to `<identity>:work` (§6.2). */
export interface RunningJob {
  /** Field name in the work hash: unique per execution within this process. */
  readonly id: string;
  /** The queue it was fetched from. */
  readonly queue: string;
  /** The job exactly as fetched (a JSON string; written as a string inside JSON). */
  readonly payload: string;
  /** When it started, integer epoch seconds (Sidekiq's `run_at`). */
  readonly runAtSec: number;
}

/** Counters not yet written to Redis. */
export interface PendingCounts {
  readonly processed: number;
  readonly failed: number;
}

/** One running execution; executions of byte-identical payloads are chained. */
interface Entry {
  /** Assigned when a beat first sees the job: most jobs end before any beat. */
  id: string | undefined;
  readonly queue: string;
  readonly payload: string;
  readonly runAtSec: number;
  next: Entry | undefined;
}

/** Running jobs, pending counters and the quiet flag of one Kiq server. */
export class ProcessState implements JobHooks {
  /**
   * Running executions by fetched string: `finished` receives the same string
   * as `started` (JobOutcome.raw), never an id, so the string is the key.
   */
  readonly #running = new Map<string, Entry>();
  readonly #clock: Clock;
  #busy = 0;
  #seq = 0;
  #processed = 0;
  #failed = 0;
  /** Written as the heartbeat's `quiet`; set by the facade (configure, TSTP, stop). */
  quiet = false;
  /** Failures that need an operator (ACL denials, WRONGTYPE), written as the heartbeat's `kiq_errors`. */
  readonly problems = new ProblemBoard();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Jobs running now (the heartbeat's `busy`). */
  get busy(): number {
    return this.#busy;
  }

  /** Counters not yet written. */
  get pending(): PendingCounts {
    return { processed: this.#processed, failed: this.#failed };
  }

  started(start: JobStart): void {
    const entry: Entry = {
      id: undefined,
      queue: start.queue,
      payload: start.raw,
      runAtSec: Math.floor(this.#clock.realMs() / 1000),
      next: undefined,
    };
    const same = this.#running.get(start.raw);
    if (same === undefined) this.#running.set(start.raw, entry);
    else {
      // the same bytes fetched twice (a payload pushed twice): both run
      entry.next = same;
      this.#running.set(start.raw, entry);
    }
    this.#busy++;
  }

  finished(outcome: JobOutcome): void {
    switch (outcome.kind) {
      case 'success':
        this.#end(outcome.raw);
        this.#processed++;
        return;
      case 'retry':
      case 'dead':
      case 'discard':
        this.#end(outcome.raw);
        this.#processed++;
        this.#failed++;
        return;
      case 'aborted':
        // `error` is present exactly when perform (or onStart) ran and then
        // failed because of the shutdown; without it the job never started
        if (outcome.reason === 'shutdown' && outcome.error !== undefined) {
          this.#end(outcome.raw);
          this.#processed++;
          this.#failed++;
        }
        return;
      case 'invalid':
        // never counted; a runner bug can end a started job this way, so
        // drop it from the running jobs if it is there
        this.#end(outcome.raw);
        return;
    }
  }

  #end(raw: string): void {
    const entry = this.#running.get(raw);
    if (entry === undefined) return;
    if (entry.next === undefined) this.#running.delete(raw);
    else this.#running.set(raw, entry.next);
    this.#busy--;
  }

  /**
   * The running jobs, for one beat. Ids are given on first sight and kept
   * for the whole execution (a base-36 counter, like Sidekiq's thread ids).
   */
  running(): RunningJob[] {
    const jobs: RunningJob[] = [];
    for (const head of this.#running.values()) {
      for (let entry: Entry | undefined = head; entry !== undefined; entry = entry.next) {
        entry.id ??= (++this.#seq).toString(36);
        jobs.push({ id: entry.id, queue: entry.queue, payload: entry.payload, runAtSec: entry.runAtSec });
      }
    }
    return jobs;
  }

  /** Take the pending counters out (they are zero afterwards); give them back with {@link restoreCounts} if the write fails. */
  takeCounts(): PendingCounts {
    const counts = { processed: this.#processed, failed: this.#failed };
    this.#processed = 0;
    this.#failed = 0;
    return counts;
  }

  /** Put back counters whose write failed: they go out with the next beat. */
  restoreCounts(counts: PendingCounts): void {
    this.#processed += counts.processed;
    this.#failed += counts.failed;
  }
}
