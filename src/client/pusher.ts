/**
 * @internal
 * Writes a batch of buffered jobs to Redis in one pipeline (group commit,
 * docs/architecture.md §5): immediate jobs as one variadic LPUSH per queue (and one SADD
 * `queues`; a small batch of one queue's immediate jobs as one `push-jobs.lua` call instead), scheduled jobs as variadic ZADD `schedule`, unique jobs through
 * `push-unique.lua` so lock and push are one atomic step. Each command's
 * reply is checked on its own: jobs whose command did not reach Redis go back
 * to the buffer; jobs Redis refused (a reply error such as WRONGTYPE) are
 * reported, never silently dropped.
 *
 * A spool replay passes `progress`: the batch then goes in one MULTI/EXEC
 * with a SET of the segment's progress key, so Redis holds the jobs and the
 * pushed-up-to offset together or neither (src/client/spool/replay.ts).
 */
import type { ChainableCommander, Redis } from 'ioredis';
import { ReplyError } from 'ioredis';
import { ScriptError } from '../errors.js';
import { formatSeconds, formatTimestamp, type TimestampFormat } from '../job/timestamp.js';
import { QUEUES, SCHEDULE, queueKey } from '../redis/keys.js';
import { callScript } from '../redis/call.js';
import { runScript } from '../redis/scripts.js';
import type { BufferEntry, PushStatus } from './entry.js';

/** Values per variadic LPUSH/ZADD (Sidekiq 7 slices bulk pushes by 1,000 too). */
const CHUNK = 1000;

/** What happened to a batch. */
export interface PushResult {
  /** Entries that did not reach Redis; they go back to the buffer. */
  readonly retry: readonly BufferEntry[];
  /** Entries Redis refused, with the reply error. */
  readonly refused: readonly { entry: BufferEntry; error: Error }[];
  /** The connection-level error that made `retry` non-empty. */
  readonly error?: Error;
}

/** A progress key written in the same transaction as the batch. */
export interface PushProgress {
  readonly key: string;
  readonly value: string;
  readonly ttlSec: number;
}

interface Step {
  readonly entries: readonly BufferEntry[];
  /** Outcome for a successful reply (unique pushes inspect the reply). */
  readonly outcome: (reply: unknown, entry: BufferEntry) => { status: PushStatus; holder?: string };
}

const ENQUEUED_OUTCOME = { status: 'enqueued' as const };
const ENQUEUED = () => ENQUEUED_OUTCOME;
/** A batch that went in whole (shared: a caller only reads it). */
const NOTHING_LEFT: PushResult = { retry: [], refused: [] };

/** Most jobs sent as one `push-jobs.lua` call; a bigger batch goes in a pipeline of variadic LPUSHes. */
export const ONE_CALL_MAX = 1000;

/** The queue of `batch` when it is a small batch (≤ {@link ONE_CALL_MAX}) of immediate, non-unique jobs of that one queue. */
function oneQueue(batch: readonly BufferEntry[]): string | undefined {
  if (batch.length === 0 || batch.length > ONE_CALL_MAX) return undefined;
  const queue = batch[0]!.queue;
  for (const entry of batch) if (entry.queue !== queue || entry.atSec !== undefined || entry.lockKey !== undefined) return undefined;
  return queue;
}
const SCHEDULED = () => ({ status: 'scheduled' as const });
function uniqueOutcome(reply: unknown, entry: BufferEntry): { status: PushStatus; holder?: string } {
  if (reply === 1 || reply === 0) return { status: entry.atSec === undefined ? 'enqueued' : 'scheduled' };
  return { status: 'duplicate', holder: String(reply) };
}

/** Add `"enqueued_at"` to an immediate job's JSON, as Sidekiq sets it at push time. */
function withEnqueuedAt(json: string, suffix: string): string {
  return json.slice(0, -1) + suffix;
}

/** Writes batches; remembers queue names whose SADD failed so the next batch registers them. */
export class Pusher {
  readonly #unregistered = new Set<string>();
  readonly #timestamps: TimestampFormat;

  /** `timestamps`: how `enqueued_at` is written (the `timestamps` option). */
  constructor(timestamps: TimestampFormat = 'seconds') {
    this.#timestamps = timestamps;
  }

  /** Push `batch` through `redis` at `nowSec` (epoch seconds); with `progress`, atomically with it. */
  push(redis: Redis, batch: readonly BufferEntry[], nowSec: number, progress?: PushProgress): Promise<PushResult> {
    const queue = progress ? undefined : oneQueue(batch);
    if (queue !== undefined && (this.#unregistered.size === 0 || (this.#unregistered.size === 1 && this.#unregistered.has(queue)))) {
      return this.#pushOneQueue(redis, queue, batch, nowSec);
    }
    return this.#pushPipeline(redis, batch, nowSec, progress);
  }

  /**
   * A small batch of immediate jobs of one queue: one `push-jobs.lua` call
   * (SADD `queues` + LPUSH) instead of a pipeline of two commands. The
   * reply is checked as a pipeline's: a connection error gives every job
   * back, a reply error refuses them.
   */
  async #pushOneQueue(redis: Redis, queue: string, batch: readonly BufferEntry[], nowSec: number): Promise<PushResult> {
    const suffix = `,"enqueued_at":${formatTimestamp(nowSec, this.#timestamps)}}`;
    const args: string[] = [queue];
    for (const entry of batch) args.push(withEnqueuedAt(entry.json, suffix));
    try {
      await callScript(redis, 'push-jobs', [QUEUES, queueKey(queue)], args);
    } catch (error) {
      if (!(error instanceof ScriptError)) return { retry: [...batch], refused: [], error: asError(error) };
      // SADD may have run before the LPUSH failed (a script is not rolled back): register again next time
      this.#unregistered.add(queue);
      const refused = batch.map((entry) => ({ entry, error: error as Error }));
      for (const entry of batch) entry.confirm?.reject(error);
      return { retry: [], refused };
    }
    this.#unregistered.clear();
    for (const entry of batch) entry.confirm?.resolve(ENQUEUED_OUTCOME);
    return NOTHING_LEFT;
  }

  async #pushPipeline(redis: Redis, batch: readonly BufferEntry[], nowSec: number, progress?: PushProgress): Promise<PushResult> {
    const pipeline = progress ? redis.multi() : redis.pipeline();
    const steps: (Step | 'progress' | null)[] = [];
    const suffix = `,"enqueued_at":${formatTimestamp(nowSec, this.#timestamps)}}`;
    const immediate = new Map<string, string[]>();
    const immediateEntries = new Map<string, BufferEntry[]>();
    const scheduled: BufferEntry[] = [];

    for (const entry of batch) {
      if (entry.lockKey !== undefined) {
        const target = entry.atSec === undefined ? queueKey(entry.queue) : SCHEDULE;
        const json = entry.atSec === undefined ? withEnqueuedAt(entry.json, suffix) : entry.json;
        const score = entry.atSec === undefined ? '' : formatSeconds(entry.atSec);
        runScript(pipeline, 'push-unique', [entry.lockKey, target, QUEUES], [entry.jid, Math.max(1, Math.ceil(entry.lockTtlMs ?? 1)), json, score, entry.queue]);
        steps.push({ entries: [entry], outcome: uniqueOutcome });
      } else if (entry.atSec !== undefined) {
        scheduled.push(entry);
      } else {
        let jsons = immediate.get(entry.queue);
        if (!jsons) {
          jsons = [];
          immediate.set(entry.queue, jsons);
          immediateEntries.set(entry.queue, []);
        }
        jsons.push(withEnqueuedAt(entry.json, suffix));
        immediateEntries.get(entry.queue)!.push(entry);
      }
    }

    const names = new Set([...this.#unregistered, ...immediate.keys()]);
    if (names.size > 0) {
      pipeline.sadd(QUEUES, ...names);
      steps.push(null);
    }
    for (const [queue, jsons] of immediate) {
      const entries = immediateEntries.get(queue)!;
      for (let i = 0; i < jsons.length; i += CHUNK) {
        pipeline.lpush(queueKey(queue), ...jsons.slice(i, i + CHUNK));
        steps.push({ entries: entries.slice(i, i + CHUNK), outcome: ENQUEUED });
      }
    }
    for (let i = 0; i < scheduled.length; i += CHUNK) {
      const chunk = scheduled.slice(i, i + CHUNK);
      const args: string[] = [];
      for (const entry of chunk) args.push(formatSeconds(entry.atSec!), entry.json);
      (pipeline as ChainableCommander).zadd(SCHEDULE, ...args);
      steps.push({ entries: chunk, outcome: SCHEDULED });
    }

    if (progress) {
      pipeline.set(progress.key, progress.value, 'EX', progress.ttlSec);
      steps.push('progress');
    }

    let replies: [Error | null, unknown][] | null;
    try {
      replies = await pipeline.exec();
    } catch (error) {
      return { retry: [...batch], refused: [], error: asError(error) };
    }
    return this.#settle(steps, replies ?? [], names, batch);
  }

  #settle(steps: readonly (Step | 'progress' | null)[], replies: readonly [Error | null, unknown][], names: Set<string>, batch: readonly BufferEntry[]): PushResult {
    const retry: BufferEntry[] = [];
    const refused: { entry: BufferEntry; error: Error }[] = [];
    let error: Error | undefined;
    if (replies.length !== steps.length) return { retry: [...batch], refused, error: new Error('pipeline returned no replies') };
    const progressFailed = steps.some((step, i) => step === 'progress' && replies[i]![0]);
    if (progressFailed) return { retry: [...batch], refused, error: replies[steps.indexOf('progress')]![0]! };
    steps.forEach((step, i) => {
      const [replyError, reply] = replies[i]!;
      if (step === 'progress') return;
      if (step === null) {
        if (replyError) for (const name of names) this.#unregistered.add(name);
        else this.#unregistered.clear();
        return;
      }
      if (replyError && replyError instanceof ReplyError) {
        const wrapped = new ScriptError('push', (replyError as Error).message, { cause: replyError });
        for (const entry of step.entries) {
          refused.push({ entry, error: wrapped });
          entry.confirm?.reject(wrapped);
        }
      } else if (replyError) {
        error ??= replyError as Error;
        retry.push(...step.entries);
      } else {
        for (const entry of step.entries) entry.confirm?.resolve(step.outcome(reply, entry));
      }
    });
    retry.sort((a, b) => a.seq - b.seq);
    return error ? { retry, refused, error } : { retry, refused };
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
