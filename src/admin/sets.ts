/**
 * The `retry`, `schedule` and `dead` sorted sets as Sidekiq's API and Web UI
 * handle them (SIDEKIQ-CONTRACT.md §5.4, §6.3): listing in the Web UI's
 * order, finding entries by jid or by the Web UI's `"<score>-<jid>"` key,
 * moving them to their queue now and deleting them. Entries are always
 * addressed by their exact member bytes, so a job is never re-encoded,
 * never lost and never pushed twice.
 */
import type { Redis } from 'ioredis';
import { patchJob } from '../job/patch.js';
import { DEAD, QUEUES, RETRY, SCHEDULE, queueKey } from '../redis/keys.js';
import { callScript, checkReplies } from '../server/ops/redis-call.js';

/** The three sorted sets of jobs. */
export type SetName = typeof RETRY | typeof SCHEDULE | typeof DEAD;

/** One member of a sorted set. */
export interface SetEntry {
  readonly set: SetName;
  /** The member, byte for byte as stored. */
  readonly member: string;
  /** The score: next attempt (`retry`), run time (`schedule`) or time of death (`dead`), epoch seconds. */
  readonly score: number;
  /** The member decoded, `undefined` when it is not a JSON object (dead sets keep such payloads raw). */
  readonly job: Readonly<Record<string, unknown>> | undefined;
  readonly jid: string | undefined;
  /** The Web UI's address of the entry: `"<score>-<jid>"`. */
  readonly key: string;
}

/** A page of entries and the set's size. */
export interface EntryPage {
  readonly entries: SetEntry[];
  readonly total: number;
}

/** What {@link enqueueEntries} did. */
export interface EnqueueResult {
  /** Entries pushed to their queue (and removed from the set). */
  readonly moved: SetEntry[];
  /** Entries left alone: gone already (moved or deleted meanwhile) or not a job. */
  readonly skipped: { readonly entry: SetEntry; readonly reason: string }[];
}

/** Batch size of the `--all` operations. */
const BATCH = 100;

/** Decode one member with its score. */
export function toEntry(set: SetName, member: string, score: number): SetEntry {
  let job: Record<string, unknown> | undefined;
  try {
    const parsed = JSON.parse(member) as unknown;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) job = parsed as Record<string, unknown>;
  } catch {
    // a raw payload (e.g. invalid JSON moved to dead): kept as it is
  }
  const jid = typeof job?.jid === 'string' ? job.jid : undefined;
  return { set, member, score, job, jid, key: `${score}-${jid ?? ''}` };
}

function pairs(set: SetName, flat: readonly string[]): SetEntry[] {
  const out: SetEntry[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push(toEntry(set, flat[i]!, Number(flat[i + 1])));
  return out;
}

/**
 * Up to `limit` entries in the Web UI's order: soonest first for `retry`
 * and `schedule`, most recent first for `dead`; plus the set's size.
 *
 * @example
 * const { entries, total } = await listEntries(redis, 'retry', { limit: 25 });
 */
export async function listEntries(redis: Redis, set: SetName, { limit = 25, offset = 0 }: { limit?: number; offset?: number } = {}): Promise<EntryPage> {
  const stop = limit <= 0 ? -1 : offset + limit - 1;
  const pipeline = redis.pipeline();
  if (set === DEAD) pipeline.zrevrange(set, offset, stop, 'WITHSCORES');
  else pipeline.zrange(set, String(offset), String(stop), 'WITHSCORES');
  const [flat, total] = checkReplies(await pipeline.zcard(set).exec(), 2, `list ${set}`) as [string[], number];
  return { entries: pairs(set, flat), total };
}

/** Escape glob characters for ZSCAN MATCH. */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/**
 * Entries whose payload has `jid` exactly, lowest score first; `ref` may
 * also be the Web UI's `"<score>-<jid>"` key, which selects by exact score
 * first (Sidekiq's `fetch(score, jid)`). Empty when none matches.
 *
 * @example
 * const [entry] = await findEntries(redis, 'dead', '0123456789abcdef01234567');
 */
export async function findEntries(redis: Redis, set: SetName, ref: string): Promise<SetEntry[]> {
  const keyed = /^(\d+(?:\.\d+)?(?:e[+-]?\d+)?)-(.+)$/i.exec(ref);
  if (keyed) {
    const score = keyed[1]!;
    const jid = keyed[2]!;
    const found = pairs(set, await redis.zrangebyscore(set, score, score, 'WITHSCORES')).filter((e) => e.jid === jid);
    if (found.length > 0) return found;
  }
  const matches: SetEntry[] = [];
  let cursor = '0';
  do {
    const [next, flat] = await redis.zscan(set, cursor, 'MATCH', `*${globEscape(ref)}*`, 'COUNT', 1000);
    cursor = next;
    for (const entry of pairs(set, flat)) if (entry.jid === ref) matches.push(entry);
  } while (cursor !== '0');
  return matches.sort((a, b) => a.score - b.score);
}

/**
 * The payload {@link enqueueEntries} pushes for `entry`, edited losslessly
 * (`patchJob`): `enqueued_at` = now; `queue` = `"default"` when absent (as
 * Sidekiq's client normalizes); with `decrement`, `retry_count` - 1 when it
 * is a number (Sidekiq's `SortedEntry#retry`; the next failure adds it
 * back, so a manual retry does not use up an attempt). Throws when the
 * entry is not a job (not an object, or no string `class`).
 */
export function payloadToEnqueue(entry: SetEntry, nowSec: number, decrement: boolean): { json: string; queue: string } {
  const job = entry.job;
  if (!job) throw new Error('not a JSON object');
  if (typeof job.class !== 'string' || job.class === '') throw new Error('no class');
  const changes: Record<string, unknown> = {};
  const queue = typeof job.queue === 'string' && job.queue !== '' ? job.queue : 'default';
  if (job.queue !== queue) changes.queue = queue;
  if (decrement && typeof job.retry_count === 'number' && Number.isFinite(job.retry_count)) changes.retry_count = job.retry_count - 1;
  changes.enqueued_at = nowSec;
  return { json: patchJob(entry.member, changes), queue };
}

/**
 * Push entries to their queue now and remove them from their set, each
 * atomically (`enqueue-entry.lua`: SADD queues, LPUSH queue:<q>, then ZREM
 * of the exact member; nothing when the member is gone). `decrement`: the
 * "Retry now" of retries and dead jobs (`retry_count` - 1); without it, the
 * "Add to queue" of scheduled jobs.
 *
 * @example
 * const { moved } = await enqueueEntries(redis, await findEntries(redis, 'retry', jid), { decrement: true });
 */
export async function enqueueEntries(
  redis: Redis,
  entries: readonly SetEntry[],
  { decrement, nowMs = Date.now() }: { decrement: boolean; nowMs?: number },
): Promise<EnqueueResult> {
  const moved: SetEntry[] = [];
  const skipped: { entry: SetEntry; reason: string }[] = [];
  for (const entry of entries) {
    let push: { json: string; queue: string };
    try {
      push = payloadToEnqueue(entry, nowMs / 1000, decrement);
    } catch (error) {
      skipped.push({ entry, reason: error instanceof Error ? error.message : String(error) });
      continue;
    }
    const done = await callScript(redis, 'enqueue-entry', [entry.set, QUEUES, queueKey(push.queue)], [entry.member, push.json, push.queue]);
    if (done === 1) moved.push(entry);
    else skipped.push({ entry, reason: 'no longer in the set' });
  }
  return { moved, skipped };
}

/**
 * Every entry of `set` to its queue now, lowest score first, in batches
 * (Sidekiq's `retry_all`). Entries that are not jobs stay where they are and
 * are reported as skipped.
 */
export async function enqueueAll(redis: Redis, set: SetName, options: { decrement: boolean; nowMs?: number }): Promise<EnqueueResult> {
  const moved: SetEntry[] = [];
  const skipped: { entry: SetEntry; reason: string }[] = [];
  let offset = 0; // entries left in place sit before the next batch
  for (;;) {
    const batch = pairs(set, await redis.zrange(set, String(offset), String(offset + BATCH - 1), 'WITHSCORES'));
    if (batch.length === 0) break;
    const result = await enqueueEntries(redis, batch, options);
    moved.push(...result.moved);
    for (const skip of result.skipped) {
      skipped.push(skip);
      if (skip.reason !== 'no longer in the set') offset++;
    }
  }
  return { moved, skipped };
}

/**
 * Remove entries by exact member (`ZREM`, Sidekiq's `SortedEntry#delete`).
 * Returns how many were still there.
 */
export async function deleteEntries(redis: Redis, entries: readonly SetEntry[]): Promise<number> {
  if (entries.length === 0) return 0;
  const pipeline = redis.pipeline();
  for (const entry of entries) pipeline.zrem(entry.set, entry.member);
  const replies = checkReplies(await pipeline.exec(), entries.length, 'delete');
  return replies.reduce<number>((sum, n) => sum + Number(n), 0);
}

/**
 * Delete the whole set (`UNLINK`, Sidekiq's `SortedSet#clear`); returns how
 * many entries it held.
 */
export async function clearSet(redis: Redis, set: SetName): Promise<number> {
  const [size] = checkReplies(await redis.multi().zcard(set).unlink(set).exec(), 2, `clear ${set}`) as [number, number];
  return size;
}
