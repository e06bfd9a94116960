/**
 * The public types of `kiq.enqueue`: what it takes after the worker or plain
 * job, and what it resolves with.
 */
import type { EnqueueOptions } from '../job/build.js';
import type { JobPayload } from '../job/payload.js';
import type { Worker } from '../worker.js';
import type { PushStatus } from './entry.js';

/** A job as enqueued: its payload (without `enqueued_at`, set when it is pushed). */
export type Job = Readonly<JobPayload>;

/** Per-call enqueue options; `confirm: true` waits until the job is in Redis. */
export interface PushOptions extends EnqueueOptions {
  /** Resolve with a {@link PushReceipt} once Redis has the job (or refused it as a duplicate). */
  confirm?: boolean;
}

/** How a confirmed enqueue ended. */
export interface PushReceipt {
  /** `enqueued` (on its queue), `scheduled` (in `schedule`), or `duplicate` (a unique lock is held). */
  readonly status: PushStatus;
  readonly job: Job;
  /** For a duplicate: the jid holding the unique lock. */
  readonly holder?: string;
}

/**
 * What follows the first argument of `kiq.enqueue`: for a worker, its
 * args and the options; for a plain job, the options. The args type is the
 * worker's own (`infer`red from the worker alone, never from the literal
 * passed), so `[200, 'x']` for a `[string, number]` worker is a compile error
 * on the args, not a "no overload matches" about plain jobs.
 *
 * @example
 * const rest: EnqueueArgs<typeof Mailer, false> = [['a@b.c', 1], { in: 30_000 }];
 */
export type EnqueueArgs<F, C extends boolean> =
  F extends Worker<infer Args> ? [args: Args, options?: PushOptions & { confirm?: C }] : [options?: PushOptions & { confirm?: C }];

/**
 * What `kiq.enqueue` resolves with: the job, or with `confirm: true`
 * a {@link PushReceipt} (either, for a `confirm` only known at run time).
 *
 * @example
 * const receipt: EnqueueResult<true> = await kiq.enqueue(Mailer, ['a@b.c', 1], { confirm: true });
 */
export type EnqueueResult<C extends boolean> = C extends true ? PushReceipt : Job;
