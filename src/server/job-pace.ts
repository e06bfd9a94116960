/**
 * @internal
 * How quick a queue's jobs are lately, for prefetching (machines/queue.ts
 * `pace`): a queue fetches ahead of its free slots only while its jobs are
 * quick, and the quicker they are the more, so that a prefetched job waits
 * a few milliseconds for a slot while the jobs stay quick (when they turn
 * slow, what was fetched ahead waits behind the first slow ones until the
 * average catches up). The verdict is a level L of {@link LEVELS}: L times
 * the queue's concurrency ahead. A job then waits
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
/** The levels, lowest first: 0 is no prefetch. */
export const LEVELS: readonly number[] = [0, 1, 2, MAX_LEVEL];
/** Jobs the average mostly spans (the newest weighs 1/PACE_WINDOW). */
export const PACE_WINDOW = 8;

/** The running average of one queue's job durations; see the module comment. */
export class JobPace {
  #averageMs: number | undefined;
  /** Index of the current level in {@link LEVELS}. */
  #index = 0;

  /** The level now: how many times the concurrency to fetch ahead. */
  get level(): number {
    return LEVELS[this.#index]!;
  }

  /** A job ran for `durationMs`: the new level when it changed, else `undefined`. */
  ended(durationMs: number): number | undefined {
    const average = this.#averageMs === undefined ? durationMs : this.#averageMs + (durationMs - this.#averageMs) / PACE_WINDOW;
    this.#averageMs = average;
    let index = this.#index;
    while (index > 0 && average > SLOW_MS / LEVELS[index]!) index--;
    while (index < LEVELS.length - 1 && average < QUICK_MS / LEVELS[index + 1]!) index++;
    if (index === this.#index) return undefined;
    this.#index = index;
    return LEVELS[index]!;
  }
}
