/**
 * One of the three sorted sets of jobs (`retry`, `schedule`, `dead`) as an
 * object, like Sidekiq's `RetrySet`, `ScheduledSet` and `DeadSet` with their
 * `SortedEntry` actions (lib/sidekiq/api.rb). Reached through
 * `admin.retries`, `admin.scheduled` and `admin.dead`; every method goes
 * through the owning Admin (its connection, clock and error handling).
 */
import type { Redis } from 'ioredis';
import { AdminError } from '../errors.js';
import { DEAD } from '../redis/keys.js';
import { checkCount } from './check.js';
import { filterEntries, type EntryFilter, type FilterOptions, type FilterPage } from './filter.js';
import { killAll, killEntries, type DeadTrim } from './kill.js';
import { clearSet, deleteEntries, enqueueAll, enqueueEntries, findEntries, listEntries, type EnqueueResult, type EntryPage, type ScoreOrder, type SetEntry, type SetName } from './sets.js';

/** An entry as listed, or a string naming entries: a jid, or the Web UI's `"<score>-<jid>"` key. */
export type EntryRef = SetEntry | string;

/** What a move (`retry`, `addToQueue`, `kill`) did. */
export interface MoveResult extends EnqueueResult {
  /** The string refs that named no entry of the set (nothing was done for them). */
  readonly notFound: string[];
}

/** Paging of {@link JobSet.list}. */
export interface ListOptions {
  /** Rank to start from. @defaultValue 0 */
  readonly offset?: number;
  /** At most this many entries; `0`: every entry (O(size): mind large sets). @defaultValue 25 */
  readonly limit?: number;
  /** `asc`: lowest score first; `desc`: highest first. @defaultValue the Web UI's: `asc` for retry and schedule, `desc` for dead */
  readonly order?: ScoreOrder;
}

/** What a {@link JobSet} needs from its Admin. */
export interface JobSetHost {
  /** Runs `body` with the connection, turning Redis failures into `AdminError`. */
  run<T>(what: string, body: (redis: Redis) => Promise<T>): Promise<T>;
  /** Now, epoch ms. */
  now(): number;
  /** How kills trim the dead set. */
  readonly trim: Omit<DeadTrim, 'nowMs'>;
}

/**
 * The `retry`, `schedule` or `dead` set. Entries are addressed by their
 * exact member bytes, so an action never re-encodes a job, never loses one
 * and never pushes one twice, even while a poller or another admin works
 * the same set (an entry moved meanwhile is reported as skipped).
 *
 * @example
 * const { entries } = await admin.retries.list({ limit: 10 });
 * await admin.retries.retry(entries.filter((e) => e.job?.class === 'Mailer'));
 */
export class JobSet {
  /** The Redis key: `retry`, `schedule` or `dead`. */
  readonly name: SetName;
  readonly #host: JobSetHost;

  /** @internal Use `admin.retries`, `admin.scheduled`, `admin.dead`. */
  constructor(name: SetName, host: JobSetHost) {
    this.name = name;
    this.#host = host;
  }

  /** Number of entries (`ZCARD`). */
  async size(): Promise<number> {
    return this.#host.run(`${this.name} size`, (redis) => redis.zcard(this.name));
  }

  /**
   * A page of entries and the set's size, in one round trip.
   *
   * @example
   * const { entries, total } = await admin.dead.list({ offset: 25, limit: 25 });
   */
  async list(options: ListOptions = {}): Promise<EntryPage> {
    const { offset = 0, limit = 25, order } = options;
    checkCount('offset', offset, 0);
    checkCount('limit', limit, 0);
    return this.#host.run(`${this.name} list`, (redis) => listEntries(redis, this.name, { offset, limit, ...(order ? { order } : {}) }));
  }

  /**
   * Entries whose jid is `ref` (lowest score first), or the one entry named
   * by a Web UI key `"<score>-<jid>"`; empty when none. A jid lookup is a
   * `ZSCAN MATCH *<jid>*`: Redis walks the whole set (O(size)), sending
   * back only the members that contain the jid.
   *
   * @example
   * const [entry] = await admin.dead.find('0123456789abcdef01234567');
   */
  async find(ref: string): Promise<SetEntry[]> {
    if (typeof ref !== 'string' || ref === '') throw new AdminError('invalid-argument', `${this.name} find: expected a jid or "<score>-<jid>", got ${JSON.stringify(ref)}`);
    return this.#host.run(`${this.name} find`, (redis) => findEntries(redis, this.name, ref));
  }

  /**
   * Entries matching a class and/or a text, reading the set in score order
   * from `offset` (see `filterEntries` for the cost: O(members read), at
   * most `scanLimit` per call); `next` continues the search.
   *
   * @example
   * const { entries, next } = await admin.retries.filter({ class: 'Mailer', text: 'timeout' });
   */
  async filter(filter: EntryFilter, options: FilterOptions = {}): Promise<FilterPage> {
    return this.#host.run(`${this.name} filter`, (redis) => filterEntries(redis, this.name, filter, options));
  }

  /**
   * "Retry now": push to its queue at once with `retry_count` - 1, so the
   * manual retry does not use up an attempt (Sidekiq's `SortedEntry#retry`);
   * `enqueued_at` = now; every other byte as stored. Entries that are not
   * jobs are skipped with the reason.
   *
   * @example
   * const { moved, notFound } = await admin.retries.retry('0123456789abcdef01234567');
   */
  async retry(targets: EntryRef | readonly EntryRef[]): Promise<MoveResult> {
    return this.#move('retry', targets, (redis, entries) => enqueueEntries(redis, entries, { decrement: true, nowMs: this.#host.now() }));
  }

  /**
   * "Add to queue": push to its queue at once, `retry_count` untouched
   * (Sidekiq's `SortedEntry#add_to_queue`, the Scheduled page's button).
   *
   * @example
   * await admin.scheduled.addToQueue(entry);
   */
  async addToQueue(targets: EntryRef | readonly EntryRef[]): Promise<MoveResult> {
    return this.#move('add to queue', targets, (redis, entries) => enqueueEntries(redis, entries, { decrement: false, nowMs: this.#host.now() }));
  }

  /**
   * "Kill": to the dead set now, payload unchanged, the dead set trimmed as
   * every dead add trims it (Sidekiq's `SortedEntry#kill`). Not for `dead`
   * itself (`AdminError`, `invalid-argument`).
   *
   * @example
   * await admin.retries.kill(entry);
   */
  async kill(targets: EntryRef | readonly EntryRef[]): Promise<MoveResult> {
    this.#checkKillable();
    return this.#move('kill', targets, (redis, entries) => killEntries(redis, entries, { ...this.#host.trim, nowMs: this.#host.now() }));
  }

  /**
   * Remove entries by exact member (`ZREM`, Sidekiq's `SortedEntry#delete`);
   * a string ref removes every entry it names. Resolves how many were removed.
   *
   * @example
   * await admin.dead.delete(entries);
   */
  async delete(targets: EntryRef | readonly EntryRef[]): Promise<number> {
    return this.#host.run(`${this.name} delete`, async (redis) => deleteEntries(redis, (await this.#resolve(redis, targets)).entries));
  }

  /**
   * Every entry to its queue now, `retry_count` - 1 (Sidekiq's `retry_all`),
   * lowest score first in batches of 100; at most as many entries as the set
   * held when the call started.
   *
   * @example
   * const { moved } = await admin.dead.retryAll();
   */
  async retryAll(): Promise<EnqueueResult> {
    return this.#host.run(`${this.name} retry all`, (redis) => enqueueAll(redis, this.name, { decrement: true, nowMs: this.#host.now() }));
  }

  /**
   * Every entry to its queue now, `retry_count` untouched (the Scheduled
   * page's "Add all to queue").
   *
   * @example
   * await admin.scheduled.addAllToQueue();
   */
  async addAllToQueue(): Promise<EnqueueResult> {
    return this.#host.run(`${this.name} add all to queue`, (redis) => enqueueAll(redis, this.name, { decrement: false, nowMs: this.#host.now() }));
  }

  /**
   * Every entry to the dead set (Sidekiq's `RetrySet#kill_all`). Not for `dead`.
   *
   * @example
   * await admin.retries.killAll();
   */
  async killAll(): Promise<EnqueueResult> {
    this.#checkKillable();
    const set = this.name as Exclude<SetName, typeof DEAD>;
    return this.#host.run(`${this.name} kill all`, (redis) => killAll(redis, set, { ...this.#host.trim, nowMs: this.#host.now() }));
  }

  /**
   * Delete the whole set (`UNLINK`, Sidekiq's `SortedSet#clear`, the Web UI's
   * "Delete All"); resolves how many entries it held.
   *
   * @example
   * await admin.retries.clear();
   */
  async clear(): Promise<number> {
    return this.#host.run(`${this.name} clear`, (redis) => clearSet(redis, this.name));
  }

  #checkKillable(): void {
    if (this.name === DEAD) throw new AdminError('invalid-argument', 'cannot kill entries of the dead set: they are dead already');
  }

  async #move(what: string, targets: EntryRef | readonly EntryRef[], move: (redis: Redis, entries: readonly SetEntry[]) => Promise<EnqueueResult>): Promise<MoveResult> {
    return this.#host.run(`${this.name} ${what}`, async (redis) => {
      const { entries, notFound } = await this.#resolve(redis, targets);
      return { ...(await move(redis, entries)), notFound };
    });
  }

  /** Entries named by `targets`, each once; strings looked up with {@link find}. */
  async #resolve(redis: Redis, targets: EntryRef | readonly EntryRef[]): Promise<{ entries: SetEntry[]; notFound: string[] }> {
    const refs: readonly EntryRef[] = typeof targets === 'string' || !Array.isArray(targets) ? [targets as EntryRef] : targets;
    const entries = new Map<string, SetEntry>();
    const notFound: string[] = [];
    for (const ref of refs) {
      if (typeof ref === 'string') {
        if (ref === '') throw new AdminError('invalid-argument', `${this.name}: an empty string names no entry`);
        const found = await findEntries(redis, this.name, ref);
        if (found.length === 0) notFound.push(ref);
        for (const entry of found) entries.set(entry.member, entry);
      } else if (typeof ref === 'object' && ref !== null && typeof ref.member === 'string') {
        if (ref.set !== this.name) throw new AdminError('invalid-argument', `${this.name}: the entry ${ref.key} belongs to the ${ref.set} set`);
        entries.set(ref.member, ref);
      } else {
        throw new AdminError('invalid-argument', `${this.name}: expected a jid, a "<score>-<jid>" key or an entry, got ${typeof ref}`);
      }
    }
    return { entries: [...entries.values()], notFound };
  }
}
