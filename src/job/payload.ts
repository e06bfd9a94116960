/**
 * The job payload as stored in Redis (docs/sidekiq-contract.md §2). Field names and
 * units are Sidekiq's: timestamps are float epoch **seconds**, `unique_for`
 * and `expires_in` are seconds. Keys Kiq does not know (bid, tags, wrapped,
 * cattr, …) are kept untouched so a re-pushed job loses nothing.
 */

/** A JSON value, as job arguments must be. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Sidekiq's `retry` option: `true` (default 25), `false` (discard on failure) or a maximum count. */
export type RetryOption = boolean | number;

/** When a unique job's lock is released: before perform (`start`) or after it succeeds (`success`). */
export type UniqueUntil = 'start' | 'success';

/** A decoded job payload. Timestamps are float epoch seconds. */
export interface JobPayload {
  /** Worker class name; Ruby constantizes it, Kiq looks it up in its registry. */
  class: string;
  /** Arguments passed to `perform`. */
  args: unknown[];
  /** 24 lowercase hex characters. */
  jid: string;
  /** Queue name, without the `queue:` prefix. */
  queue: string;
  /** `true` (25 retries), `false` (discard on failure) or the maximum number of retries. */
  retry?: RetryOption;
  /** When the job was built, epoch seconds. */
  created_at?: number;
  /** When the job was last pushed onto a queue, epoch seconds. */
  enqueued_at?: number;
  /** Retries so far: 0 after the first failure (absent on never-failed jobs). */
  retry_count?: number;
  error_class?: string;
  error_message?: string;
  /** First failure, epoch seconds. */
  failed_at?: number;
  /** Latest retry failure, epoch seconds. */
  retried_at?: number;
  /** `true` or how many backtrace lines to keep in `error_backtrace`. */
  backtrace?: boolean | number;
  error_backtrace?: string;
  /** `false`: discard instead of moving to the dead set when retries are exhausted. */
  dead?: boolean;
  retry_queue?: string;
  /** Enterprise unique jobs: lock lifetime in seconds. */
  unique_for?: number;
  unique_until?: UniqueUntil;
  /** Pro expiring jobs: relative seconds, as given. */
  expires_in?: number;
  /** Absolute deadline (epoch seconds) by which the job must start. */
  expires_at?: number;
  /** Any other key Sidekiq or a middleware wrote; preserved on re-push. */
  [key: string]: unknown;
}

/** Payload keys that hold epoch-second timestamps (always written with a fractional part). */
export const TIMESTAMP_KEYS: ReadonlySet<string> = new Set([
  'created_at',
  'enqueued_at',
  'failed_at',
  'retried_at',
  'expires_at',
]);
