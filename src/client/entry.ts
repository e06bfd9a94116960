/**
 * @internal
 * One buffered push: the job JSON as it will be stored (minus `enqueued_at`,
 * added at flush time for immediate pushes), where it goes, and its lock.
 */

/** How a confirmed push ended. */
export type PushStatus = 'enqueued' | 'scheduled' | 'duplicate';

/** What a flush reports back for one entry. */
export interface PushOutcome {
  readonly status: PushStatus;
  /** For a duplicate: the jid that holds the unique lock. */
  readonly holder?: string;
}

/** Callbacks of a caller waiting for its push to reach Redis. */
export interface Confirmation {
  resolve(outcome: PushOutcome): void;
  reject(error: Error): void;
}

/** A job waiting in the reliable-push buffer. */
export interface BufferEntry {
  /** Enqueue order; `flush()` waits on it. */
  readonly seq: number;
  readonly jid: string;
  readonly queue: string;
  /**
   * The job JSON. For an immediate push it ends with `}` and the flusher
   * splices `,"enqueued_at":<now>` before it.
   */
  readonly json: string;
  /** Schedule score (epoch seconds) for `{ in }` / `{ at }` jobs in the future. */
  readonly atSec: number | undefined;
  /** `unique:<digest>` for unique jobs. */
  readonly lockKey: string | undefined;
  /** Lock TTL in ms (uniqueFor + delay). */
  readonly lockTtlMs: number | undefined;
  /** Told how the push ended (only for `confirm: true`). */
  readonly confirm: Confirmation | undefined;
  /** Monotonic ms when the buffer took it (set by `JobBuffer.add`, for `kiq.health()`'s buffer age); 0 until then. */
  arrivedMs: number;
}
