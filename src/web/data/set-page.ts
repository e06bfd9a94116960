/**
 * @internal
 * Pages of the `retry`, `schedule` and `dead` sets for the dashboard: either
 * sort order (admin's `listEntries` has only the Web UI's default one) and
 * a filter that lets Redis do the matching (`ZSCAN MATCH`), so neither ever
 * loads a whole set.
 */
import type { Redis } from 'ioredis';
import { toEntry, type EntryPage, type SetEntry, type SetName } from '../../admin/sets.js';
import { checkReplies } from '../../server/ops/redis-call.js';

/** Soonest (lowest score) first, or latest first. */
export type SortOrder = 'asc' | 'desc';

/** At most this many matches of a filter are shown: the scan stops there. */
export const FILTER_LIMIT = 500;

/**
 * Entries `offset … offset + limit - 1` in `order` (one `ZRANGE`/`ZREVRANGE`
 * + `ZCARD` pipeline).
 *
 * @example
 * const { entries, total } = await setPage(redis, 'dead', { offset: 25, limit: 25, order: 'desc' });
 */
export async function setPage(redis: Redis, set: SetName, { offset, limit, order }: { offset: number; limit: number; order: SortOrder }): Promise<EntryPage> {
  const stop = offset + limit - 1;
  const pipeline = redis.pipeline();
  if (order === 'desc') pipeline.zrevrange(set, offset, stop, 'WITHSCORES');
  else pipeline.zrange(set, String(offset), String(stop), 'WITHSCORES');
  const [flat, total] = checkReplies(await pipeline.zcard(set).exec(), 2, `page ${set}`) as [string[], number];
  const entries: SetEntry[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) entries.push(toEntry(set, flat[i]!, Number(flat[i + 1])));
  return { entries, total };
}

/** Escape glob characters for `MATCH`. */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/**
 * Entries whose stored bytes contain `text` (a class name, a jid, an
 * argument, an error message), as Sidekiq's Web UI filter (`ZSCAN MATCH
 * *text*`), case-sensitive, sorted by score in `order`. Stops after
 * {@link FILTER_LIMIT} matches; `truncated` says so.
 */
export async function filterSet(redis: Redis, set: SetName, text: string, order: SortOrder): Promise<{ entries: SetEntry[]; truncated: boolean }> {
  const entries: SetEntry[] = [];
  let cursor = '0';
  do {
    const [next, flat] = await redis.zscan(set, cursor, 'MATCH', `*${globEscape(text)}*`, 'COUNT', 1000);
    cursor = next;
    for (let i = 0; i + 1 < flat.length; i += 2) entries.push(toEntry(set, flat[i]!, Number(flat[i + 1])));
  } while (cursor !== '0' && entries.length < FILTER_LIMIT);
  const sorted = entries.sort((a, b) => (order === 'asc' ? a.score - b.score : b.score - a.score));
  return { entries: sorted.slice(0, FILTER_LIMIT), truncated: cursor !== '0' || entries.length > FILTER_LIMIT };
}

/**
 * The entries a Web UI key `"<score>-<jid>"` names: those with exactly that
 * score and jid (`"<score>-"` names the entries at that score without a jid,
 * e.g. a raw payload in `dead`). One `ZRANGEBYSCORE`.
 */
export async function entriesByKey(redis: Redis, set: SetName, key: string): Promise<SetEntry[]> {
  const match = /^(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)-(.*)$/i.exec(key);
  if (!match) return [];
  const [, score, jid] = match as unknown as [string, string, string];
  const flat = await redis.zrangebyscore(set, score, score, 'WITHSCORES');
  const out: SetEntry[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const entry = toEntry(set, flat[i]!, Number(flat[i + 1]));
    if ((entry.jid ?? '') === jid) out.push(entry);
  }
  return out;
}
