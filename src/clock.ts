/**
 * @internal
 * Clocks named by purpose (Sidekiq's `component.rb` real_ms / mono_ms):
 * `realMs` for what is written to Redis, `monoMs` for durations and deadlines.
 * Tests inject a clock to make time deterministic.
 */
import { performance } from 'node:perf_hooks';

/** A source of time. `realMs` may have a fractional part (sub-ms precision). */
export interface Clock {
  /** Wall-clock epoch milliseconds, for timestamps written to Redis. */
  realMs(): number;
  /** Monotonic milliseconds, for durations and deadlines. */
  monoMs(): number;
}

/**
 * Epoch ms with a fraction: the monotonic clock from an anchor on the wall
 * clock (`Date.now()` has whole ms only; Sidekiq writes `Time.now.to_f`),
 * anchored again whenever it leaves the wall clock's millisecond. Without
 * the re-anchoring (`performance.timeOrigin + performance.now()`, as
 * before) a step of the wall clock while the process runs, an NTP or VM
 * clock correction, was never seen: a test run on a VM saw Kiq's timestamps
 * ~6 s behind `Date.now()` after nine minutes, scheduled jobs scored and
 * expiries counted from the wrong time. `now` and `mono` are injectable for
 * tests.
 *
 * @example
 * const clock = { realMs: anchoredRealMs(), monoMs: () => performance.now() };
 */
export function anchoredRealMs(now: () => number = Date.now, mono: () => number = () => performance.now()): () => number {
  let offset = now() - mono();
  return () => {
    const m = mono();
    const wall = now();
    const real = offset + m;
    if (real >= wall && real < wall + 1) return real;
    offset = wall - m;
    return wall;
  };
}

/** The process clock: epoch time with microsecond resolution that follows the wall clock, monotonic `performance.now()`. */
export const systemClock: Clock = {
  realMs: anchoredRealMs(),
  monoMs: () => performance.now(),
};

/** A clock that only moves when told to; for tests and the harness. */
export class ManualClock implements Clock {
  #real: number;
  #mono = 0;

  constructor(startRealMs = Date.UTC(2026, 0, 1)) {
    this.#real = startRealMs;
  }

  realMs(): number {
    return this.#real;
  }

  monoMs(): number {
    return this.#mono;
  }

  /** Move both clocks forward by `ms`. */
  advance(ms: number): void {
    this.#real += ms;
    this.#mono += ms;
  }
}
