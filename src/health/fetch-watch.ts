/**
 * @internal
 * When each queue last completed a fetch call, and the last fetch error:
 * what `kiq.health()` judges a silent queue by. A blocking fetch that
 * times out on an empty queue is a successful call, so an idle queue that
 * polls fine stays fresh; a queue whose every fetch fails (Redis down, an
 * ACL without `LMOVE`, WRONGTYPE on its key) goes stale. Fed by the queue
 * logic (src/server/queue-logic.ts) around each fetch, O(1) per call.
 */
import type { Clock } from '../clock.js';
import { describeRedisError } from '../redis/redis-error.js';

/** One queue's fetch record. */
export interface FetchRecord {
  /** Monotonic ms of the last fetch call that succeeded (job or not); `undefined`: none yet. */
  readonly lastOkMono: number | undefined;
  /** The last fetch failure in plain words, with its cause; cleared by nothing (kept for the report). */
  readonly lastError: string | undefined;
  /** Monotonic ms of {@link lastError}. */
  readonly lastErrorMono: number | undefined;
  /** Failed fetch calls since start (`kiq_fetch_errors_total`). */
  readonly errors: number;
}

interface MutableRecord {
  lastOkMono: number | undefined;
  lastError: string | undefined;
  lastErrorMono: number | undefined;
  errors: number;
}

/** Fetch records by queue name. */
export class FetchWatch {
  readonly #clock: Pick<Clock, 'monoMs'>;
  readonly #queues = new Map<string, MutableRecord>();

  constructor(clock: Pick<Clock, 'monoMs'>) {
    this.#clock = clock;
  }

  /** A fetch call of `queue` succeeded (jobs or an empty reply). */
  ok(queue: string): void {
    this.#record(queue).lastOkMono = this.#clock.monoMs();
  }

  /** A fetch call of `queue` failed with `error`. */
  failed(queue: string, error: unknown): void {
    const record = this.#record(queue);
    const info = describeRedisError(error);
    record.lastError = `${info.message} (${info.cause})`;
    record.lastErrorMono = this.#clock.monoMs();
    record.errors++;
  }

  /** The record of `queue` (an empty one before its first fetch). */
  get(queue: string): FetchRecord {
    return this.#queues.get(queue) ?? { lastOkMono: undefined, lastError: undefined, lastErrorMono: undefined, errors: 0 };
  }

  #record(queue: string): MutableRecord {
    let record = this.#queues.get(queue);
    if (record === undefined) {
      record = { lastOkMono: undefined, lastError: undefined, lastErrorMono: undefined, errors: 0 };
      this.#queues.set(queue, record);
    }
    return record;
  }
}
