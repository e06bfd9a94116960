/**
 * A clock that is both Kiq's {@link Clock} and xstate's scheduler clock, so
 * one `advance` moves every notion of time in a Kiq instance at once:
 *
 * - xstate's timers: every `after` delay of the actor tree (pollers, beat,
 *   leader lease, fetcher backoff, supervisor timeouts) is scheduled on it
 *   when the facade passes it to `createActor(…, { clock })`, which it does
 *   for any configured `clock` that also has `setTimeout`/`clearTimeout`;
 * - Kiq's time: `realMs()` (job timestamps, retry and schedule scores,
 *   "now" of the pollers) and `monoMs()` (durations, leases, restart windows).
 *
 * It wraps xstate's `SimulatedClock` and also tracks when each pending timer
 * is due, so the harness can step from one due timer to the next instead of
 * in fixed increments.
 */
import { SimulatedClock } from 'xstate';
import type { Clock } from './clock.js';

/** The timer half of the clock, as xstate's `createActor({ clock })` takes it. */
export interface TimerClock {
  setTimeout(fn: (...args: unknown[]) => void, timeout: number): unknown;
  clearTimeout(id: unknown): void;
}

/** A simulated clock: time moves only by {@link HarnessClock.advance} / {@link HarnessClock.set}. */
export class HarnessClock implements Clock, TimerClock {
  readonly #sim = new SimulatedClock();
  /** Pending timers: id → due time (simulated elapsed ms). */
  readonly #due = new Map<number, number>();
  readonly #startMs: number;

  /** `startAt`: the wall-clock time at elapsed 0 (epoch ms or a `Date`); default: now. */
  constructor(startAt: number | Date = Date.now()) {
    this.#startMs = typeof startAt === 'number' ? startAt : startAt.getTime();
    if (!Number.isFinite(this.#startMs)) throw new RangeError(`HarnessClock: startAt must be a finite epoch ms or a valid Date, got ${String(startAt)}`);
  }

  /** Simulated ms since the clock was created. */
  get elapsed(): number {
    return this.#sim.now();
  }

  /** Wall-clock epoch ms: the start time plus the simulated elapsed time. */
  realMs(): number {
    return this.#startMs + this.#sim.now();
  }

  /** Monotonic ms: the simulated elapsed time. */
  monoMs(): number {
    return this.#sim.now();
  }

  /** xstate's clock: schedule `fn` after `timeout` simulated ms. */
  setTimeout(fn: (...args: unknown[]) => void, timeout: number): number {
    const delay = Number.isFinite(timeout) && timeout > 0 ? timeout : 0;
    const id: number = this.#sim.setTimeout(() => {
      this.#due.delete(id);
      fn();
    }, delay);
    this.#due.set(id, this.#sim.now() + delay);
    return id;
  }

  /** xstate's clock: cancel a timer. */
  clearTimeout(id: unknown): void {
    this.#due.delete(id as number);
    this.#sim.clearTimeout(id as number);
  }

  /** Pending timers. */
  get pending(): number {
    return this.#due.size;
  }

  /** When the earliest pending timer is due (simulated elapsed ms), or `undefined` when none is. */
  nextDue(): number | undefined {
    let next: number | undefined;
    for (const at of this.#due.values()) if (next === undefined || at < next) next = at;
    return next;
  }

  /** Whether some timer is due now (e.g. a 0 ms delay scheduled since the last move). */
  hasDue(): boolean {
    const next = this.nextDue();
    return next !== undefined && next <= this.#sim.now();
  }

  /** Fire the timers that are due now, synchronously, earliest first. */
  fireDue(): void {
    if (this.hasDue()) this.#sim.set(this.#sim.now());
  }

  /** Move time forward by `ms` in one jump; every timer due by then fires once, synchronously, earliest first. */
  advance(ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`HarnessClock.advance: ms must be a finite number >= 0, got ${ms}`);
    this.#sim.increment(ms);
  }

  /** Move time to `elapsedMs` (never back); timers due by then fire, earliest first. */
  set(elapsedMs: number): void {
    if (!Number.isFinite(elapsedMs) || elapsedMs < this.#sim.now()) {
      throw new RangeError(`HarnessClock.set: cannot move from ${this.#sim.now()} to ${elapsedMs} (time only moves forward)`);
    }
    this.#sim.set(elapsedMs);
  }
}

/** Whether `clock` can also schedule xstate's timers (has `setTimeout` and `clearTimeout`). */
export function isTimerClock(clock: unknown): clock is TimerClock {
  return (
    typeof clock === 'object' &&
    clock !== null &&
    typeof (clock as Partial<TimerClock>).setTimeout === 'function' &&
    typeof (clock as Partial<TimerClock>).clearTimeout === 'function'
  );
}
