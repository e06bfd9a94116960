/**
 * @internal
 * Execution metrics of one Kiq server, aggregated in memory between beats,
 * counted as Sidekiq 7.3/8.1 `Metrics::ExecutionTracker#track` counts them
 * (metrics/tracking.rb): per job class (`wrapped` when present, as its
 * middleware takes `hash["wrapped"] || hash["class"]`), `p` for every
 * performed job, `f` for every one that raised, and for successful ones only
 * the run time, summed in `ms` and counted in the histogram.
 *
 * | outcome                                       | p  | f  | ms, histogram |
 * | --------------------------------------------- | -- | -- | ------------- |
 * | `success`                                     | +1 |    | run time      |
 * | `retry`, `dead`, `discard` after perform ran  | +1 | +1 |               |
 * | `aborted`/`shutdown` after perform ran        | +1 | +1 |               |
 * | never performed (unknown worker, expired, …)  |    |    |               |
 *
 * A job whose worker is unknown never reaches Sidekiq's server middleware
 * (the class lookup fails first), hence not counted here. {@link take} hands
 * the totals to the writer (src/server/metrics/write-metrics.ts) once per
 * beat; {@link restore} puts back totals whose write did not run.
 */
import type { JobHooks, JobOutcome } from '../../job-events.js';
import { HISTOGRAM_BUCKETS, bucketOf } from './histogram.js';

/** One class's totals since the last write. */
export interface ClassMetrics {
  /** Performed (`|p`), failures included. */
  processed: number;
  /** Raised (`|f`). */
  failed: number;
  /** Successful runs, whose time is in {@link ms} and {@link histogram}. */
  timed: number;
  /** Summed whole-ms run time of the successful runs (`|ms`). */
  ms: number;
  /** Successful runs per bucket (src/server/metrics/histogram.ts). */
  readonly histogram: number[];
}

/** Class name → totals; what one write sends. */
export type MetricsSnapshot = ReadonlyMap<string, Readonly<ClassMetrics>>;

function emptyClass(): ClassMetrics {
  return { processed: 0, failed: 0, timed: 0, ms: 0, histogram: new Array<number>(HISTOGRAM_BUCKETS).fill(0) };
}

/** The class Sidekiq's metrics name a job by: `wrapped` (ActiveJob and other wrappers) when it is a string, else `class`. */
export function metricsClass(job: { readonly class: string; readonly wrapped?: unknown }): string {
  return typeof job.wrapped === 'string' && job.wrapped !== '' ? job.wrapped : job.class;
}

/** The in-memory metrics; a {@link JobHooks} observer, O(1) per job. */
export class ExecutionMetrics implements JobHooks {
  #classes = new Map<string, ClassMetrics>();

  /** Whether anything waits to be written. */
  get empty(): boolean {
    return this.#classes.size === 0;
  }

  started(): void {}

  finished(outcome: JobOutcome): void {
    switch (outcome.kind) {
      case 'success': {
        const entry = this.#entry(metricsClass(outcome.job));
        const ms = Math.max(0, Math.round(outcome.durationMs));
        entry.processed++;
        entry.timed++;
        entry.ms += ms;
        entry.histogram[bucketOf(ms)]!++;
        return;
      }
      case 'retry':
      case 'dead':
      case 'discard':
        // absent durationMs: perform never ran (unknown worker, onStart failed)
        if (outcome.durationMs !== undefined) this.#failure(metricsClass(outcome.job));
        return;
      case 'aborted':
        // `error`: perform ran and failed because of the shutdown (Sidekiq::Shutdown passes `track`)
        if (outcome.reason === 'shutdown' && outcome.error !== undefined) this.#failure(metricsClass(outcome.job));
        return;
      case 'invalid':
        return;
    }
  }

  /** Take the totals out (empty afterwards). */
  take(): MetricsSnapshot {
    const taken = this.#classes;
    this.#classes = new Map();
    return taken;
  }

  /** Add back totals whose write did not run: they go out with the next one. */
  restore(snapshot: MetricsSnapshot): void {
    for (const [name, from] of snapshot) {
      const entry = this.#entry(name);
      entry.processed += from.processed;
      entry.failed += from.failed;
      entry.timed += from.timed;
      entry.ms += from.ms;
      for (let i = 0; i < HISTOGRAM_BUCKETS; i++) entry.histogram[i]! += from.histogram[i]!;
    }
  }

  #failure(name: string): void {
    const entry = this.#entry(name);
    entry.processed++;
    entry.failed++;
  }

  #entry(name: string): ClassMetrics {
    let entry = this.#classes.get(name);
    if (entry === undefined) {
      entry = emptyClass();
      this.#classes.set(name, entry);
    }
    return entry;
  }
}
