/**
 * @internal
 * Acknowledges finished jobs in batches: every job that ended (success,
 * expired, discarded) is removed from its private list with
 * `LREM <private> -1 <exact fetched string>` (docs/architecture.md §2: a re-encoded
 * string would match nothing), all of one tick in one pipeline. A failed
 * pipeline is retried with backoff; until then the jobs stay in the private
 * list, so a crash meanwhile runs them again rather than losing them.
 */
import type { Redis } from 'ioredis';
import type { RawJob } from '../job/raw.js';

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
  #inFlight: Promise<void> | undefined;
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

  /** Resolves when every queued acknowledgement has been written. */
  settled(): Promise<void> {
    if (this.#pending.length === 0 && !this.#inFlight) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #schedule(delay: number): void {
    if (this.#scheduled || this.#inFlight) return;
    this.#scheduled = true;
    const run = () => {
      this.#scheduled = false;
      void this.#flush();
    };
    if (delay === 0) setImmediate(run);
    else setTimeout(run, delay).unref();
  }

  async #flush(): Promise<void> {
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return this.#notifyIdle();
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
    else this.#notifyIdle();
  }

  #notifyIdle(): void {
    const waiting = this.#idle;
    this.#idle = [];
    for (const resolve of waiting) resolve();
  }
}
