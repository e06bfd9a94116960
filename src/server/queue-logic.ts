/**
 * @internal
 * Binds one Queue statechart (machines/queue.ts) and its Fetcher to Redis:
 * fetch in batches and block when empty (src/server/ops), run each job as a
 * plain promise through the runner, settle its outcome, and requeue the
 * private list on shutdown once every ack has landed (an ack still in
 * flight would otherwise put a finished job back). Every fetched entry is
 * held ({@link HeldJobs}) from its fetch's reply until its outcome is in
 * Redis, so the reconciler never puts back a job that is running.
 */
import { setMaxListeners } from 'node:events';
import { fromPromise, type AnyActorRef } from 'xstate';
import type { Redis } from 'ioredis';
import { fetcherMachine } from '../../machines/fetcher.js';
import { fetcherIO } from '../../machines/fetcher-io.js';
import { queueMachine } from '../../machines/queue.js';
import type { ResolvedConfig } from '../config/options.js';
import { composeServer } from '../job/middleware.js';
import { rawText, type RawJob } from '../job/raw.js';
import { logEvent } from '../logger.js';
import { whenReady, type ConnectionPool } from '../redis/connections.js';
import { queueKey } from '../redis/keys.js';
import type { FetchWatch } from '../health/fetch-watch.js';
import { OutageLog, type ProblemBoard } from '../redis/outage-log.js';
import type { Worker } from '../worker.js';
import { Acker } from './acker.js';
import { BlockInterrupt } from './block-interrupt.js';
import { JobPace } from './job-pace.js';
import { JobSlots } from './job-slots.js';
import type { HeldJobs } from './held-jobs.js';
import { NO_HOOKS, type JobHooks, type JobOutcome, type JobStart } from '../job-events.js';
import { settleOutcome } from './job-settler.js';
import { ackJobs, blockForJob, fetchBatch, releaseUniqueLock, requeuePrivate } from './ops/index.js';
import { runJob } from './runner/run-job.js';

/** A blocking call that took nothing. */
const NOTHING_BLOCKED: readonly RawJob[] = [];

/** A fetched job and the queue incarnation it was delivered to. */
interface Delivered {
  readonly raw: RawJob;
  readonly queueRef: AnyActorRef;
}

/** What a queue needs besides its name. */
export interface QueueDeps {
  readonly config: ResolvedConfig;
  readonly pool: ConnectionPool;
  readonly workers: ReadonlyMap<string, Worker>;
  /** Told when jobs start and finish (heartbeat, reporters). */
  readonly hooks?: JobHooks;
  /** Where fetch failures that need an operator are posted (the heartbeat's `kiq_errors`). */
  readonly board?: ProblemBoard;
  /** What this process holds of its private lists (shared with the reconciler). */
  readonly held: HeldJobs;
  /** Told of every fetch call's success or failure (`kiq.health()`'s time since the last fetch). */
  readonly watch?: FetchWatch;
}

/** The provided Queue logic for `queue`. */
export function queueLogic(queue: string, { config, pool, workers, hooks = NO_HOOKS, board, held, watch }: QueueDeps) {
  const { identity, clock, logger } = config;
  // the fetcher backs off silently: these say what failed, once per outage.
  // The batch fetch (a script) and the blocking BLMOVE each have their own
  // outage: an ACL that denies only one would otherwise flap failed/restored
  const outageDeps = { logger, clock, ...(board ? { board } : {}) };
  const batchOutage = new OutageLog(`fetch:${queue}`, outageDeps);
  const blockOutage = new OutageLog(`fetch:${queue}:blocking`, outageDeps);
  const fields = { queue, key: queueKey(queue) };
  const blockFields = { ...fields, blocking: true };
  const stopping = new AbortController();
  // every running job of this queue listens on this one signal (ctx.signal)
  setMaxListeners(0, stopping.signal);
  const ackOutage = new OutageLog(`ack:${queue}`, outageDeps);
  const acker = new Acker(
    (redis, items) => ackJobs(redis, identity, items),
    () => pool.next(),
    {
      written: (items) => {
        for (const item of items) held.release(item.queue, item.raw);
      },
      onResult: (error) => (error === undefined ? ackOutage.restored('ack_restored', { queue }) : ackOutage.failed('ack_failed', error, { queue, waiting: acker.pending })),
    },
  );
  const around = composeServer(config.middleware);
  const runnerDeps = {
    ...(around === undefined ? {} : { around }),
    workers,
    clock,
    logger,
    timestamps: config.timestamps,
    signal: stopping.signal,
    // unique_until: 'start' releases the lock before perform
    onStart: (start: JobStart) => {
      hooks.started(start);
      return start.unlock ? releaseUniqueLock(pool.next(), start.unlock.key, start.unlock.jid).then(() => undefined) : undefined;
    },
  };
  const settlerDeps = {
    pool,
    acker,
    clock,
    identity,
    logger,
    deadLimit: config.deadLimit,
    deadTimeout: config.deadTimeout,
    signal: stopping.signal,
    outage: new OutageLog(`settle:${queue}`, outageDeps),
    settled: (job: { queue: string; raw: RawJob }) => held.release(job.queue, job.raw),
  };
  // the job runs from its text; Redis is settled with the entry's own bytes.
  // An ack-only outcome settles synchronously (no promise step per job)
  const execute = ({ raw, queueRef }: Delivered): Promise<void> => {
    const startedAt = pace ? clock.monoMs() : 0;
    return runJob(rawText(raw), queue, runnerDeps).then((outcome) => {
      const writes = settleOutcome(outcome, settlerDeps, raw);
      if (writes === undefined) return done(outcome, queueRef, startedAt);
      return writes.then(() => done(outcome, queueRef, startedAt));
    });
  };
  // at most the queue's concurrency at once; prefetched jobs wait here
  const slotCount = config.queues[queue] ?? 1;
  const slots = new JobSlots<Delivered>(slotCount, (job) => void execute(job));
  const pace = config.prefetch ? new JobPace() : undefined;
  const done = (outcome: JobOutcome, queueRef: AnyActorRef, startedAt: number): void => {
    try {
      hooks.finished(outcome);
    } finally {
      finish(queueRef);
      const level = pace?.ended(clock.monoMs() - startedAt);
      if (level !== undefined) queueRef.send({ type: 'pace', extra: level * slotCount });
      slots.ended();
    }
  };

  // a shutdown ends an idle queue's BLMOVE at once instead of waiting it out
  const blockInterrupt = new BlockInterrupt(() => pool.next());
  // the last fetch saw the queue not paused: the blocking wait right after
  // it need not ask again (any other call in between clears this)
  let unpausedSeen = false;
  // One fetch call and its bookkeeping, in one reaction to its reply: the
  // entries it took are held before anyone sees them (the reconciler),
  // kiq.health() hears of the call, and the outage log of its success or
  // failure. Nested async wrappers cost a few microtask hops each on the
  // path of every job to perform.
  const booked = <T>(outage: OutageLog, outageFields: Record<string, unknown>, call: () => Promise<T>, jobsOf: (value: T) => readonly RawJob[]): Promise<readonly RawJob[]> => {
    const fetchId = held.started(queue);
    let pending: Promise<T>;
    try {
      pending = call();
    } catch (error) {
      pending = Promise.reject(error);
    }
    return pending.then(
      (value) => {
        const jobs = jobsOf(value);
        held.ended(queue, fetchId, jobs);
        watch?.ok(queue);
        outage.restored('fetch_restored', outageFields);
        return jobs;
      },
      (error: unknown) => {
        held.ended(queue, fetchId);
        watch?.failed(queue, error);
        outage.failed('fetch_failed', error, outageFields);
        throw error;
      },
    );
  };
  const fetcher = fetcherMachine.provide({
    actions: { interruptBlock: () => blockInterrupt.interrupt() },
    actors: {
      // the pending acks ride in the fetch (one script call per round, not two):
      // a fetch started by flushFinished below starts synchronously inside its
      // queueRef.send, before the Acker's own write (two immediates later)
      io: fetcherIO({
        fetch: (input) => {
          unpausedSeen = false;
          return booked(
            batchOutage,
            fields,
            () => acker.carry(input.queue, (acks) => fetchBatch(pool.next(), identity, input.queue, input.max, acks)),
            (got) => {
              unpausedSeen = got.unpaused;
              return got.jobs;
            },
          );
        },
        block: (input) => {
          const checkPaused = !unpausedSeen;
          unpausedSeen = false;
          let redis: Redis;
          try {
            redis = pool.dedicated(`fetch:${input.queue}`);
          } catch (error) {
            // no connection to block on: a failed block, logged as one
            return blockOutage.track('fetch', blockFields, () => Promise.reject(error));
          }
          // first use: the connection is still connecting; wait for it as
          // a block that timed out, not as a failed BLMOVE (not an outage)
          if (redis.status === 'connecting' || redis.status === 'connect') {
            return blockOutage.track('fetch', blockFields, () => whenReady(redis, input.timeoutMs).then(() => NOTHING_BLOCKED));
          }
          return booked(
            blockOutage,
            blockFields,
            () => blockInterrupt.run(redis, (signal) => blockForJob(redis, identity, input.queue, input.timeoutMs, { pausedOn: pool.next(), checkPaused, signal })),
            (got) => (got === undefined ? NOTHING_BLOCKED : [got]),
          );
        },
      }),
    },
  });

  // One `job.finished` per tick and queue incarnation, not per job: each
  // event is a step of the queue and of its fetcher (measured: ~11 µs/job).
  const finished = new Map<AnyActorRef, number>();
  const flushFinished = () => {
    for (const [queueRef, count] of finished) queueRef.send({ type: 'job.finished', count });
    finished.clear();
  };
  const finish = (queueRef: AnyActorRef) => {
    if (finished.size === 0) setImmediate(flushFinished);
    finished.set(queueRef, (finished.get(queueRef) ?? 0) + 1);
  };

  return queueMachine.provide({
    actors: {
      fetcher,
      requeue: fromPromise<number, { queue: string }>(async ({ input }) => {
        await acker.settled();
        const moved = await requeuePrivate(pool.next(), identity, [input.queue]);
        // jobs cut off by the shutdown timeout run again later: say so, as
        // Sidekiq's BasicFetch#bulk_requeue logs "Pushed N jobs back to Redis"
        if (moved > 0) logEvent(logger, 'warn', 'jobs_requeued', { queue: input.queue, count: moved });
        return moved;
      }),
    },
    actions: {
      startJobs: ({ self }, jobs: readonly RawJob[]) => {
        for (const raw of jobs) slots.start({ raw, queueRef: self });
      },
      // not started: still in the private list, which the requeue puts back
      releaseWaiting: () => {
        for (const job of slots.release()) finish(job.queueRef);
      },
      abortRunning: () => stopping.abort(),
    },
  });
}
