/**
 * @internal
 * Reliable fetch in the Sidekiq Pro super_fetch layout (docs/sidekiq-contract.md
 * §9, docs/architecture.md §2 and §5): jobs move from `queue:<q>` into the process's
 * private list `queue:sq|<identity>|<q>` and stay there until acknowledged,
 * retried, killed, requeued at shutdown or recovered after a crash. Entries
 * are read as bytes and returned as {@link RawJob}s (the string when valid
 * UTF-8, else the bytes), byte-for-byte; keep them for the ack.
 *
 * Contract with the caller: the process's heartbeat hash (`<identity>`, see
 * src/server/heartbeat.ts) must exist before the first fetch and for as long as the
 * process holds jobs, and a Kiq server's liveness lease
 * (src/server/liveness.ts) must be renewed meanwhile. Orphan recovery
 * treats a registered identity whose lease has ended (or, without a lease,
 * whose heartbeat hash is gone) as dead and gives its jobs to others.
 */
import type { Redis } from 'ioredis';
import { ScriptError } from '../../errors.js';
import { toRawJob, type RawJob } from '../../job/raw.js';
import { PAUSED, SUPER_PROCESSES, privateQueueKey, processKey, queueKey, superQueuesKey } from '../../redis/keys.js';
import { callScript } from '../../redis/call.js';

/** Acks that ride in a {@link fetchJobs} call. */
export interface FetchAcks {
  /** Finished jobs' entries, exactly as fetched, to remove from the private list first. */
  readonly raws: readonly RawJob[];
  /** Told once Redis has applied them: the call got a reply (jobs, or a refusal below). */
  readonly applied: () => void;
}

/**
 * Registers `identity` and its private list for `queue` (idempotent SADDs,
 * so a Redis restart or an orphan recovery that unregistered it is repaired
 * on the next call) and moves up to `max` jobs into the private list in one
 * script call. Returns the raw jobs, oldest first (the order they
 * were pushed); empty when the queue is empty, paused (`SISMEMBER paused
 * <queue>`, Sidekiq Pro's layout) or `max < 1`. Throws
 * `RangeError` for an infinite `max`.
 *
 * `acks` (optional) are finished jobs of `queue` acknowledged in the same
 * call, before anything else: `LREM <private> -1 <raw>` each, exactly as
 * `ackJobs` does (src/server/ops/ack.ts), so a processing round costs
 * one script call instead of two. They are applied whatever the fetch part
 * answers (paused, missing heartbeat: removing a finished job is always
 * right) and `acks.applied` is called as soon as the reply is in, before
 * this resolves or rejects. If it is not called, the acks' fate is unknown:
 * ack them again (an LREM that already ran removes nothing the second time,
 * unless another copy with the same bytes is in flight, as for `ackJobs`).
 * With acks, `max < 1` still sends them (and fetches nothing).
 *
 * Rejects with `ScriptError`, moving nothing, when the heartbeat hash
 * `<identity>` does not exist (see the module comment). If the reply is lost
 * (connection error after Redis ran the script) the moved jobs wait in the
 * private list: `requeuePrivate` at shutdown or orphan recovery after a
 * crash puts them back, so none is lost.
 *
 * A payload that is not valid UTF-8 comes back as its bytes: decoded, it
 * would not match its private-list entry on ack (src/job/raw.ts).
 *
 * @example
 * const raws = await fetchJobs(redis, identity, 'default', demand);
 * // ['{"class":"A","jid":"…",…}', …] oldest first
 * await fetchJobs(redis, identity, 'default', demand, { raws: finished, applied: () => release(finished) });
 */
export async function fetchJobs(redis: Redis, identity: string, queue: string, max: number, acks?: FetchAcks): Promise<RawJob[]> {
  return (await fetchBatch(redis, identity, queue, max, acks)).jobs;
}

/** What {@link fetchBatch} took. */
export interface FetchedBatch {
  /** Raw jobs, oldest first. */
  readonly jobs: RawJob[];
  /** The script saw the queue not paused (false when it was paused, or when nothing was asked: `max < 1` without acks). */
  readonly unpaused: boolean;
}

/**
 * {@link fetchJobs}, also saying whether the script saw the queue not
 * paused: the fetcher's next {@link blockForJob}, right after, need not ask.
 *
 * @example
 * const { jobs, unpaused } = await fetchBatch(redis, identity, 'default', demand);
 */
export function fetchBatch(redis: Redis, identity: string, queue: string, max: number, acks?: FetchAcks): Promise<FetchedBatch> {
  if (max === Number.POSITIVE_INFINITY) return Promise.reject(new RangeError('fetchJobs: max must be finite (it would drain the whole queue)'));
  const raws = acks?.raws ?? [];
  if (!(max >= 1) && raws.length === 0) return Promise.resolve({ jobs: [], unpaused: false });
  // a plain promise chain, not async/await: one reaction per round
  return callScript(
    redis,
    'fetch-jobs',
    [SUPER_PROCESSES, superQueuesKey(identity), processKey(identity), queueKey(queue), privateQueueKey(identity, queue), PAUSED],
    [identity, max >= 1 ? Math.floor(max) : 0, queue, raws.length, ...raws],
    'buffer',
  ).then((reply) => {
    if (raws.length > 0) acks!.applied();
    if (reply === -2) return { jobs: [], unpaused: false };
    if (reply === -1) {
      throw new ScriptError(
        'fetch-jobs',
        `heartbeat hash "${identity}" does not exist; write the heartbeat before fetching (orphan recovery would take this process for dead)`,
      );
    }
    return { jobs: (reply as Buffer[]).map(toRawJob), unpaused: true };
  });
}

/**
 * An idle queue's wait for its next job: `BLMOVE queue:<q> <private> RIGHT
 * LEFT <timeout>` waits up to `timeoutMs` (whole ms, at least 1 ms) and
 * moves one job into the private list. Returns it as a {@link RawJob}, byte
 * for byte, or `undefined` when the wait timed out, was interrupted, or the
 * queue is paused. Nothing is pipelined behind it: Redis sends a reply only
 * after running what follows it on the connection, so a script there (the
 * burst fetch, the registration) would delay this job's start by its run
 * time. The caller fetches the rest of its free slots with {@link
 * fetchBatch} once this job is on its way, which also refreshes the
 * registration and checks the heartbeat.
 *
 * A paused queue (`SISMEMBER paused <q>`, asked first on `pausedOn`, a
 * pooled connection) is not BLMOVEd: the call waits `timeoutMs` and returns
 * nothing, so a paused queue is looked at once per wait. `checkPaused:
 * false` skips that question: only when the call just before, on this
 * queue, was a {@link fetchBatch} that came back `unpaused`. A pause landing
 * while a BLMOVE waits (or in between) takes effect after that wait: at
 * most one job is taken in it.
 *
 * Use a dedicated connection (`ConnectionPool.dedicated`): BLMOVE stalls
 * every other command on its connection. BLMOVE cannot register the
 * process, so call this only after a `fetchBatch` for the same identity and
 * queue (the idle path: it came back empty), which registered the private
 * list and checked the heartbeat. Stop calling it, and wait for the call in
 * flight to return, before `requeuePrivate`: a job it moves after the
 * requeue lands in an unregistered list that only a
 * `recoverOrphans({ scanUnregistered: true })` finds.
 *
 * `signal` ends the paused wait early, and skips a BLMOVE not sent yet (a
 * BLMOVE already waiting is ended by `CLIENT UNBLOCK`,
 * src/server/block-interrupt.ts). Throws `RangeError` for a timeout that is
 * not a positive finite number (BLMOVE's 0 would block forever). If the
 * connection fails after Redis moved the job, it waits in the private list
 * for the shutdown requeue or orphan recovery.
 *
 * @example
 * const raw = await blockForJob(pool.dedicated('fetch:default'), identity, 'default', 2000);
 */
export function blockForJob(
  redis: Redis,
  identity: string,
  queue: string,
  timeoutMs: number,
  options: { readonly pausedOn?: Redis; readonly checkPaused?: boolean; readonly signal?: AbortSignal } = {},
): Promise<RawJob | undefined> {
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) return Promise.reject(new RangeError(`blockForJob: timeoutMs must be a positive finite number, got ${timeoutMs}`));
  const { pausedOn = redis, checkPaused = true, signal } = options;
  const move = (): Promise<RawJob | undefined> => {
    if (signal?.aborted) return Promise.resolve(undefined);
    const seconds = (Math.max(1, Math.round(timeoutMs)) / 1000).toFixed(3);
    return redis.blmoveBuffer(queueKey(queue), privateQueueKey(identity, queue), 'RIGHT', 'LEFT', seconds).then((moved) => (moved === null ? undefined : toRawJob(moved)));
  };
  // a plain promise chain, not async/await: this is the lone job's path to
  // perform, and each async layer is a few more microtask hops
  if (!checkPaused) return move();
  return pausedOn.sismember(PAUSED, queue).then((paused) => (paused === 1 ? sleep(Math.round(timeoutMs), signal).then(() => undefined) : move()));
}

/** Resolve after `ms`, or as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
