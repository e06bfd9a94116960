/**
 * Workers: a class name (what goes on the wire), Sidekiq options, and a
 * `perform` function. `defineWorker` keeps the argument types so
 * `kiq.enqueue(Worker, args)` is checked at compile time.
 */
import type { Logger } from './logger.js';
import type { RetryOption, UniqueUntil } from './job/payload.js';

/** What a job's `perform` receives besides its arguments. */
export interface JobContext {
  /** The job id. */
  readonly jid: string;
  /** The queue the job was fetched from. */
  readonly queue: string;
  /** Retries so far (0 on the first run and on the first retry, as Sidekiq counts). */
  readonly retryCount: number;
  /** The decoded payload. */
  readonly job: Readonly<Record<string, unknown>>;
  /** Fires when the process must stop before the job finishes. */
  readonly signal: AbortSignal;
  /** The instance's logger (the `logger` option). */
  readonly logger: Logger;
}

/** Options shared by workers and per-enqueue overrides; durations in milliseconds. */
export interface WorkerOptions {
  /** Queue name; default `"default"`. */
  queue?: string;
  /** `true` (25 retries, the default), `false` (discard on failure), or the maximum count. */
  retry?: RetryOption;
  /** `false` discards a job whose retries are exhausted instead of moving it to the dead set. */
  dead?: boolean;
  /** `true` or a line count: keep the error backtrace in the payload (Sidekiq's `backtrace`). */
  backtrace?: boolean | number;
  /** Unique job: hold a lock on (class, queue, args) for this many ms. */
  uniqueFor?: number;
  /** Release the unique lock at `start` or after `success` (default). */
  uniqueUntil?: UniqueUntil;
  /** Expiring job: skip it when it has not started within this many ms of its run time. */
  expiresIn?: number;
}

/** A worker definition, as returned by {@link defineWorker}. */
export interface Worker<Args extends unknown[] = unknown[]> extends WorkerOptions {
  /** Class name written to Redis; a Ruby worker of the same name can perform it too. */
  readonly class: string;
  /** Override the retry delay in ms (Sidekiq's `sidekiq_retry_in`); `undefined` keeps the default. */
  retryIn?(count: number, error: unknown): number | undefined;
  /** Runs the job; a throw or rejection is a failure. */
  perform(args: Args, ctx: JobContext): unknown;
}

/** Argument tuple of a worker. */
export type ArgsOf<W> = W extends Worker<infer A> ? A : never;

/**
 * Define a worker. The object is returned as is, typed.
 *
 * @example
 * const Mailer = defineWorker({
 *   class: 'Mailer', queue: 'mailers', retry: 5,
 *   async perform([to, n]: [string, number]) { console.log(to, n); },
 * });
 */
export function defineWorker<Args extends unknown[]>(worker: Worker<Args>): Worker<Args> {
  return worker;
}
