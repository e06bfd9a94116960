/**
 * @internal
 * The `periodic` loop: the `tick` of a machines/ticker.ts Ticker that
 * enqueues periodic (cron) entries. Every server process runs it; only the
 * leader enqueues.
 *
 * 1. First tick: each entry's cursor starts at now. Nothing before start is
 *    enqueued (no back-fill; Kiq's boot-time run of the current minute,
 *    docs/kiq-elixir.md check 78, is not kept).
 * 2. Each later tick, per entry, the occurrences T with cursor < T ≤ now:
 *    - a follower only moves its cursor to now, so a process that becomes
 *      leader never back-fills what passed while it followed;
 *    - the leader claims each T with `SET periodic:<digest>:<T> NX PX 5min`
 *      and enqueues only when the claim is won, then moves the cursor on;
 *      two processes that both believe they lead (a partition, a lease that
 *      outlived its key) enqueue each (entry, T) once between them.
 * 3. A T older than {@link MAX_CATCH_UP_MS} (2 min) is skipped and logged
 *    (`periodic_missed`): a leader frozen or cut off that long has lost its
 *    lease, and a burst of stale runs helps nobody. Younger ones (a slow
 *    tick, a short Redis outage) are enqueued late, oldest first.
 * 4. The next delay is computed from the schedule: the time until the
 *    earliest next occurrence, so ticks land on occurrences and never drift
 *    (Kiq's "every 60 s from whenever the last tick ran" did); capped at
 *    {@link MAX_TICK_MS} so a change of leader is seen within a minute.
 * 5. A Redis error while claiming stops that entry's tick at the failed T
 *    (its cursor stays before it), is logged once (`periodic_failed`) and
 *    retried after `ERROR_DELAY_MS`; the claim keeps the retry from
 *    enqueueing twice. An enqueue that throws after its claim was won is
 *    logged (`periodic_enqueue_failed`) and that occurrence is not retried:
 *    the guarantee is at most once.
 *
 * The loop's state lives in the logic, not in the actor: a ticker restarted
 * by its supervisor keeps its cursors.
 */
import { fromPromise } from 'xstate';
import type { TickOutput } from '../../machines/ticker.js';
import type { Clock } from '../clock.js';
import { logEvent, type Logger } from '../logger.js';
import type { ConnectionPool } from '../redis/connections.js';
import { periodicKey } from '../redis/keys.js';
import { OutageLog } from '../redis/outage-log.js';
import { ERROR_DELAY_MS } from '../server/tickers.js';
import { nextRunAfter, type ScheduledPeriodic } from './schedule.js';

/** Longest wait between ticks, ms: how soon a new leader starts enqueueing. */
export const MAX_TICK_MS = 60_000;
/**
 * Oldest occurrence still enqueued late (after a stall or a Redis error), ms:
 * twice the longest tick interval, so a tick that is merely late never
 * skips; a leader frozen or cut off longer than this has lost its lease
 * (`leaderTtl`, 30 s by default) anyway.
 */
export const MAX_CATCH_UP_MS = 2 * MAX_TICK_MS;
/**
 * Life of a claim key, ms. A process tries an occurrence at most
 * {@link MAX_CATCH_UP_MS} after it (by its own clock), so the claim outlives
 * every try with 3 minutes to spare for clock skew between processes.
 */
export const CLAIM_TTL_MS = 300_000;

/**
 * Enqueues one occurrence of an entry: the facade passes one that calls
 * `kiq.enqueue` with the entry's worker (or class name) and options.
 * Resolving with the job lets the log name its jid.
 */
export type PeriodicEnqueue = (entry: ScheduledPeriodic, scheduledAtMs: number) => Promise<{ readonly jid: string } | void>;

/** What the periodic loop needs. */
export interface PeriodicDeps {
  /** Parsed entries (src/periodic/schedule.ts). */
  readonly entries: readonly ScheduledPeriodic[];
  /** Whether this process leads now (local lease; no Redis call). */
  readonly isLeader: () => boolean;
  readonly enqueue: PeriodicEnqueue;
  readonly pool: Pick<ConnectionPool, 'next'>;
  readonly clock: Clock;
  /** Stored in the claim keys: which process enqueued an occurrence. */
  readonly identity: string;
  readonly logger: Logger;
}

/** The loop's state and one tick of it; {@link periodicTick} wraps it for a Ticker. */
export class PeriodicLoop {
  readonly #deps: PeriodicDeps;
  /** Per entry (same index): the last occurrence time this process dealt with, epoch ms. */
  #cursors: number[] | undefined;
  readonly #outage: OutageLog;

  constructor(deps: PeriodicDeps) {
    this.#deps = deps;
    this.#outage = new OutageLog('periodic', { logger: deps.logger, clock: deps.clock });
  }

  /** Handle what is due; resolves with the wait until the next tick, ms (whole, 0 … {@link MAX_TICK_MS}). */
  async tick(): Promise<number> {
    const { entries, clock } = this.#deps;
    const now = clock.realMs();
    if (this.#cursors === undefined) {
      this.#cursors = entries.map(() => now);
      return this.#nextDelay(new Set());
    }
    const cursors = this.#cursors;
    const leader = this.#deps.isLeader();
    const failed = new Set<number>();
    for (const [i, entry] of entries.entries()) {
      if (!leader) {
        cursors[i] = Math.max(cursors[i]!, now);
        continue;
      }
      try {
        await this.#runDue(entry, i, now);
      } catch (error) {
        // an outage is logged once: at its first failure, not per entry or per tick
        if (failed.size === 0) this.#outage.failed('periodic_failed', error);
        failed.add(i);
      }
    }
    if (failed.size === 0) this.#outage.restored('periodic_restored');
    return this.#nextDelay(failed);
  }

  /** Claims and enqueues entry `i`'s occurrences in (cursor, now], oldest first, moving its cursor after each. */
  async #runDue(entry: ScheduledPeriodic, i: number, now: number): Promise<void> {
    const cursors = this.#cursors!;
    const oldest = now - MAX_CATCH_UP_MS;
    if (cursors[i]! < oldest) {
      const missed = nextRunAfter(entry, cursors[i]!);
      if (missed <= oldest) {
        logEvent(this.#deps.logger, 'warn', 'periodic_missed', { ...entryFields(entry), since: cursors[i]! / 1000, until: oldest / 1000 });
      }
      cursors[i] = oldest;
    }
    for (let at = nextRunAfter(entry, cursors[i]!); at <= now; at = nextRunAfter(entry, at)) {
      if (await this.#claim(entry, at)) await this.#enqueue(entry, at);
      cursors[i] = at;
    }
    cursors[i] = Math.max(cursors[i]!, now);
  }

  /** `SET periodic:<digest>:<atSec> <identity> NX PX`: true for the one process that wins. */
  async #claim(entry: ScheduledPeriodic, atMs: number): Promise<boolean> {
    const reply = await this.#deps.pool.next().set(periodicKey(entry.digest, atMs / 1000), this.#deps.identity, 'PX', CLAIM_TTL_MS, 'NX');
    return reply === 'OK';
  }

  async #enqueue(entry: ScheduledPeriodic, atMs: number): Promise<void> {
    try {
      const job = await this.#deps.enqueue(entry, atMs);
      logEvent(this.#deps.logger, 'info', 'periodic_enqueue', { ...entryFields(entry), scheduled_at: atMs / 1000, ...(job ? { jid: job.jid } : {}) });
    } catch (error) {
      logEvent(this.#deps.logger, 'error', 'periodic_enqueue_failed', { ...entryFields(entry), scheduled_at: atMs / 1000, error: String(error) });
    }
  }

  /**
   * Until the earliest next occurrence of the entries that did not fail,
   * counted from now (the tick itself took time), rounded up so the tick
   * lands on or after it; `ERROR_DELAY_MS` at most after a failure.
   */
  #nextDelay(failed: ReadonlySet<number>): number {
    const { entries, clock } = this.#deps;
    let next = Infinity;
    for (const [i, entry] of entries.entries()) {
      if (!failed.has(i)) next = Math.min(next, nextRunAfter(entry, this.#cursors![i]!));
    }
    const aligned = Math.min(MAX_TICK_MS, Math.max(0, Math.ceil(next - clock.realMs())));
    return failed.size > 0 ? Math.min(aligned, ERROR_DELAY_MS) : aligned;
  }
}

function entryFields(entry: ScheduledPeriodic): Record<string, string> {
  return { class: entry.className, expression: entry.expression };
}

/**
 * The `tick` actor of the `periodic` Ticker. Create it once per tree: the
 * cursors live in it, across restarts of the ticker.
 *
 * @example
 * ticker('periodic', periodicTick({ entries, isLeader, enqueue, pool, clock, identity, logger }), 0);
 */
export function periodicTick(deps: PeriodicDeps) {
  const loop = new PeriodicLoop(deps);
  return fromPromise<TickOutput>(async () => ({ nextDelay: await loop.tick() }));
}
