/**
 * @internal
 * Acknowledges finished jobs in batches: every job that ended (success,
 * expired, discarded) is removed from its private list with
 * `LREM <private> -1 <exact fetched string>` (docs/architecture.md §2: a re-encoded
 * string would match nothing), all of one tick in one pipeline. A failed
 * pipeline is retried with backoff; until then the jobs stay in the private
 * list, so a crash meanwhile runs them again rather than losing them.
 *
 * A fetch of the same queue may carry the pending acks instead
 * ({@link Acker.carry}: fetch-jobs.lua LREMs them first), saving a round
 * trip. So that the fetch a finished job's freed slot starts can take its
 * ack, the Acker's own write waits two `setImmediate`s: the queue's
 * `job.finished` flush (src/server/queue-logic.ts), scheduled in the same
 * tick, runs in between and starts that fetch synchronously. When the write
 * comes due while a fetch of the Acker's queues is in flight, it waits once
 * for that fetch to end (at most {@link FETCH_WAIT_MS}): the fetch the
 * freed slots start right after it takes the acks (a busy queue then writes
 * one script call per round, not two); if none does, the Acker writes them
 * two immediates later.
 */
import type { Redis } from 'ioredis';
import type { RawJob } from '../job/raw.js';

/** Longest a due write waits for a fetch in flight (a stalled connection must not hold acks), ms. */
export const FETCH_WAIT_MS = 50;

/** A finished job to acknowledge. */
export interface AckItem {
  readonly queue: string;
  /** The entry exactly as fetched (bytes when not valid UTF-8). */
  readonly raw: RawJob;
}

/** Writes acknowledgements; see the module comment. */
export class Acker {
  readonly #write: (redis: Redis, items: readonly AckItem[]) => Promise<void>;
  readonly #redis: () => Redis;
  readonly #onResult: ((error?: unknown) => void) | undefined;
  readonly #written: (items: readonly AckItem[]) => void;
  #pending: AckItem[] = [];
  #scheduled = false;
  /** Bumped to cancel the scheduled write: a run of an older schedule does nothing. */
  #schedules = 0;
  #inFlight: Promise<void> | undefined;
  /** Calls carrying acks ({@link Acker.carry}) not ended yet. */
  #carried = 0;
  /** Calls run through {@link Acker.carry} not ended yet, with or without acks. */
  #fetching = 0;
  /** The own write came due while a fetch was in flight: it waits for that fetch's end. */
  #afterFetch = false;
  #backoff = 0;
  #idle: (() => void)[] = [];

  /**
   * @param write sends one batch (ackJobs)
   * @param redis picks a connection for each batch
   * @param observe `written`: told of each batch once Redis has it (the jobs
   *   are no longer held); `onResult`: told after each batch, its error or
   *   nothing when it was written (to log outages)
   */
  constructor(
    write: (redis: Redis, items: readonly AckItem[]) => Promise<void>,
    redis: () => Redis,
    observe: { readonly written?: (items: readonly AckItem[]) => void; readonly onResult?: (error?: unknown) => void } = {},
  ) {
    this.#write = write;
    this.#redis = redis;
    this.#written = observe.written ?? (() => undefined);
    this.#onResult = observe.onResult;
  }

  /** Jobs waiting to be acknowledged. */
  get pending(): number {
    return this.#pending.length;
  }

  /** Queue an acknowledgement for the next batch. */
  add(item: AckItem): void {
    this.#pending.push(item);
    this.#schedule(0);
  }

  /** Resolves when every queued acknowledgement has been written (also those a fetch carries). */
  settled(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /**
   * Run `call` (a fetch of `queue`) carrying the pending acks of `queue`:
   * they are taken from the pending batch and count as in flight
   * ({@link Acker.settled} waits) until `call` ends. `call` reports
   * `applied` once Redis has them: they are written as by the Acker's own
   * batch (`written`, `onResult`). If it rejects without that, they go
   * back to the pending batch and are retried with the Acker's backoff, its
   * failure told to `onResult`. A reply lost after Redis ran the call
   * leaves at worst an LREM that is repeated: it removes nothing the second
   * time (unless another copy with the same bytes is in flight, the same
   * caveat as retrying an Acker batch, src/server/ops/ack.ts). With nothing
   * pending, `call` gets no acks.
   */
  carry<T>(queue: string, call: (acks: { readonly raws: readonly RawJob[]; readonly applied: () => void } | undefined) => Promise<T>): Promise<T> {
    const taken: AckItem[] = [];
    if (this.#pending.length > 0) {
      const rest: AckItem[] = [];
      for (const item of this.#pending) (item.queue === queue ? taken : rest).push(item);
      this.#pending = rest;
      // the write scheduled for them is void: left standing, it would fire
      // for the next round's acks before the fetch that round starts (the
      // reply to this fetch can come within the two immediates, on a busy
      // host) and send them alone
      if (rest.length === 0 && taken.length > 0) this.#cancel();
    }
    this.#fetching++;
    if (taken.length === 0) {
      let plain: Promise<T>;
      try {
        plain = call(undefined);
      } catch (error) {
        this.#fetchEnded();
        throw error;
      }
      return this.#track(plain);
    }
    this.#carried++;
    let applied = false;
    const apply = () => {
      if (applied) return;
      applied = true;
      this.#backoff = 0;
      this.#written(taken);
      this.#onResult?.();
    };
    const ended = (error?: unknown) => {
      this.#carried--;
      if (!applied) {
        this.#pending = [...taken, ...this.#pending];
        this.#onResult?.(error);
        this.#backoff = Math.min(Math.max(this.#backoff * 2, 50), 2000);
        this.#schedule(this.#backoff);
      } else if (this.#isIdle()) this.#notifyIdle();
    };
    let running: Promise<T>;
    try {
      running = call({ raws: taken.map((item) => item.raw), applied: apply });
    } catch (error) {
      this.#fetchEnded();
      ended(error);
      throw error;
    }
    return running.then(
      (value) => {
        this.#fetchEnded();
        apply(); // resolved: Redis ran it
        ended();
        return value;
      },
      (error: unknown) => {
        this.#fetchEnded();
        ended(error);
        throw error;
      },
    );
  }

  /** Count `call` as a fetch in flight until it settles (one reaction, not `finally`'s two). */
  #track<T>(call: Promise<T>): Promise<T> {
    return call.then(
      (value) => {
        this.#fetchEnded();
        return value;
      },
      (error: unknown) => {
        this.#fetchEnded();
        throw error;
      },
    );
  }

  /** A fetch ended (or, `timedOut`, the wait for one is over): a write waiting for it is scheduled. */
  #fetchEnded(timedOut = false): void {
    if (!timedOut) this.#fetching--;
    if (!this.#afterFetch) return;
    this.#afterFetch = false;
    this.#schedule(0, false);
  }

  /** Drop the scheduled write and any wait for a fetch's end (nothing is pending). */
  #cancel(): void {
    this.#afterFetch = false;
    if (!this.#scheduled) return;
    this.#scheduled = false;
    this.#schedules++;
  }

  /** Write in `delay` ms (0: two immediates); `mayWait`: a due write may still wait for a fetch in flight, once. */
  #schedule(delay: number, mayWait = true): void {
    if (this.#scheduled || this.#inFlight) return;
    this.#scheduled = true;
    const schedule = ++this.#schedules;
    const run = () => {
      if (schedule !== this.#schedules) return;
      this.#scheduled = false;
      // a fetch in flight ends in a round trip, and the fetch its freed
      // slots start next takes these acks: wait for it rather than write now
      if (delay === 0 && mayWait && this.#fetching > 0) {
        this.#afterFetch = true;
        setTimeout(() => this.#fetchEnded(true), FETCH_WAIT_MS).unref();
        return;
      }
      void this.#flush();
    };
    // two immediates: a fetch started by the job.finished flush of this tick carries the acks (module comment)
    if (delay === 0) setImmediate(() => setImmediate(run));
    else setTimeout(run, delay).unref();
  }

  async #flush(): Promise<void> {
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) {
      if (this.#isIdle()) this.#notifyIdle();
      return;
    }
    this.#inFlight = this.#write(this.#redis(), batch).then(
      () => {
        this.#backoff = 0;
        this.#written(batch);
        this.#onResult?.();
      },
      (error: unknown) => {
        this.#pending = [...batch, ...this.#pending];
        this.#onResult?.(error);
        this.#backoff = Math.min(Math.max(this.#backoff * 2, 50), 2000);
      },
    );
    await this.#inFlight;
    this.#inFlight = undefined;
    if (this.#pending.length > 0) this.#schedule(this.#backoff);
    else if (this.#isIdle()) this.#notifyIdle();
  }

  #isIdle(): boolean {
    return this.#pending.length === 0 && !this.#inFlight && this.#carried === 0;
  }

  #notifyIdle(): void {
    const waiting = this.#idle;
    this.#idle = [];
    for (const resolve of waiting) resolve();
  }
}
