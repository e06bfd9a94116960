/**
 * Filtering a sorted set by class and text, as the Web UI's search box
 * does, without SCAN: the set is read in score order, a page of members at
 * a time (`ZRANGE`), and matched here, so results come in the order the
 * pages show and paging goes on from where the last page stopped.
 */
import type { Redis } from 'ioredis';
import { checkCount } from './check.js';
import { displayClass } from './job-record.js';
import { defaultOrder, toEntry, type ScoreOrder, type SetEntry, type SetName } from './sets.js';

/** What an entry must match; every given field must match. */
export interface EntryFilter {
  /** Exactly this `class`, or this display class (`wrapped`, `display_class`, as the Web UI shows). */
  readonly class?: string;
  /** This text anywhere in the stored member (args, error message, jid, class), ignoring case. */
  readonly text?: string;
}

/** Paging of {@link filterEntries}. */
export interface FilterOptions {
  /** Rank to start reading from (the `next` of the previous page). @defaultValue 0 */
  readonly offset?: number;
  /** Stop after this many matches. @defaultValue 25 */
  readonly limit?: number;
  /** Read order; the set's Web UI order when omitted. */
  readonly order?: ScoreOrder;
  /** Read at most this many members per call, matched or not. @defaultValue 10_000 */
  readonly scanLimit?: number;
}

/** A page of matches. */
export interface FilterPage {
  readonly entries: SetEntry[];
  /** Members read to find them. */
  readonly scanned: number;
  /** Rank to pass as `offset` for the next page; `undefined` when the end of the set was reached. */
  readonly next: number | undefined;
}

/** Members read per `ZRANGE`. */
const PAGE = 500;

/** Whether `entry` matches `filter` (class exact, text as a case-insensitive substring of the member). */
export function matchesFilter(entry: SetEntry, filter: EntryFilter): boolean {
  if (filter.class !== undefined && entry.job?.class !== filter.class && displayClass(entry.job) !== filter.class) return false;
  if (filter.text !== undefined && !entry.member.toLowerCase().includes(filter.text.toLowerCase())) return false;
  return true;
}

/**
 * A test on the raw member that every match passes (the class appears in
 * it as JSON writes it; not so a mailer's `Mailer#method` display class,
 * built from two args), so only candidates are decoded.
 */
function candidate(filter: EntryFilter): (member: string) => boolean {
  const text = filter.text?.toLowerCase();
  const cls = filter.class === undefined || filter.class.includes('#') ? undefined : JSON.stringify(filter.class).slice(1, -1);
  return (member) => (cls === undefined || member.includes(cls)) && (text === undefined || member.toLowerCase().includes(text));
}

/**
 * Up to `limit` entries matching `filter`, reading from rank `offset` in
 * score order. Cost: O(members read) — up to `scanLimit` members cross the
 * network per call, in `ZRANGE` pages of 500; a rare match in a large set
 * may need several calls (follow `next`). Redis does no work beyond the ranges read, unlike
 * the Web UI's `ZSCAN MATCH`, which walks the whole set for every search.
 *
 * @example
 * let page = await filterEntries(redis, 'retry', { class: 'Mailer', text: 'timeout' });
 * if (page.next !== undefined) page = await filterEntries(redis, 'retry', { class: 'Mailer' }, { offset: page.next });
 */
export async function filterEntries(redis: Redis, set: SetName, filter: EntryFilter, options: FilterOptions = {}): Promise<FilterPage> {
  const { offset = 0, limit = 25, order = defaultOrder(set), scanLimit = 10_000 } = options;
  checkCount('offset', offset, 0);
  checkCount('limit', limit, 1);
  checkCount('scanLimit', scanLimit, 1);
  const entries: SetEntry[] = [];
  const maybe = candidate(filter);
  let rank = offset;
  while (rank - offset < scanLimit) {
    const size = Math.min(PAGE, scanLimit - (rank - offset));
    const flat = order === 'desc' ? await redis.zrevrange(set, rank, rank + size - 1, 'WITHSCORES') : await redis.zrange(set, String(rank), String(rank + size - 1), 'WITHSCORES');
    for (let i = 0; i + 1 < flat.length; i += 2) {
      rank++;
      if (!maybe(flat[i]!)) continue;
      const entry = toEntry(set, flat[i]!, Number(flat[i + 1]));
      if (!matchesFilter(entry, filter)) continue;
      entries.push(entry);
      if (entries.length === limit) return { entries, scanned: rank - offset, next: rank };
    }
    if (flat.length < size * 2) return { entries, scanned: rank - offset, next: undefined };
  }
  return { entries, scanned: rank - offset, next: rank };
}
