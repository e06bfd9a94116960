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

/** The process clock: epoch time with microsecond resolution, monotonic `performance.now()`. */
export const systemClock: Clock = {
  realMs: () => performance.timeOrigin + performance.now(),
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
