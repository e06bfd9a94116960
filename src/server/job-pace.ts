/**
 * @internal
 * How quick a queue's jobs are lately, for prefetching (machines/queue.ts
 * `pace`): a queue fetches ahead of its free slots only while its jobs are
 * quick, so a prefetched job waits a fraction of a millisecond for a slot,
 * never behind a run of slow jobs. The average is exponential (weight
 * 1/{@link PACE_WINDOW}), with a gap between the two thresholds so that jobs
 * near one do not flip it at every job. It starts slow: a queue prefetches
 * only once its jobs have shown they are quick.
 */

/** The average job duration under which the jobs count as quick, ms. */
export const QUICK_MS = 2;
/** The average job duration over which quick jobs count as slow again, ms. */
export const SLOW_MS = 4;
/** Jobs the average mostly spans (the newest weighs 1/PACE_WINDOW). */
export const PACE_WINDOW = 8;

/** The running average of one queue's job durations; see the module comment. */
export class JobPace {
  #averageMs: number | undefined;
  #quick = false;

  /** Whether the jobs count as quick now. */
  get quick(): boolean {
    return this.#quick;
  }

  /** A job ran for `durationMs`: the new verdict when it changed, else `undefined`. */
  ended(durationMs: number): boolean | undefined {
    const average = this.#averageMs === undefined ? durationMs : this.#averageMs + (durationMs - this.#averageMs) / PACE_WINDOW;
    this.#averageMs = average;
    const quick = this.#quick ? average <= SLOW_MS : average < QUICK_MS;
    if (quick === this.#quick) return undefined;
    this.#quick = quick;
    return quick;
  }
}
