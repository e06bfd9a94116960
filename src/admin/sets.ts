/**
 * The `retry`, `schedule` and `dead` sorted sets as Sidekiq's API and Web UI
 * handle them (docs/sidekiq-contract.md §5.4, §6.3): listing in the Web UI's
 * order, finding entries by jid or by the Web UI's `"<score>-<jid>"` key,
 * moving them to their queue now and deleting them. Entries are always
 * addressed by their exact member bytes, so a job is never re-encoded,
 * never lost and never pushed twice.
 */
import type { Redis } from 'ioredis';
import { patchJob } from '../job/patch.js';
import { DEAD, QUEUES, queueKey } from '../redis/keys.js';
import { scanSortedSet } from '../redis/scan.js';
import { callScript, checkReplies } from '../redis/call.js';
import { decodeJob } from './job-record.js';

/** The three sorted sets of jobs: their Redis keys. */
export type SetName = 'retry' | 'schedule' | 'dead';

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

/** One entry a move left where it was, and why. */
export interface SkippedEntry {
  readonly entry: SetEntry;
  /** {@link GONE}, or why the entry cannot be moved (e.g. `not a JSON object`). */
  readonly reason: string;
}

/** What {@link enqueueEntries} (and the other moves: kill) did. */
export interface EnqueueResult {
  /** Entries moved (pushed to their queue, or to `dead`) and removed from the set. */
  readonly moved: SetEntry[];
  /** Entries left alone: gone already (moved or deleted meanwhile) or not a job. */
  readonly skipped: SkippedEntry[];
}

/** The {@link SkippedEntry} reason of an entry someone else moved or deleted first. */
export const GONE = 'no longer in the set';

/** Batch size of the `--all` operations. */
const BATCH = 100;

/** Score order: `asc` soonest (lowest score) first, `desc` latest first. */
export type ScoreOrder = 'asc' | 'desc';

/** The Web UI's order of a set: soonest first for `retry` and `schedule`, most recent first for `dead`. */
export function defaultOrder(set: SetName): ScoreOrder {
  return set === DEAD ? 'desc' : 'asc';
}

/** Decode one member with its score. */
export function toEntry(set: SetName, member: string, score: number): SetEntry {
  const job = decodeJob(member); // undefined: a raw payload (e.g. invalid JSON moved to dead), kept as it is
  const jid = typeof job?.jid === 'string' ? job.jid : undefined;
  return { set, member, score, job, jid, key: `${score}-${jid ?? ''}` };
}

function pairs(set: SetName, flat: readonly string[]): SetEntry[] {
  const out: SetEntry[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push(toEntry(set, flat[i]!, Number(flat[i + 1])));
  return out;
}

/** Entries at ranks `start..stop` (inclusive, `-1`: the end) in `order`, one `ZRANGE [REV] ... WITHSCORES`. */
export async function rangeEntries(redis: Redis, set: SetName, start: number, stop: number, order: ScoreOrder): Promise<SetEntry[]> {
  const flat = order === 'desc' ? await redis.zrevrange(set, start, stop, 'WITHSCORES') : await redis.zrange(set, String(start), String(stop), 'WITHSCORES');
  return pairs(set, flat);
}

/**
 * Up to `limit` entries (`0`: all) from rank `offset`, in the Web UI's
 * order unless `order` is given (`asc`: soonest first, `desc`: latest
 * first); plus the set's size. One pipeline: `ZRANGE` (or `ZREVRANGE`) and `ZCARD`.
 *
 * @example
 * const { entries, total } = await listEntries(redis, 'retry', { limit: 25 });
 */
export async function listEntries(
  redis: Redis,
  set: SetName,
  { limit = 25, offset = 0, order = defaultOrder(set) }: { limit?: number; offset?: number; order?: ScoreOrder } = {},
): Promise<EntryPage> {
  const stop = limit <= 0 ? -1 : offset + limit - 1;
  const pipeline = redis.pipeline();
  if (order === 'desc') pipeline.zrevrange(set, offset, stop, 'WITHSCORES');
  else pipeline.zrange(set, String(offset), String(stop), 'WITHSCORES');
  const [flat, total] = checkReplies(await pipeline.zcard(set).exec(), 2, `list ${set}`) as [string[], number];
  return { entries: pairs(set, flat), total };
}

/** Escape glob characters for ZSCAN MATCH. */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/**
 * The entries a Web UI key `"<score>-<jid>"` names: exactly that score and
 * that jid (`"<score>-"`: the entries at that score without a jid, e.g. a
 * payload that is not JSON in `dead`; {@link toEntry} gives them such
 * keys). One `ZRANGEBYSCORE`; empty when `key` is not of that form.
 *
 * @example
 * const [entry] = await keyEntries(redis, 'retry', '1733220000.25-0123456789abcdef01234567');
 */
export async function keyEntries(redis: Redis, set: SetName, key: string): Promise<SetEntry[]> {
  const keyed = /^(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)-(.*)$/i.exec(key);
  if (!keyed) return [];
  const score = keyed[1]!;
  const jid = keyed[2]!;
  return pairs(set, await redis.zrangebyscore(set, score, score, 'WITHSCORES')).filter((e) => (e.jid ?? '') === jid);
}

/**
 * Entries whose payload has `jid` exactly, lowest score first; `ref` may
 * also be the Web UI's `"<score>-<jid>"` key, which selects by exact score
 * first (Sidekiq's `fetch(score, jid)`, {@link keyEntries}). Empty when none matches.
 *
 * @example
 * const [entry] = await findEntries(redis, 'dead', '0123456789abcdef01234567');
 */
export async function findEntries(redis: Redis, set: SetName, ref: string): Promise<SetEntry[]> {
  const keyed = await keyEntries(redis, set, ref);
  if (keyed.length > 0) return keyed;
  const matches: SetEntry[] = [];
  for (const [member, score] of await scanSortedSet(redis, set, `*${globEscape(ref)}*`)) {
    const entry = toEntry(set, member, score);
    if (entry.jid === ref) matches.push(entry);
  }
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
  const skipped: SkippedEntry[] = [];
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
    else skipped.push({ entry, reason: GONE });
  }
  return { moved, skipped };
}

/**
 * Hands every entry of `set` to `move`, lowest score first, in batches of
 * 100, until the set is empty or as many entries as it held at the start
 * were handled (so jobs that fail again and come back cannot keep it going
 * forever). Entries `move` leaves in place for a reason other than
 * {@link GONE} (not a job) are not offered again. Safe while pollers and
 * other admins work the same set: `move` addresses entries by exact member.
 */
export async function drainSet(redis: Redis, set: SetName, move: (batch: readonly SetEntry[]) => Promise<EnqueueResult>): Promise<EnqueueResult> {
  const moved: SetEntry[] = [];
  const skipped: SkippedEntry[] = [];
  const left = new Set<string>(); // members left in place: each read takes that many more, so a batch still has BATCH others
  const budget = await redis.zcard(set);
  while (moved.length + skipped.length < budget) {
    const batch = (await rangeEntries(redis, set, 0, BATCH + left.size - 1, 'asc')).filter((entry) => !left.has(entry.member));
    if (batch.length === 0) break;
    const result = await move(batch);
    moved.push(...result.moved);
    for (const skip of result.skipped) {
      skipped.push(skip);
      if (skip.reason !== GONE) left.add(skip.entry.member);
    }
  }
  return { moved, skipped };
}

/**
 * Every entry of `set` to its queue now, lowest score first, in batches
 * (Sidekiq's `retry_all`; {@link drainSet}). Entries that are not jobs stay
 * where they are and are reported as skipped.
 */
export async function enqueueAll(redis: Redis, set: SetName, options: { decrement: boolean; nowMs?: number }): Promise<EnqueueResult> {
  return drainSet(redis, set, (batch) => enqueueEntries(redis, batch, options));
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
