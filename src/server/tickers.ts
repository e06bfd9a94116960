/**
 * @internal
 * The `tick` actors of the server's periodic loops (machines/ticker.ts):
 * the liveness lease, the retry and schedule pollers, the resurrector and
 * the private-list reconciler (the heartbeat's tick is src/server/heartbeat.ts).
 * Each handles Redis errors itself (log once, wait `errorDelay`) and answers
 * the wait before its next tick; randomness lives here, not in the chart.
 */
import { ReplyError, type Redis } from 'ioredis';
import type { TimestampFormat } from '../job/timestamp.js';
import { fromPromise } from 'xstate';
import type { TickOutput } from '../../machines/ticker.js';
import type { Clock } from '../clock.js';
import type { SchedulerName } from '../config/options.js';
import { logEvent, type Logger } from '../logger.js';
import { deadLetterFields } from '../job/dead-letter.js';
import type { ConnectionPool } from '../redis/connections.js';
import { OutageLog, type ProblemBoard } from '../redis/outage-log.js';
import { RECOVERY_LOCK } from '../redis/keys.js';
import type { Liveness } from './liveness.js';
import { pollDue, recoverOrphans } from './ops/index.js';
import type { PollDueOptions } from './ops/poll-due.js';
import { RECONCILE_EVERY_MS, type Reconciler } from './reconciler.js';
import type { LeaderGate } from './senator.js';

/** Due jobs moved per poll call (Sidekiq Pro's reliable scheduler moves 100). */
export const POLL_BATCH = 100;
/** Wait after a tick whose Redis call failed, ms. */
export const ERROR_DELAY_MS = 1_000;

/** What the tick actors need. */
export interface TickerDeps {
  readonly pool: ConnectionPool;
  readonly clock: Clock;
  readonly identity: string;
  readonly logger: Logger;
  readonly random?: () => number;
  /** Leader-only ticks run only while it says so (docs/kiq-elixir.md check 92); absent: always run. */
  readonly leader?: LeaderGate;
  /** How a promoted job's `enqueued_at` is written (the `timestamps` option). @defaultValue `'seconds'` */
  readonly timestamps?: TimestampFormat;
  /** Where failures that need an operator are posted (the heartbeat's `kiq_errors`). */
  readonly board?: ProblemBoard;
}

/** Uniformly 50–150 % of `averageMs` (Sidekiq's `random_poll_interval` for small clusters). */
export function jittered(averageMs: number, random: () => number = Math.random): number {
  return Math.round(averageMs * (0.5 + random()));
}

/** A tick that runs `work` and turns its result or failure into the next delay. */
function tickOf(name: string, deps: TickerDeps, work: () => Promise<number>) {
  const outage = new OutageLog(name, { logger: deps.logger, clock: deps.clock, ...(deps.board ? { board: deps.board } : {}) });
  return fromPromise<TickOutput>(async () => {
    try {
      const nextDelay = await work();
      outage.restored(`${name}_restored`);
      return { nextDelay };
    } catch (error) {
      outage.failed(`${name}_failed`, error);
      return { nextDelay: ERROR_DELAY_MS };
    }
  });
}

/** The dead set's limits (Sidekiq `dead_max_jobs`, `dead_timeout_in_seconds` in ms). */
export interface DeadLimits {
  readonly deadLimit?: number;
  readonly deadTimeoutMs?: number;
}

/**
 * `pollDue` options for a poll of `set` at `nowSec`: the dead set trimmed to
 * `limits`, each member sent to dead logged once as `job_invalid`.
 */
export function pollOptions(set: SchedulerName, nowSec: number, logger: Logger, limits: DeadLimits = {}): PollDueOptions {
  return {
    ...limits,
    onDeadLettered: ({ jid, reason, excerpt }) => logEvent(logger, 'warn', 'job_invalid', deadLetterFields({ from: set, jid, deadScore: nowSec, reason: `invalid job: ${reason}`, excerpt })),
  };
}

/** Moves due jobs of `set` to their queues; polls again at once after a full batch. */
export function pollTick(set: SchedulerName, averageMs: number, deps: TickerDeps, limits: DeadLimits = {}) {
  return tickOf(`poll_${set}`, deps, async () => {
    const nowSec = deps.clock.realMs() / 1000;
    const moved = await pollDue(deps.pool.next(), set, nowSec, POLL_BATCH, { ...pollOptions(set, nowSec, deps.logger, limits), ...(deps.timestamps ? { timestamps: deps.timestamps } : {}) });
    return moved >= POLL_BATCH ? 0 : jittered(averageMs, deps.random);
  });
}

/** Renews this server's liveness lease every ttl/5 (src/server/liveness.ts). */
export function livenessTick(liveness: Liveness, deps: TickerDeps) {
  return tickOf('liveness', deps, async () => {
    await liveness.renew();
    return liveness.renewEveryMs;
  });
}

/**
 * Brings back the private lists of dead processes (src/server/ops/recover-orphans.ts):
 * every Kiq server looks every ttl/5 (± 50 %), not only the leader, so a
 * leader's death adds nothing to the recovery time; a `kiq:recovery-lock`
 * (SET NX PX, half the interval) keeps a cluster from looking all at once.
 * Not while this server's own renewals are not steady, nor while Redis has
 * been up for less than a ttl (a restart with AOF brings back leases that
 * ended while it was down, before their servers could renew them).
 */
export function resurrectTick(liveness: Liveness, deps: TickerDeps) {
  const everyMs = liveness.renewEveryMs;
  return tickOf('resurrect', deps, async () => {
    if (!liveness.steady) return jittered(everyMs, deps.random);
    const redis = deps.pool.next();
    if ((await redisUptimeMs(redis)) < liveness.ttlMs) return jittered(everyMs, deps.random);
    const locked = await redis.set(RECOVERY_LOCK, deps.identity, 'PX', Math.max(1, Math.round(everyMs / 2)), 'NX');
    if (locked !== 'OK') return jittered(everyMs, deps.random);
    const result = await recoverOrphans(redis, deps.clock.realMs() / 1000);
    if (result.identities.length > 0) {
      logEvent(deps.logger, 'info', 'orphans_recovered', { ...result });
    }
    return jittered(everyMs, deps.random);
  });
}

/** How long Redis has been up (INFO server `uptime_in_seconds`), ms; Infinity when INFO is denied or unreadable (an ACL). */
async function redisUptimeMs(redis: Redis): Promise<number> {
  let info: string;
  try {
    info = await redis.info('server');
  } catch (error) {
    if (error instanceof ReplyError) return Number.POSITIVE_INFINITY;
    throw error;
  }
  const match = /^uptime_in_seconds:(\d+)/m.exec(info);
  return match ? Number(match[1]) * 1000 : Number.POSITIVE_INFINITY;
}

/** Puts back what this process's private lists hold beyond its jobs (src/server/reconciler.ts). */
export function reconcileTick(reconciler: Reconciler, deps: TickerDeps) {
  return tickOf('reconcile', deps, async () => {
    await reconciler.pass();
    return jittered(RECONCILE_EVERY_MS, deps.random);
  });
}
