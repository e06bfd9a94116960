/**
 * @internal
 * How quick a queue's jobs are lately, for prefetching (machines/queue.ts
 * `pace`): a queue fetches ahead of its free slots only while its jobs are
 * quick, and the quicker they are the more, so that a prefetched job waits
 * no more than a few milliseconds for a slot, and never behind a run of
 * slow jobs. The verdict is a level L of 0 (no prefetch), 1, 2 or
 * {@link MAX_LEVEL}: L times the queue's concurrency ahead. A job then waits
 * about L average durations at most, so level L is taken when the average
 * is under {@link QUICK_MS}/L and left when it is over {@link SLOW_MS}/L (the
 * gap keeps jobs near a threshold from flipping it at every job). The
 * average is exponential (weight 1/{@link PACE_WINDOW}). It starts at 0: a
 * queue prefetches only once its jobs have shown they are quick.
 */

/** The average job duration under which level 1 is taken (level L: QUICK_MS / L), ms. */
export const QUICK_MS = 2;
/** The average job duration over which level 1 is left (level L: SLOW_MS / L), ms. */
export const SLOW_MS = 4;
/** The highest level: this many times the concurrency ahead. */
export const MAX_LEVEL = 4;
/** Jobs the average mostly spans (the newest weighs 1/PACE_WINDOW). */
export const PACE_WINDOW = 8;

/** The running average of one queue's job durations; see the module comment. */
export class JobPace {
  #averageMs: number | undefined;
  #level = 0;

  /** The level now: how many times the concurrency to fetch ahead. */
  get level(): number {
    return this.#level;
  }

  /** A job ran for `durationMs`: the new level when it changed, else `undefined`. */
  ended(durationMs: number): number | undefined {
    const average = this.#averageMs === undefined ? durationMs : this.#averageMs + (durationMs - this.#averageMs) / PACE_WINDOW;
    this.#averageMs = average;
    let level = this.#level;
    while (level > 0 && average > SLOW_MS / level) level = level === 1 ? 0 : level / 2;
    while (level < MAX_LEVEL && average < QUICK_MS / (level === 0 ? 1 : level * 2)) level = level === 0 ? 1 : level * 2;
    if (level === this.#level) return undefined;
    this.#level = level;
    return level;
  }
}
