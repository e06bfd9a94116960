/**
 * @internal
 * The reliable-push buffer (Kiq.Client's table, docs/sidekiq-contract.md §8):
 * jobs wait here until the Flusher has written them to Redis. It is bounded:
 * past `limit` jobs `add` throws {@link BufferFullError} instead of dropping
 * anything (Sidekiq Pro 7.1.4 #5909). A batch taken for a flush stays counted
 * until it is acknowledged or given back, so a failed flush loses nothing.
 *
 * Entries hold the job as the JSON string Redis will store, encoded once at
 * enqueue. Packing them with msgpackr instead (Kiq kept its table
 * compressed) was measured on 100k jobs: 49 MB (heap + the buffers' shared
 * slabs) against 30 MB for the strings, plus ~5.5 µs of pack and unpack per
 * job on the hot path, so the buffer keeps strings.
 */
import { BufferFullError } from '../errors.js';
import type { BufferEntry } from './entry.js';

interface Waiter {
  readonly seq: number;
  readonly resolve: () => void;
}

/** FIFO of jobs waiting for Redis, with flush barriers. */
export class JobBuffer {
  readonly limit: number;
  #pending: BufferEntry[] = [];
  #inFlight = 0;
  #lowestInFlight = Number.POSITIVE_INFINITY;
  #nextSeq = 0;
  #waiters: Waiter[] = [];
  readonly #onFirst: (() => void) | undefined;
  /** When the oldest entry being flushed arrived (monotonic ms; each entry's own `arrivedMs`), for {@link oldestAgeMs} (`kiq.health()`). */
  #oldestInFlightMs = Number.POSITIVE_INFINITY;
  readonly #now: () => number;

  /**
   * @param limit most jobs held at once (pending + being flushed)
   * @param onFirst called when a job arrives in an empty buffer (the Flusher's nudge)
   * @param now monotonic ms, to age the entries (default `performance.now`)
   */
  constructor(limit: number, onFirst?: () => void, now: () => number = () => performance.now()) {
    this.limit = limit;
    this.#onFirst = onFirst;
    this.#now = now;
  }

  /** Jobs held: waiting plus being flushed. */
  get size(): number {
    return this.#pending.length + this.#inFlight;
  }

  /** Jobs waiting for the next flush. */
  get pending(): number {
    return this.#pending.length;
  }

  /** Sequence number the next entry will get. */
  nextSeq(): number {
    return this.#nextSeq;
  }

  /** Append a job; throws {@link BufferFullError} when full. */
  add(make: (seq: number) => BufferEntry): BufferEntry {
    if (this.size >= this.limit) throw new BufferFullError(this.limit);
    const entry = make(this.#nextSeq++);
    entry.arrivedMs = this.#now();
    this.#pending.push(entry);
    if (this.#pending.length === 1) this.#onFirst?.();
    return entry;
  }

  /** Take up to `max` waiting jobs for a flush; they stay counted until {@link settle}. */
  take(max: number): BufferEntry[] {
    const batch = this.#pending.length <= max ? this.#pending : this.#pending.slice(0, max);
    this.#pending = batch === this.#pending ? [] : this.#pending.slice(max);
    this.#inFlight += batch.length;
    if (batch.length > 0) {
      this.#lowestInFlight = Math.min(this.#lowestInFlight, batch[0]!.seq);
      this.#oldestInFlightMs = Math.min(this.#oldestInFlightMs, batch[0]!.arrivedMs);
    }
    return batch;
  }

  /**
   * Finish a flush of `batch`: `failed` entries go back to the front, in
   * order (they are older than anything still pending); the rest are done.
   */
  settle(batch: readonly BufferEntry[], failed: readonly BufferEntry[]): void {
    this.#inFlight -= batch.length;
    if (failed.length > 0) this.#pending = [...failed, ...this.#pending];
    if (this.#inFlight === 0) {
      this.#lowestInFlight = Number.POSITIVE_INFINITY;
      this.#oldestInFlightMs = Number.POSITIVE_INFINITY;
    }
    this.#release();
  }

  /** Age of the oldest job held (waiting or being flushed), ms; 0 when empty. */
  oldestAgeMs(): number {
    const first = this.#pending[0];
    const oldest = Math.min(first === undefined ? Number.POSITIVE_INFINITY : first.arrivedMs, this.#oldestInFlightMs);
    return oldest === Number.POSITIVE_INFINITY ? 0 : Math.max(0, this.#now() - oldest);
  }

  /** Resolves once every job added before this call has left the buffer. */
  drained(): Promise<void> {
    const seq = this.#nextSeq;
    if (this.#lowestHeld() >= seq) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ seq, resolve }));
  }

  /** Remove and return every waiting job, e.g. to report what a failed final flush left. */
  takeAll(): BufferEntry[] {
    const all = this.#pending;
    this.#pending = [];
    return all;
  }

  #lowestHeld(): number {
    const first = this.#pending[0]?.seq ?? Number.POSITIVE_INFINITY;
    return Math.min(first, this.#lowestInFlight);
  }

  #release(): void {
    if (this.#waiters.length === 0) return;
    const lowest = this.#lowestHeld();
    const still: Waiter[] = [];
    for (const waiter of this.#waiters) {
      if (lowest >= waiter.seq) waiter.resolve();
      else still.push(waiter);
    }
    this.#waiters = still;
  }
}
