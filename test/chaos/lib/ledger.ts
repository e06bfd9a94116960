/**
 * Accounting of a fault scenario, by unique job id: what the driver enqueued
 * ({@link Ledger.expect}) against what the workers recorded (each server
 * process appends `<id>\t<ms>\n` per completed perform to its own file in the
 * record directory; see test/chaos/fixtures/server.ts). Files are read
 * incrementally, a torn last line (a SIGKILL mid-write) is kept for the next
 * read.
 *
 * Also reads what Redis still holds in private lists (`queue:sq|…`, Sidekiq
 * Pro's super_fetch layout that Kiq uses), for the "stuck" figure.
 */
import { openSync, readdirSync, readSync, closeSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { scanAll } from '../../support/scan-all.js';

/** One completed perform. */
export interface Perform {
  readonly id: string;
  /** Worker's `Date.now()` when it completed. */
  readonly at: number;
  /** The label of the process that ran it (its record file's name). */
  readonly source: string;
}

/** Enqueued ids against recorded performs. */
export class Ledger {
  readonly #dir: string;
  readonly #expected = new Set<string>();
  /** id → the times it completed. */
  readonly #times = new Map<string, number[]>();
  readonly #offsets = new Map<string, { offset: number; partial: string }>();
  /** Every perform read so far, in file order. */
  readonly performs: Perform[] = [];

  constructor(recordDir: string) {
    this.#dir = recordDir;
  }

  /** Ids the driver enqueued (each must be performed). */
  expect(ids: Iterable<string>): void {
    for (const id of ids) this.#expected.add(id);
  }

  /** How many ids were enqueued. */
  get expected(): number {
    return this.#expected.size;
  }

  /** Read what the workers appended since the last call. */
  poll(): void {
    for (const name of readdirSync(this.#dir).filter((n) => n.endsWith('.performed'))) {
      const path = join(this.#dir, name);
      const state = this.#offsets.get(name) ?? { offset: 0, partial: '' };
      const size = statSync(path).size;
      if (size <= state.offset) continue;
      const buffer = Buffer.alloc(size - state.offset);
      const fd = openSync(path, 'r');
      try {
        readSync(fd, buffer, 0, buffer.length, state.offset);
      } finally {
        closeSync(fd);
      }
      const lines = (state.partial + buffer.toString('utf8')).split('\n');
      state.partial = lines.pop() ?? '';
      state.offset = size;
      this.#offsets.set(name, state);
      const source = name.slice(0, -'.performed'.length);
      for (const line of lines) {
        const tab = line.lastIndexOf('\t');
        if (tab < 0) continue;
        const id = line.slice(0, tab);
        const at = Number(line.slice(tab + 1));
        this.performs.push({ id, at, source });
        const times = this.#times.get(id);
        if (times) times.push(at);
        else this.#times.set(id, [at]);
      }
    }
  }

  /** Times `id` was performed (as of the last {@link poll}). */
  count(id: string): number {
    return this.#times.get(id)?.length ?? 0;
  }

  /** Enqueued ids (or those of `ids`) not performed yet. */
  missing(ids: Iterable<string> = this.#expected): string[] {
    return [...ids].filter((id) => !this.#times.has(id));
  }

  /** Enqueued ids performed more than once. */
  duplicated(): number {
    let n = 0;
    for (const id of this.#expected) if (this.count(id) > 1) n += 1;
    return n;
  }

  /** Recorded ids nobody enqueued (a worker ran something it should not have). */
  unexpected(): number {
    let n = 0;
    for (const id of this.#times.keys()) if (!this.#expected.has(id)) n += 1;
    return n;
  }

  /** First perform of `id` after `sinceMs`, or undefined. */
  performedAfter(id: string, sinceMs: number): number | undefined {
    const after = (this.#times.get(id) ?? []).filter((at) => at >= sinceMs);
    return after.length === 0 ? undefined : Math.min(...after);
  }

  /** First perform by `source` at or after `sinceMs`, or undefined. */
  firstBy(source: string, sinceMs: number): number | undefined {
    let first: number | undefined;
    for (const p of this.performs) if (p.source === source && p.at >= sinceMs && (first === undefined || p.at < first)) first = p.at;
    return first;
  }

  /**
   * Poll until every enqueued id (or each of `ids`) is performed and
   * `also()` holds, or until `timeoutMs`; resolves to the time it held
   * (`Date.now()`), or undefined.
   */
  async drained(timeoutMs: number, also: () => boolean | Promise<boolean> = () => true, ids?: readonly string[]): Promise<number | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.poll();
      if (this.missing(ids).length === 0 && (await also())) return Date.now();
      if (Date.now() > deadline) return undefined;
      await sleep(200);
    }
  }
}

/** The private lists (`queue:sq|<identity>|<queue>`) in Redis and their lengths. */
export async function privateLists(redis: Redis): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const key of await scanAll(redis, 'queue:sq|*')) {
    const length = await redis.llen(key);
    if (length > 0) out.set(key, length);
  }
  return out;
}

/** Total entries in private lists. */
export async function privateTotal(redis: Redis): Promise<number> {
  let total = 0;
  for (const length of (await privateLists(redis)).values()) total += length;
  return total;
}

/**
 * Waits up to `settleMs` for the private lists to empty; resolves to what
 * they still hold then ("stuck"). Servers must still be running: a graceful
 * stop requeues what a live process strands, which would hide it.
 */
export async function settle(redis: Redis, settleMs: number): Promise<number> {
  const deadline = Date.now() + settleMs;
  for (;;) {
    const total = await privateTotal(redis);
    if (total === 0 || Date.now() > deadline) return total;
    await sleep(250);
  }
}
