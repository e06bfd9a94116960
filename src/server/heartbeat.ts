/**
 * @internal
 * The process heartbeat (docs/sidekiq-contract.md §6.2, 6.4 cadence): every 5 s
 * one MULTI flushes the counters, rewrites the running jobs in both
 * `<identity>:workers` (6.4) and `<identity>:work` (7.x, 8.x), registers the
 * process in `processes`, writes the `<identity>` hash the Web UI and
 * `sidekiq/api` read, and takes one signal from `<identity>-signals`.
 * At stop, {@link Heartbeat.clear} flushes the last counters and
 * unregisters. Kiq's Stats reporter differs on purpose (docs/kiq-elixir.md
 * §6.5, docs/kiq-elixir.md bugs 13, 16, 21): real `quiet`, an OS `pid`, the payload as a
 * string, daily counters with Sidekiq's 5-year TTL, checked replies.
 *
 * The hash is read right by Sidekiq 6.4, 7.3 and 8.1 at once: `concurrency`
 * is both an `info` key (6.4/7.x `ProcessSet` read it there; 7.3's `/busy`
 * raises a 500 without it) and its own field (8.1.2+ `ProcessSet#each`
 * reads only the field), and `info.capsules` has 8.0.9+'s shape, one
 * capsule per Kiq queue (each queue has its own limit, so each is a pool of
 * its own). `HGETALL <identity>` after a beat:
 *
 *     info        {"hostname":"vm","started_at":1795807921.1209931,"pid":12479,"tag":"",
 *                  "concurrency":7,"capsules":{"default":{"concurrency":5,"mode":"strict",
 *                  "weights":{"default":0}},"low":{"concurrency":2,"mode":"strict","weights":{"low":0}}},
 *                  "queues":["default","low"],"weights":[{"default":0},{"low":0}],"labels":[],
 *                  "identity":"vm:12479:7a254f54ce0b","version":"0.1.0","embedded":false}
 *     concurrency 7
 *     busy        1
 *     beat        1795807926.127807
 *     quiet       false
 *     rss         30940
 *     rtt_us      45
 */
import { hostname } from 'node:os';
import type { ChainableCommander, Redis } from 'ioredis';
import { fromPromise } from 'xstate';
import type { TickOutput } from '../../machines/ticker.js';
import type { Clock } from '../clock.js';
import { logEvent, type Logger } from '../logger.js';
import { formatSeconds } from '../job/timestamp.js';
import { kiqVersion } from '../version.js';
import { OutageLog } from '../redis/outage-log.js';
import { describeRedisError, ranOutsideTransaction } from '../redis/redis-error.js';
import { PROCESSES, processKey, signalsKey, statKey, workKey, workersKey } from '../redis/keys.js';
import type { MetricsFlusher } from './metrics/metrics-flusher.js';
import { checkReplies } from '../redis/call.js';
import type { PendingCounts, ProcessState, RunningJob } from './process-state.js';

/** Sidekiq 6.4 beats every 5 s (7.x: 10 s); the hashes live 60 s (contract §6.2). */
export const HEARTBEAT_EVERY_MS = 5_000;
/** TTL of `<identity>`, `:workers` and `:work`, seconds (contract §1). */
export const HEARTBEAT_TTL_SEC = 60;
/** TTL of the daily `stat:*:<date>` counters: 5 years, re-set on each INCRBY (contract §1). */
export const STAT_TTL_SEC = 157_680_000;
/** Wait after a heartbeat that failed, ms (as the other tickers, src/server/tickers.ts). */
export const HEARTBEAT_RETRY_MS = 1_000;

/** @internal Runs one full heartbeat now (tests): `await kiq[kBeat]()`. */
export const kBeat: unique symbol = Symbol('kiq.beat');

/** What a heartbeat needs. */
export interface HeartbeatDeps {
  /** A connection for each beat (the pool's `next`). */
  readonly redis: () => Redis;
  readonly identity: string;
  /** Queue name → concurrency; `concurrency`, `info.queues`, `info.capsules` and `info.weights` come from it. */
  readonly queues: Readonly<Record<string, number>>;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly state: ProcessState;
  /**
   * A signal taken from `<identity>-signals` (`TSTP`, `TERM`, `TTIN`, or
   * anything pushed there). Given: the process obeys the Web UI's Quiet and
   * Stop, so `info.embedded` is `false` (Sidekiq 7/8 hide those buttons and
   * `Process#quiet!`/`#stop!` raise for an embedded process); absent: `true`.
   */
  readonly onSignal?: (signal: string) => void;
  /** Execution metrics, written with every beat and at {@link Heartbeat.clear}; absent: none (the `metrics: false` option). */
  readonly metrics?: MetricsFlusher;
  /** This process's own health judgement (src/health/monitor.ts `judge`), written as `kiq_health` for `kiq health`; absent or `undefined`: not written. */
  readonly health?: () => { readonly status: string; readonly reasons: readonly string[] } | undefined;
  /** `DYNO` names the host on Heroku, as in the identity. @defaultValue `process.env` */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** `info.tag` (the `tag` option, `kiq work --tag`). @defaultValue `''` */
  readonly tag?: string;
}

/** What one beat writes besides the counters; for {@link writeHeartbeat}. */
export interface HeartbeatWrite {
  readonly identity: string;
  /** The `info` JSON, fixed at start. */
  readonly info: string;
  /** Total concurrency, the `concurrency` field (Sidekiq 8.1.2+ reads it there, not from `info`). */
  readonly concurrency: number;
  readonly running: readonly RunningJob[];
  /** Float epoch seconds. */
  readonly beatSec: number;
  readonly quiet: boolean;
  /** Resident set size, KB. */
  readonly rssKb: number;
  /** Round trip of the previous beat, µs. */
  readonly rttUs: number;
  /** Counters to add; a kind with 0 is not written. */
  readonly counts: PendingCounts;
  /** UTC `YYYY-MM-DD` of the daily counters. */
  readonly date: string;
  /** RPOP one signal (not before the tree runs). */
  readonly popSignal: boolean;
  /** Failures that need an operator, written as `kiq_errors` (a JSON array; `kiq processes` shows it). */
  readonly errors?: readonly string[];
  /** `{"status","reasons"}` JSON written as `kiq_health` (`kiq health` reads it); absent: not written. */
  readonly health?: string;
}

/** One Sidekiq 8.0.9+ capsule as `info.capsules` holds it (launcher.rb `to_data`, capsule.rb `to_h`). */
export interface CapsuleInfo {
  readonly concurrency: number;
  /** `strict` when every weight is 0 (queues in order), else `weighted`. */
  readonly mode: 'strict' | 'weighted';
  /** Queue → weight; 0: unweighted. */
  readonly weights: Readonly<Record<string, number>>;
}

/**
 * The `info` fields, in Sidekiq's order (launcher.rb `to_data`): 6.4's, plus
 * 7.x's `weights`, `version`, `embedded` and 8.0.9+'s `capsules`.
 */
export interface ProcessInfo {
  readonly hostname: string;
  /** Float epoch seconds, fixed at start. */
  readonly started_at: number;
  readonly pid: number;
  readonly tag: string;
  /** Total concurrency: 6.4 and 7.x read it here, 8.1.2+ from the hash field. */
  readonly concurrency: number;
  /** Capsule name → capsule (8.0.9+; 8.1's `Process#queues`/`#weights` and Busy page read these first). */
  readonly capsules: Readonly<Record<string, CapsuleInfo>>;
  readonly queues: readonly string[];
  /** One hash per capsule, queue → weight; 0 for every queue: unweighted (Sidekiq 7 capsule.rb). */
  readonly weights: readonly Readonly<Record<string, number>>[];
  readonly labels: readonly string[];
  readonly identity: string;
  readonly version: string;
  /** The process does not obey signals (Sidekiq 7's `embedded`: no Quiet/Stop buttons). */
  readonly embedded: boolean;
}

/**
 * The `info` JSON. `started_at` always has a fraction (`1795807921.0`, never
 * `1795807921`), as Ruby's `Time.now.to_f` renders.
 */
export function infoJson(info: ProcessInfo): string {
  const { hostname: host, started_at: startedAt, ...rest } = info;
  return `{"hostname":${JSON.stringify(host)},"started_at":${formatSeconds(startedAt)},${JSON.stringify(rest).slice(1)}`;
}

/** UTC `YYYY-MM-DD` of epoch ms, the date of the daily counters (contract §1). */
export function utcDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** A work hash value: `{"queue","payload","run_at"}` with the payload as a JSON string (contract §6.2). */
export function workEntry(job: RunningJob): string {
  return JSON.stringify({ queue: job.queue, payload: job.payload, run_at: job.runAtSec });
}

/**
 * The transaction ran, but one of its commands failed (e.g. WRONGTYPE on a
 * `stat:*` key someone overwrote): the other commands took effect.
 */
export class HeartbeatCommandError extends Error {
  constructor(cause: Error) {
    super(`heartbeat: ${cause.message}`, { cause });
    this.name = 'HeartbeatCommandError';
  }
}

/** Queues the counter commands for `counts` on `multi`; returns how many were queued. */
function addCounts(multi: ChainableCommander, counts: PendingCounts, date: string): number {
  let commands = 0;
  for (const kind of ['processed', 'failed'] as const) {
    const n = counts[kind];
    if (n <= 0) continue;
    const daily = statKey(kind, date);
    multi.incrby(statKey(kind), n).incrby(daily, n).expire(daily, STAT_TTL_SEC);
    commands += 3;
  }
  return commands;
}

/** `exec()` a MULTI of `commands` commands: a rejection means it did not run; a failed command rejects with {@link HeartbeatCommandError}. */
async function execAll(multi: ChainableCommander, commands: number, what: string): Promise<unknown[]> {
  const replies = await multi.exec();
  if (replies === null || replies.length < commands) throw new Error(`${what}: Redis returned no reply for every command`);
  try {
    return checkReplies(replies, commands, what);
  } catch (error) {
    throw new HeartbeatCommandError(error instanceof Error ? error : new Error(String(error)));
  }
}

/**
 * One heartbeat in one MULTI (one round trip, all or nothing):
 * 1. per counter kind with n > 0: `INCRBY stat:<kind> n`, `INCRBY
 *    stat:<kind>:<date> n`, `EXPIRE stat:<kind>:<date> 157680000`;
 * 2. `UNLINK <id>:workers <id>:work`, then, only when jobs run (absent when
 *    idle, as 7.3), one `HSET` of every job into each and `EXPIRE 60` each;
 * 3. `SADD processes <id>`, `HSET <id> info concurrency busy beat quiet rss rtt_us`,
 *    `EXPIRE <id> 60`;
 * 4. `RPOP <id>-signals` when `popSignal` (one per beat, FIFO as Sidekiq).
 * Resolves with the popped signal (`null`: none). Rejects when the
 * transaction did not run (connection, EXECABORT), or with
 * {@link HeartbeatCommandError} when it ran but a command in it failed.
 */
export async function writeHeartbeat(redis: Redis, beat: HeartbeatWrite): Promise<string | null> {
  const { identity } = beat;
  const multi = redis.multi();
  let commands = addCounts(multi, beat.counts, beat.date);
  const workers = workersKey(identity);
  const work = workKey(identity);
  multi.unlink(workers, work);
  commands++;
  if (beat.running.length > 0) {
    const fields: string[] = [];
    for (const job of beat.running) fields.push(job.id, workEntry(job));
    // 6.4's UI reads :workers, 6.5+ reads :work: write both (contract §6.4)
    multi.hset(workers, ...fields).hset(work, ...fields).expire(workers, HEARTBEAT_TTL_SEC).expire(work, HEARTBEAT_TTL_SEC);
    commands += 4;
  }
  const key = processKey(identity);
  multi
    .sadd(PROCESSES, identity)
    .hset(
      key,
      'info',
      beat.info,
      'concurrency',
      String(beat.concurrency),
      'busy',
      String(beat.running.length),
      'beat',
      formatSeconds(beat.beatSec),
      // the UI shows the badge only for exactly "true" (contract §6.3)
      'quiet',
      beat.quiet ? 'true' : 'false',
      'rss',
      String(beat.rssKb),
      'rtt_us',
      String(beat.rttUs),
      'kiq_errors',
      JSON.stringify(beat.errors ?? []),
      ...(beat.health === undefined ? [] : ['kiq_health', beat.health]),
    )
    .expire(key, HEARTBEAT_TTL_SEC);
  commands += 3;
  if (beat.popSignal) {
    multi.rpop(signalsKey(identity));
    commands++;
  }
  const replies = await execAll(multi, commands, 'heartbeat');
  return beat.popSignal ? ((replies[commands - 1] as string | null) ?? null) : null;
}

/** `kiq_health`'s value: the status and reasons only (the full report is served by `/healthz`). */
function healthJson(judged: { readonly status: string; readonly reasons: readonly string[] }): string {
  return JSON.stringify({ status: judged.status, reasons: judged.reasons });
}

/** Kiq's version (src/version.ts), as the heartbeat publishes it. */
export { kiqVersion };

/**
 * The heartbeat of one Kiq server: what {@link ProcessState} holds, written
 * by {@link beat} (the `beat` ticker's tick, see {@link tick}).
 */
export class Heartbeat {
  readonly #deps: HeartbeatDeps;
  /** The `info` JSON, fixed at construction (`started_at` is the start of this server). */
  readonly info: string;
  /** Total concurrency: the sum of the queues' limits. */
  readonly concurrency: number;
  #rttUs = 0;
  readonly #outage: OutageLog;

  constructor(deps: HeartbeatDeps) {
    this.#deps = deps;
    this.#outage = new OutageLog('heartbeat', { logger: deps.logger, clock: deps.clock });
    const queues = Object.keys(deps.queues);
    const env = deps.env ?? process.env;
    this.concurrency = Object.values(deps.queues).reduce((sum, limit) => sum + limit, 0);
    this.info = infoJson({
      hostname: env.DYNO || hostname(),
      started_at: deps.clock.realMs() / 1000,
      pid: process.pid,
      tag: deps.tag ?? '',
      concurrency: this.concurrency,
      // Kiq runs every queue at once, each with its own limit: one capsule
      // per queue, in strict mode (weight 0: no queue is weighted above another)
      capsules: Object.fromEntries(queues.map((queue) => [queue, { concurrency: deps.queues[queue]!, mode: 'strict', weights: { [queue]: 0 } }])),
      queues,
      weights: queues.map((queue) => ({ [queue]: 0 })),
      labels: [],
      identity: deps.identity,
      version: kiqVersion(),
      embedded: deps.onSignal === undefined,
    });
  }

  /**
   * One full heartbeat. The counters are taken out of the state for the
   * write and put back when the transaction does not run, so the next beat
   * sends them (never lost; counted once when it succeeds). A transaction
   * that ran with one command failing (a `stat:*` key of the wrong type) keeps
   * them out: retrying could never succeed and would count the other keys
   * again. Rejects on failure. A popped signal goes to `onSignal`.
   * `popSignal: false` for the beat written before the tree starts.
   */
  async beat(options: { popSignal?: boolean } = {}): Promise<void> {
    const { state, clock } = this.#deps;
    const counts = state.takeCounts();
    const nowMs = clock.realMs();
    const write: HeartbeatWrite = {
      identity: this.#deps.identity,
      info: this.info,
      concurrency: this.concurrency,
      running: state.running(),
      beatSec: nowMs / 1000,
      quiet: state.quiet,
      rssKb: Math.round(process.memoryUsage.rss() / 1024),
      rttUs: this.#rttUs,
      counts,
      date: utcDate(nowMs),
      popSignal: options.popSignal ?? true,
      errors: state.problems.list(),
      ...((judged) => (judged ? { health: healthJson(judged) } : {}))(this.#deps.health?.()),
    };
    const sentAt = clock.monoMs();
    const redis = this.#deps.redis();
    let signal: string | null;
    // sent together with the beat's MULTI (the same round trip); never rejects
    const metrics = this.#deps.metrics?.flush(redis, nowMs);
    try {
      signal = await writeHeartbeat(redis, write);
    } catch (error) {
      // not run: the next beat sends them. Ran with a failed command: the
      // others took effect, and a retry would add them again
      if (!(error instanceof HeartbeatCommandError) && !ranOutsideTransaction(error)) state.restoreCounts(counts);
      throw error;
    } finally {
      await metrics;
    }
    this.#rttUs = Math.max(0, Math.round((clock.monoMs() - sentAt) * 1000));
    if (signal === null) return;
    try {
      this.#deps.onSignal?.(signal);
    } catch (error) {
      // the beat was written: a failing handler is not a Redis outage
      logEvent(this.#deps.logger, 'error', 'signal_failed', { signal, error: String(error) });
    }
  }

  /**
   * The `beat` ticker's tick: beat, then wait {@link HEARTBEAT_EVERY_MS};
   * after a failure, log once per outage and retry in
   * {@link HEARTBEAT_RETRY_MS}.
   */
  tick() {
    return fromPromise<TickOutput>(async () => {
      try {
        await this.beat();
        this.#outage.restored('heartbeat_restored');
        return { nextDelay: HEARTBEAT_EVERY_MS };
      } catch (error) {
        this.#outage.failed('heartbeat_failed', error);
        return { nextDelay: HEARTBEAT_RETRY_MS };
      }
    });
  }

  /**
   * At stop, after the tree is done: write the last counters and, with
   * `unregister`, `SREM processes`, `DEL` the running-job hashes and the
   * `<identity>` hash, in one MULTI; the last metrics go out with it. Never
   * rejects: a failure is logged with the counts it could not write.
   */
  async clear(options: { unregister: boolean }): Promise<void> {
    const nowMs = this.#deps.clock.realMs();
    const redis = this.#deps.redis();
    // sent with the clear's MULTI; never rejects
    const metrics = this.#deps.metrics?.flush(redis, nowMs, { final: true });
    await this.#clearProcess(redis, nowMs, options.unregister);
    await metrics;
  }

  /** The counters and the unregistering of {@link clear}; never rejects. */
  async #clearProcess(redis: Redis, nowMs: number, unregister: boolean): Promise<void> {
    const { state, identity, logger } = this.#deps;
    const counts = state.takeCounts();
    const date = utcDate(nowMs);
    if (!unregister && counts.processed === 0 && counts.failed === 0) return;
    try {
      const multi = redis.multi();
      let commands = addCounts(multi, counts, date);
      if (unregister) {
        // our private lists are requeued: we no longer need to look alive
        multi.srem(PROCESSES, identity).del(workersKey(identity), workKey(identity), processKey(identity));
        commands += 2;
      }
      await execAll(multi, commands, 'heartbeat clear');
    } catch (error) {
      const info = describeRedisError(error);
      logEvent(logger, 'warn', 'heartbeat_clear_failed', { error: info.message, cause: info.cause, unwritten: counts });
    }
  }
}
