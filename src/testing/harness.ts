/**
 * `createHarness`: the real Kiq actor tree on a simulated clock, for testing
 * an app's workers end to end (Redis mode) or inline (sandbox mode).
 *
 * Time. A {@link HarnessClock} is both Kiq's clock (job timestamps, retry and
 * schedule scores, the pollers' "now", leases) and the tree's xstate clock
 * (every `after` delay: pollers, beat, leader lease, backoffs, supervisor
 * timeouts). Simulated time moves only in `advance` and `drain`; IO (Redis
 * round trips, `perform`) takes no simulated time: the harness waits, in
 * real time, until it has settled before it moves the clock again.
 *
 * `advance(ms)` moves from one due timer to the next up to `now + ms`, so
 * polls, beats and renewals happen at their own simulated times. While the
 * tree is idle it leaps over several bookkeeping timers at once (they fire
 * at the leap's end), stopping 1 ms before the next retry or scheduled job,
 * the leader's lease end and the next periodic occurrence, so what the tree
 * does is unchanged (an idle hour costs ~130 steps instead of ~2,700). It
 * ends with one poll of the retry and schedule sets at the new time (as if
 * a poller ticked right then), so whatever is due by the end of the window
 * has run when it resolves, whatever the pollers' jitter.
 *
 * `drain()` advances to each next retry or scheduled job in turn; over gaps
 * longer than an hour it jumps (timers due meanwhile fire once, at the end,
 * as after a suspended process: the leader lease lapses and is claimed
 * again, a `leader` false/true pair; periodic occurrences in the gap are
 * not enqueued), so a 25-retry chain takes milliseconds, not minutes.
 *
 * Settling (real time, capped by `settleTimeout`): fire the timers due now,
 * then wait while jobs wait in the push buffer, an actor is in a state
 * tagged `io` (a tick, fetch, flush, claim, renew, requeue in flight), a job
 * runs or its outcome has not been reported, or a served queue holds jobs
 * its fetcher will take; finally check Redis once more and stop when nothing
 * moved meanwhile. The harness reads the tree only through ./tree-view.ts:
 * state tags (machines/tags.ts) and the queue view, never state names.
 *
 * The fetcher's blocking BLMOVE is not waited for: it waits in real time (up
 * to `fetchInterval`), but any push wakes it at once, so `advance` does not
 * depend on it. Its only real-time costs are `stop()` (waits for the BLMOVE
 * in flight: at most `fetchInterval`) and an idle fetch loop every
 * `fetchInterval` of real time (more Redis calls and trace events). The
 * harness defaults `fetchInterval` to {@link HARNESS_FETCH_INTERVAL_MS}.
 *
 * Redis-side TTLs (heartbeat, leader key, unique locks) run on Redis's own,
 * real clock: simulated time does not expire them.
 */
import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import type { ActorSystem, AnyActorRef, AnyMachineSnapshot, InspectionEvent } from 'xstate';
import { Tag } from '../../machines/tags.js';
import { queueId } from '../actor-ids.js';
import type { KiqOptions, Logger, Periodic, ResolvedConfig } from '../config/options.js';
import { KiqNotRunningError } from '../errors.js';
import { Kiq } from '../kiq.js';
import { openConnection } from '../redis/connections.js';
import { nextRunAfter, schedulePeriodic, type ScheduledPeriodic } from '../periodic/schedule.js';
import { kConfig, kSandbox } from '../symbols.js';
import { PerformLog, type PerformedJob } from './perform-log.js';
import { earliestScore, pollDueAt, queueLengths, readSet, SETS, type SetEntry } from './redis-sets.js';
import { performSandboxed } from './sandbox-drain.js';
import type { SandboxStore } from './sandbox-store.js';
import { HarnessClock } from './simulated-clock.js';
import { TreeView } from './tree-view.js';

export type { PerformedJob, PerformOutcome } from './perform-log.js';
export type { SetEntry } from './redis-sets.js';

/** The harness's default `fetchInterval` (real ms a blocking fetch waits): short, so `stop()` is quick. */
export const HARNESS_FETCH_INTERVAL_MS = 50;
/** Default `settleTimeout`: most real ms one settling may take. */
export const HARNESS_SETTLE_TIMEOUT_MS = 5_000;
/** Default `drain({ within })`: 30 days of simulated time, more than Sidekiq's 25 retries take (about 20.4 days). */
export const HARNESS_DRAIN_WINDOW_MS = 30 * 24 * 3_600_000;
/** `drain` moves through gaps up to this long as `advance` does, and jumps over longer ones, simulated ms. */
const DRAIN_STEP_LIMIT_MS = 3_600_000;

/** `redis` (default): the real tree on Redis. `sandbox`: `testMode: 'sandbox'`, jobs in memory, performed inline. */
export type HarnessMode = 'redis' | 'sandbox';

/** What {@link createHarness} takes: Kiq's options (but `clock` and `testMode`) and the harness's own. */
export interface HarnessOptions extends Omit<KiqOptions, 'clock' | 'testMode'> {
  /** @defaultValue `'redis'` (give `redisUrl`, or `REDIS_URL` is used) */
  mode?: HarnessMode;
  /** Simulated wall-clock time at the start: epoch ms or a `Date`. @defaultValue the real time now */
  startAt?: number | Date;
  /**
   * Record inspection events in `trace`: `true`, `false`, or a filter.
   * Without recording, `actor()` still works. @defaultValue `true`
   */
  trace?: boolean | ((event: InspectionEvent) => boolean);
  /** Most real ms one settling of IO may take before `advance`/`drain` reject. @defaultValue 5000 */
  settleTimeout?: number;
}

/** Options of {@link Harness.drain}. */
export interface HarnessDrainOptions {
  /** Run scheduled and retrying jobs due within this many simulated ms from now (Redis mode). @defaultValue 30 days */
  within?: number;
}

/** A running harness: see {@link createHarness}. */
export interface Harness {
  /** The Kiq instance under test (its `on`, `flush`, `clear`, …). */
  readonly kiq: Kiq;
  readonly mode: HarnessMode;
  /** The simulated clock: `clock.realMs()` is "now". */
  readonly clock: HarnessClock;
  /** Every `perform` call, in order. */
  readonly performed: readonly PerformedJob[];
  /** Inspection events of the tree since its start (Redis mode). */
  readonly trace: readonly InspectionEvent[];
  /** Kiq's log lines, unless a `logger` was given. */
  readonly logs: readonly string[];
  /** `kiq.enqueue`. A job enqueued for now may start before the next `advance` (IO runs in real time). */
  readonly enqueue: Kiq['enqueue'];
  /** Move simulated time `ms` forward, settling IO at each due timer; resolves when everything due has run. */
  advance(ms: number): Promise<void>;
  /**
   * Run until no job is enqueued, nothing runs, and nothing in `schedule` or
   * `retry` is due within `within`. Resolves with the number of `perform` calls.
   */
  drain(options?: HarnessDrainOptions): Promise<number>;
  /** `kiq.configure(settings)`, then settle. */
  configure(settings: { quiet?: boolean }): Promise<void>;
  /** Snapshot of the live actor with this systemId (`kiq`, `flusher`, `queue:default`, `poller:retry`, …); `undefined` when none. */
  actor(systemId: string): AnyMachineSnapshot | undefined;
  /** The jobs in a sorted set, lowest score first. */
  jobs(set: 'schedule' | 'retry' | 'dead'): Promise<SetEntry[]>;
  /** Stop Kiq (simulated time moves as the shutdown needs) and close the harness's connection. */
  stop(): Promise<void>;
}

/** Resolve after `n` turns of the event loop's check phase (lets promise chains and `setImmediate` batches run). */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function checkMs(name: string, ms: number): void {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) throw new RangeError(`harness.${name}: ms must be a finite number >= 0, got ${String(ms)}`);
}

class KiqHarness implements Harness {
  readonly kiq: Kiq;
  readonly mode: HarnessMode;
  readonly clock: HarnessClock;
  readonly enqueue: Kiq['enqueue'];
  readonly #log: PerformLog;
  readonly #trace: InspectionEvent[] = [];
  readonly #logs: string[] = [];
  readonly #settleTimeout: number;
  #events = 0;
  #system: ActorSystem<any> | undefined;
  readonly #tree = new TreeView(() => this.#system);
  #redis: Redis | undefined;
  #stopping: Promise<void> | undefined;
  /** Resolves the settle loop's current wait; called on every inspection event. */
  #wake: (() => void) | undefined;

  constructor(options: HarnessOptions) {
    const { mode = 'redis', startAt, trace = true, settleTimeout = HARNESS_SETTLE_TIMEOUT_MS, inspect, workers = [], logger, ...kiqOptions } = options;
    if (mode !== 'redis' && mode !== 'sandbox') throw new TypeError(`createHarness: mode must be 'redis' or 'sandbox', got ${String(mode)}`);
    if (!(settleTimeout > 0) || !Number.isFinite(settleTimeout)) throw new RangeError(`createHarness: settleTimeout must be a positive number of ms, got ${String(settleTimeout)}`);
    this.mode = mode;
    this.#settleTimeout = settleTimeout;
    this.clock = new HarnessClock(startAt);
    this.#log = new PerformLog({ sandbox: mode === 'sandbox', now: () => this.clock.realMs() });
    const keep = typeof trace === 'function' ? trace : () => trace;
    const userInspect = typeof inspect === 'function' ? inspect : inspect?.next?.bind(inspect);
    const observe = (event: InspectionEvent): void => {
      this.#events += 1;
      this.#wake?.();
      this.#system ??= (event.actorRef as AnyActorRef).system;
      if (keep(event)) this.#trace.push(event);
      userInspect?.(event);
    };
    const memory: Logger = { info: (m) => this.#logs.push(m), warn: (m) => this.#logs.push(m), error: (m) => this.#logs.push(m) };
    this.kiq = new Kiq({
      fetchInterval: HARNESS_FETCH_INTERVAL_MS,
      ...kiqOptions,
      workers: workers.map((worker) => this.#log.wrap(worker)),
      logger: logger ?? memory,
      clock: this.clock,
      ...(mode === 'sandbox' ? { testMode: 'sandbox' as const } : { inspect: observe }),
    });
    this.enqueue = this.kiq.enqueue.bind(this.kiq) as Kiq['enqueue'];
    if (mode === 'redis') this.#log.listen(this.kiq);
  }

  get performed(): readonly PerformedJob[] {
    return this.#log.performed;
  }

  get trace(): readonly InspectionEvent[] {
    return this.#trace;
  }

  get logs(): readonly string[] {
    return this.#logs;
  }

  get #config(): ResolvedConfig {
    return this.kiq[kConfig];
  }

  get #store(): SandboxStore {
    return this.kiq[kSandbox]!;
  }

  /** The configured queues' names. */
  get #queues(): string[] {
    return Object.keys(this.#config.queues);
  }

  async start(): Promise<void> {
    if (this.mode === 'redis') {
      const config = this.#config;
      const redis = openConnection({ url: config.redisUrl, options: config.redis }, `kiq-harness:${config.identity}`);
      this.#redis = redis;
      try {
        await redis.connect();
      } catch (error) {
        redis.disconnect();
        throw error;
      }
    }
    try {
      await this.kiq.start();
      if (this.mode === 'redis') await this.#fetchersReady();
    } catch (error) {
      if (this.kiq.state === 'running') await this.stop().catch(() => undefined);
      else this.#redis?.disconnect();
      throw error;
    }
  }

  /**
   * Settle after start until no fetcher backs off. A fetcher's first BLMOVE
   * may find its dedicated connection still connecting and fail fast; it
   * then backs off on the simulated clock, which no real time ends. Tell it
   * `redis.ready`, as the facade does when a connection comes back.
   */
  async #fetchersReady(): Promise<void> {
    const started = performance.now();
    for (;;) {
      await this.#settle('start');
      const backingOff = this.#queues.filter((name) => this.#tree.fetcherHas(name, Tag.backoff));
      if (backingOff.length === 0) return;
      if (performance.now() - started > this.#settleTimeout) {
        throw new Error(`kiq harness: start: the fetchers of ${backingOff.join(', ')} kept failing for ${this.#settleTimeout} ms of real time (see harness.logs)`);
      }
      await sleep(2);
      for (const name of backingOff) this.#tree.send(queueId(name), { type: 'redis.ready' });
    }
  }

  #assertRunning(operation: string): void {
    if (this.kiq.state !== 'running' || this.#stopping) throw new KiqNotRunningError(operation, this.#stopping ? 'stopping' : this.kiq.state);
  }

  async advance(ms: number): Promise<void> {
    checkMs('advance', ms);
    this.#assertRunning('advance');
    if (this.mode === 'sandbox') {
      this.clock.advance(ms);
      const now = this.clock.realMs();
      await performSandboxed(this.kiq, this.#store, (job) => job.atMs === undefined || job.atMs <= now);
      return;
    }
    await this.#runTo(this.clock.elapsed + ms, 'advance');
  }

  /**
   * Move the clock to `target` (simulated elapsed ms), timer by timer, IO
   * settled in between; then one poll of the scheduler sets at `target`.
   * While the tree is idle the clock may leap over several timers at once
   * (they fire at the leap's end): see {@link #leapBound}.
   */
  async #runTo(target: number, operation: string): Promise<void> {
    await this.#settle(operation);
    for (;;) {
      const next = this.clock.nextDue();
      if (next === undefined || next > target) break;
      const leap = await this.#leapBound(target);
      this.clock.set(Math.max(next, leap, this.clock.elapsed));
      await this.#settle(operation);
    }
    this.clock.set(Math.max(target, this.clock.elapsed));
    if (this.#redis && this.#config.server) await pollDueAt(this.#redis, this.#config, this.clock.realMs());
    await this.#settle(operation);
  }

  /**
   * How far the clock may leap from here without changing what the tree
   * does: only bookkeeping ticks (beats, empty polls, lease renewals) fall in
   * between, and they fire once, late, at the leap's end. Called when IO has
   * settled (nothing runs, no queue holds jobs to fetch). A leap stops 1 ms
   * before the earliest retry or scheduled job (the pollers then move it at
   * their own ticks), before the leader's lease ends (the renewal fires
   * first, so leadership never lapses), and before the next periodic
   * occurrence (its tick lands on it).
   */
  async #leapBound(target: number): Promise<number> {
    if (!this.#mayLeap()) return this.clock.elapsed;
    let bound = target;
    const due = await this.#nextScheduled();
    if (due !== undefined) bound = Math.min(bound, due - 1);
    const leaderUntil = this.#tree.leaderUntil();
    if (leaderUntil > this.clock.elapsed) bound = Math.min(bound, leaderUntil - 1);
    const startMs = this.clock.realMs() - this.clock.elapsed;
    for (const entry of this.#periodics()) bound = Math.min(bound, nextRunAfter(entry, this.clock.realMs()) - startMs - 1);
    return bound;
  }

  /**
   * No leap while the flusher or a fetcher waits out a backoff after a Redis
   * error, or a queue waits to restart its fetcher: that wait must end on time.
   */
  #mayLeap(): boolean {
    return this.#tree.flusherIdle() && this.#queues.every((name) => this.#tree.fetcherSettled(name));
  }

  #scheduledPeriodics: { readonly from: readonly Periodic[]; readonly entries: readonly ScheduledPeriodic[] } | undefined;

  /** The configured periodic entries, parsed once per config. */
  #periodics(): readonly ScheduledPeriodic[] {
    const periodics = this.#config.server ? this.#config.periodics : [];
    if (this.#scheduledPeriodics?.from !== periodics) this.#scheduledPeriodics = { from: periodics, entries: periodics.map(schedulePeriodic) };
    return this.#scheduledPeriodics.entries;
  }

  async drain(options: HarnessDrainOptions = {}): Promise<number> {
    const within = options.within ?? HARNESS_DRAIN_WINDOW_MS;
    checkMs('drain', within);
    this.#assertRunning('drain');
    if (this.mode === 'sandbox') return performSandboxed(this.kiq, this.#store, () => true);
    const before = this.performed.length;
    const horizon = this.clock.elapsed + within;
    await this.#runTo(this.clock.elapsed, 'drain');
    let stuckAt: number | undefined;
    for (;;) {
      const due = await this.#nextScheduled();
      if (due === undefined || due > horizon) break;
      let gap = Math.max(0, Math.ceil(due - this.clock.elapsed));
      // a score a rounding error past "now": move on by 1 ms rather than loop
      if (gap === 0 && stuckAt === this.clock.elapsed) gap = 1;
      stuckAt = this.clock.elapsed;
      if (gap <= DRAIN_STEP_LIMIT_MS) {
        await this.#runTo(this.clock.elapsed + gap, 'drain');
      } else {
        // as if the process had been suspended: every timer due meanwhile fires once, at the end
        await this.#settle('drain');
        this.clock.advance(gap);
        await this.#runTo(this.clock.elapsed, 'drain');
      }
    }
    return this.performed.length - before;
  }

  async configure(settings: { quiet?: boolean }): Promise<void> {
    this.#assertRunning('configure');
    this.kiq.configure(settings);
    if (this.mode === 'sandbox') return;
    await this.#settle('configure');
    if (settings.quiet !== true) return;
    // in effect once no fetch is in flight: a blocking one returns within fetchInterval (real time)
    const started = performance.now();
    for (;;) {
      const fetching = this.#queues.filter((name) => this.#tree.fetcherHas(name, Tag.io));
      if (fetching.length === 0) break;
      if (performance.now() - started > this.#settleTimeout) {
        throw new Error(`kiq harness: configure: the fetchers of ${fetching.join(', ')} did not go quiet within ${this.#settleTimeout} ms of real time`);
      }
      await this.#progress();
    }
    await this.#settle('configure');
  }

  actor(systemId: string): AnyMachineSnapshot | undefined {
    return this.#tree.actor(systemId);
  }

  async jobs(set: 'schedule' | 'retry' | 'dead'): Promise<SetEntry[]> {
    if (!(set in SETS)) throw new TypeError(`harness.jobs: set must be 'schedule', 'retry' or 'dead', got ${String(set)}`);
    if (this.mode === 'sandbox') {
      if (set !== 'schedule') return [];
      return this.#store.jobs
        .filter((job) => job.atMs !== undefined)
        .map((job) => ({ at: job.atMs!, job: job.payload }))
        .sort((a, b) => a.at - b.at);
    }
    const redis = this.#redis;
    if (!redis || redis.status !== 'ready') throw new KiqNotRunningError('jobs', 'the harness is stopped');
    return readSet(redis, set);
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    let finished = false;
    const stopped = this.kiq.stop().finally(() => {
      finished = true;
    });
    try {
      if (this.mode === 'redis') {
        // the shutdown's own timers (supervisor steps, drain timeout) are simulated:
        // move to the next one whenever nothing is in flight, the BLMOVE included
        let since = performance.now();
        while (!finished) {
          this.clock.fireDue();
          await this.#progress();
          if (finished) break;
          const busy = this.#busyReason({ blocking: true, outcomes: false });
          const overdue = performance.now() - since > this.#settleTimeout;
          if (busy === undefined || overdue) {
            const next = this.clock.nextDue();
            if (next !== undefined) {
              this.clock.set(Math.max(next, this.clock.elapsed));
              since = performance.now();
            }
          }
        }
      }
      await stopped;
    } finally {
      await this.#redis?.quit().catch(() => this.#redis?.disconnect());
    }
  }

  /**
   * Why IO is not settled, or `undefined`: jobs in the push buffer, an IO
   * call in flight (the fetcher's blocking wait only with `blocking`), a job
   * running, an outcome not yet reported (unless `outcomes` is false).
   */
  #busyReason({ blocking = false, outcomes = true } = {}): string | undefined {
    if (this.kiq.buffered > 0) return `${this.kiq.buffered} job(s) in the push buffer`;
    const inFlight = this.#tree.ioInFlight(blocking);
    if (inFlight) return `an IO call in flight (${inFlight})`;
    for (const name of this.#queues) {
      const running = this.#tree.running(name);
      if (running > 0) return `queue:${name}: ${running} job(s) running`;
    }
    const waiting = outcomes ? this.#log.awaiting() : undefined;
    if (waiting) return `the outcome of ${waiting}`;
    return undefined;
  }

  /** A served, not quiet queue with jobs in Redis that its fetcher (in an IO call) will take, or `undefined`. */
  async #queuedInRedis(): Promise<string | undefined> {
    const redis = this.#redis;
    if (!redis || !this.#config.server) return undefined;
    const names = this.#queues;
    const lengths = await queueLengths(redis, names);
    for (const [i, name] of names.entries()) {
      const length = lengths[i]!;
      if (length === 0) continue;
      const queue = this.#tree.queue(name);
      if (!queue || queue.quiet) continue;
      if (this.#tree.fetcherHas(name, Tag.io)) return `queue:${name}: ${length} job(s) to fetch`;
    }
    return undefined;
  }

  /**
   * Until the tree moves (its next inspection event: every IO call that ends
   * is one), or 1 ms of real time at most (a perform waiting on something
   * else). Not a spin: the CPU stays with Redis.
   */
  #progress(): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        if (this.#wake === done) this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, 1);
      this.#wake = done;
    });
  }

  /** Wait (real time) until IO has settled; see the module comment. */
  async #settle(operation: string): Promise<void> {
    const started = performance.now();
    for (;;) {
      this.clock.fireDue();
      await turns(2);
      let reason = this.#busyReason();
      if (reason === undefined) {
        const mark = this.#events;
        reason = await this.#queuedInRedis();
        await turns(2);
        if (reason === undefined) reason = this.#busyReason();
        if (reason === undefined && mark === this.#events && !this.clock.hasDue()) return;
      }
      if (performance.now() - started > this.#settleTimeout) {
        throw new Error(`kiq harness: ${operation}: IO did not settle within ${this.#settleTimeout} ms of real time (${reason ?? 'the actors kept changing'})`);
      }
      if (this.kiq.state !== 'running') throw new KiqNotRunningError(operation, this.kiq.state);
      await this.#progress();
    }
  }

  /** The earliest score among the configured scheduler sets, as simulated elapsed ms; `undefined` when they are empty. */
  async #nextScheduled(): Promise<number | undefined> {
    const redis = this.#redis;
    if (!redis || !this.#config.server) return undefined;
    const at = await earliestScore(redis, this.#config.schedulers);
    return at === undefined ? undefined : at - (this.clock.realMs() - this.clock.elapsed);
  }
}

/**
 * Start a Kiq instance for tests on a simulated clock and return its
 * {@link Harness}. Redis mode (default) runs the real actor tree against
 * `redisUrl`; `mode: 'sandbox'` keeps jobs in memory and performs them
 * inline on `advance` (due ones) and `drain` (all, as `Testing.drain`).
 * Workers are wrapped to record each `perform` in `performed`; the given
 * worker objects are not modified. Logs go to `logs` unless `logger` is given.
 *
 * @example
 * const h = await createHarness({ redisUrl, queues: { default: 5 }, workers: [Mailer] });
 * await h.enqueue(Mailer, ['a@b.c', 1]);
 * await h.advance(0);                      // runs what is due now
 * h.performed;                             // [{ class: 'Mailer', attempt: 1, outcome: 'success', … }]
 * await h.stop();
 */
export async function createHarness(options: HarnessOptions = {}): Promise<Harness> {
  const harness = new KiqHarness(options);
  await harness.start();
  return harness;
}
