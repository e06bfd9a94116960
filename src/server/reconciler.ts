/**
 * @internal
 * Private-list reconciliation: this process is the only live owner of its
 * private lists (`queue:sq|<identity>|<queue>`), so anything in them that
 * no job of the process holds ({@link HeldJobs}) is stranded — typically a
 * fetch or BLMOVE that Redis applied (and logged to its AOF) whose reply
 * was lost to a connection drop or a Redis restart. Nothing else would ever
 * run it while the process lives. Each pass reads the lists and puts such
 * entries back on their queue (`requeue-entries.lua`, exact bytes).
 *
 * The rule, per queue, counting byte-identical entries as a multiset:
 * 1. a pass notes the entries the list holds beyond what is held (the
 *    candidates) and the number of fetches started by then;
 * 2. a later pass at least `minAgeMs` after it, once every one of those
 *    fetches has ended (a reply in flight is held the moment it arrives),
 *    puts back each candidate as many times as it is still unheld now;
 * 3. what is left starts the next round of candidates.
 * A held job is therefore never put back, and a stranded one is back on its
 * queue within about two passes.
 */
import { logEvent, type Logger } from '../logger.js';
import { rawText, type RawJob } from '../job/raw.js';
import type { ConnectionPool } from '../redis/connections.js';
import type { HeldJobs } from './held-jobs.js';
import { readPrivateLists, requeueEntries } from './ops/index.js';
import { RawCounts } from './raw-counts.js';

/** How often the private lists are reconciled, ms. */
export const RECONCILE_EVERY_MS = 2_500;
/** Least time an entry must stay unheld before it is put back, ms (longer than a fetch call). */
export const RECONCILE_MIN_AGE_MS = 2_000;

/** What the reconciler needs. */
export interface ReconcilerDeps {
  readonly pool: ConnectionPool;
  readonly identity: string;
  readonly queues: readonly string[];
  readonly held: HeldJobs;
  readonly logger: Logger;
  /** Monotonic ms. */
  readonly monoMs: () => number;
  /** @defaultValue {@link RECONCILE_MIN_AGE_MS} */
  readonly minAgeMs?: number;
}

/** Entries of one queue seen unheld at one pass. */
interface Candidates {
  readonly unheld: RawCounts;
  /** Fetches of the queue started when the list was read. */
  readonly mark: number;
  readonly atMs: number;
}

/** Reconciles one process's private lists; see the module comment. */
export class Reconciler {
  readonly #deps: ReconcilerDeps;
  readonly #candidates = new Map<string, Candidates>();

  constructor(deps: ReconcilerDeps) {
    this.#deps = deps;
  }

  /** One pass over every queue; resolves with how many entries went back. Rejects on a Redis error (nothing half-done). */
  async pass(): Promise<number> {
    const { pool, identity, queues, held } = this.#deps;
    const lists = await readPrivateLists(pool.next(), identity, queues);
    const now = this.#deps.monoMs();
    let total = 0;
    for (const [queue, entries] of lists) {
      const mark = held.fetchMark(queue);
      const unheld = this.#unheld(queue, entries);
      const previous = this.#candidates.get(queue);
      const ready = previous !== undefined && now - previous.atMs >= (this.#deps.minAgeMs ?? RECONCILE_MIN_AGE_MS) && held.fetchesEnded(queue, previous.mark);
      if (previous !== undefined && !ready) {
        // not judged yet: keep what is still unheld, with the old mark
        this.#candidates.set(queue, { ...previous, unheld: intersect(previous.unheld, unheld) });
        continue;
      }
      const back: RawJob[] = [];
      if (previous !== undefined) {
        for (const [raw, n] of intersect(previous.unheld, unheld).entries()) {
          for (let i = 0; i < n; i++) back.push(raw);
          unheld.remove(raw, n);
        }
      }
      if (unheld.size > 0) this.#candidates.set(queue, { unheld, mark, atMs: now });
      else this.#candidates.delete(queue);
      if (back.length === 0) continue;
      const moved = await requeueEntries(pool.next(), identity, queue, back);
      total += moved;
      logEvent(this.#deps.logger, 'warn', 'private_reconciled', { queue, requeued: moved, jids: back.slice(0, 10).map(jidOf) });
    }
    return total;
  }

  /** The entries of `queue`'s list beyond what this process holds. */
  #unheld(queue: string, entries: readonly RawJob[]): RawCounts {
    const inList = new RawCounts();
    for (const raw of entries) inList.add(raw);
    const unheld = new RawCounts();
    for (const [raw, n] of inList.entries()) {
      const extra = n - this.#deps.held.count(queue, raw);
      if (extra > 0) unheld.add(raw, extra);
    }
    return unheld;
  }
}

/** Each entry as often as it is in both. */
function intersect(a: RawCounts, b: RawCounts): RawCounts {
  const both = new RawCounts();
  for (const [raw, n] of a.entries()) {
    const m = Math.min(n, b.count(raw));
    if (m > 0) both.add(raw, m);
  }
  return both;
}

/** The jid of an entry for the log, when it has one. */
function jidOf(raw: RawJob): string | null {
  try {
    const job: unknown = JSON.parse(rawText(raw));
    const jid: unknown = typeof job === 'object' && job !== null ? (job as Record<string, unknown>).jid : undefined;
    return typeof jid === 'string' ? jid : null;
  } catch {
    return null;
  }
}
