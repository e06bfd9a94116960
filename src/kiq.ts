/**
 * The Kiq facade: one instance = one configuration, one set of Redis
 * connections and one actor system. Several instances live side by side in a
 * process without sharing anything (Kiq's global names could not,
 * docs/kiq-elixir.md bug 14).
 *
 * Lifecycle: 1. `new Kiq(options)` validates every option (throws
 * `KiqConfigError`); 2. `start()` runs the `init` hook, connects to Redis and
 * starts the actor tree; 3. `enqueue()` works from construction on: jobs wait
 * in the reliable-push buffer until the Flusher writes them; 4. `stop()`
 * shuts the tree down in reverse start order (the Flusher's final flush
 * last), then closes the connections.
 */
import { createActor, type Actor, type AnyActorLogic, type AnyStateMachine, type Subscription } from 'xstate';
import { JobBuffer } from './client/buffer.js';
import type { BufferEntry, Confirmation, PushStatus } from './client/entry.js';
import { createFlushActor } from './client/flush-actor.js';
import type { DurablePush } from './client/spool/durable-push.js';
import { openDurablePush, type SpoolCounts } from './client/spool/open-durable-push.js';
import { toEntry } from './client/to-entry.js';
import { applyInit, resolveConfig } from './config/resolve.js';
import type { InspectOption, KiqOptions, Periodic, ResolvedConfig } from './config/options.js';
import { attachInspector } from './inspect/attach.js';
import { dumpActor, dumpJobs, type KiqDump } from './inspect/dump.js';
import { BufferFullError, EscalationError, KiqConfigError, KiqNotRunningError, UnflushedJobsError } from './errors.js';
import { KiqEmitter, type KiqEventName, type KiqListener } from './events.js';
import { HealthKit } from './health/health-kit.js';
import type { HealthReport } from './health/report.js';
import { buildJob, type EnqueueOptions, type PlainJob } from './job/build.js';
import type { JobPayload } from './job/payload.js';
import { ConnectionPool, STALL_TIMEOUT_MS } from './redis/connections.js';
import { clearAll } from './redis/clear.js';
import { redactUrl } from './redis/redact-url.js';
import { describeRedisError } from './redis/redis-error.js';
import { Heartbeat, kBeat, kiqVersion } from './server/heartbeat.js';
import { Liveness } from './server/liveness.js';
import { ExecutionMetrics } from './server/metrics/execution-metrics.js';
import { MetricsFlusher } from './server/metrics/metrics-flusher.js';
import { takeBackOwn } from './server/ops/index.js';
import { ProcessState } from './server/process-state.js';
import { combineHooks, type JobHooks } from './job-events.js';
import { ReporterBus } from './reporters/bus.js';
import { reporterTargets } from './reporters/supervisor.js';
import { periodicJob } from './periodic/job.js';
import { leaderGate, SENATOR_ID } from './server/senator.js';
import { kConfig, kSandbox } from './symbols.js';
import { SandboxStore } from './testing/sandbox-store.js';
import { isTimerClock } from './testing/simulated-clock.js';
import { buildTree, RECONCILER_ID } from './tree.js';
import type { Worker } from './worker.js';
import type { Registry } from 'prom-client';

/** Time `stop()` allows on top of its timeout for requeueing and the final flush, ms. */
const STOP_GRACE_MS = 10_000;

/** A job as enqueued: its payload (without `enqueued_at`, set when it is pushed). */
export type Job = Readonly<JobPayload>;

/** Per-call enqueue options; `confirm: true` waits until the job is in Redis. */
export interface PushOptions extends EnqueueOptions {
  /** Resolve with a {@link PushReceipt} once Redis has the job (or refused it as a duplicate). */
  confirm?: boolean;
}

/** How a confirmed enqueue ended. */
export interface PushReceipt {
  /** `enqueued` (on its queue), `scheduled` (in `schedule`), or `duplicate` (a unique lock is held). */
  readonly status: PushStatus;
  readonly job: Job;
  /** For a duplicate: the jid holding the unique lock. */
  readonly holder?: string;
}

/**
 * What follows the first argument of {@link Kiq.enqueue}: for a worker, its
 * args and the options; for a plain job, the options. The args type is the
 * worker's own (`infer`red from the worker alone, never from the literal
 * passed), so `[200, 'x']` for a `[string, number]` worker is a compile error
 * on the args, not a "no overload matches" about plain jobs.
 *
 * @example
 * const rest: EnqueueArgs<typeof Mailer, false> = [['a@b.c', 1], { in: 30_000 }];
 */
export type EnqueueArgs<F, C extends boolean> =
  F extends Worker<infer Args> ? [args: Args, options?: PushOptions & { confirm?: C }] : [options?: PushOptions & { confirm?: C }];

/**
 * What {@link Kiq.enqueue} resolves with: the job, or with `confirm: true`
 * a {@link PushReceipt} (either, for a `confirm` only known at run time).
 *
 * @example
 * const receipt: EnqueueResult<true> = await kiq.enqueue(Mailer, ['a@b.c', 1], { confirm: true });
 */
export type EnqueueResult<C extends boolean> = C extends true ? PushReceipt : Job;

/** Options of {@link Kiq.stop}. */
export interface StopOptions {
  /** Most ms to wait for the tree to shut down; default: the `shutdownTimeout` option. */
  timeout?: number;
}

/** Lifecycle state of a Kiq instance. */
export type KiqState = 'new' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

/**
 * A Kiq instance.
 *
 * @example
 * const kiq = new Kiq({ queues: { default: 10 }, workers: [Mailer] });
 * await kiq.start();
 * await kiq.enqueue(Mailer, ['a@b.c', 1], { in: 30_000 });
 * await kiq.stop();
 */
export class Kiq {
  readonly #options: KiqOptions;
  #config: ResolvedConfig;
  readonly #buffer: JobBuffer;
  readonly #sandbox: SandboxStore | undefined;
  readonly #events: KiqEmitter;
  #pool: ConnectionPool | undefined;
  #root: Actor<AnyStateMachine> | undefined;
  #state: KiqState = 'new';
  #stopping: Promise<void> | undefined;
  #redisBackPending = false;
  /** A connection came back while `#redisBack` ran: run it once more (that one's beat may be the first to succeed). */
  #redisBackAgain = false;
  /** A server's running jobs, counters and quiet flag, their heartbeat (docs/sidekiq-contract.md §6), and its liveness lease. */
  #process: { readonly state: ProcessState; readonly heartbeat: Heartbeat; readonly metrics: ExecutionMetrics | undefined; readonly liveness: Liveness } | undefined;
  #bus: ReporterBus | undefined;
  /** The spool (`spool` option), open between `start()` and `stop()`. */
  #durable: DurablePush | undefined;
  readonly #spoolCounts: SpoolCounts = { spooled: 0, replayed: 0 };
  /** Last leadership announced on the `leader` event. */
  #leading = false;
  /** `kiq.health()`, the fetch watch, Prometheus metrics and the HTTP endpoints. */
  readonly #health: HealthKit;

  /** Validate `options` (throws `KiqConfigError` naming the bad option). Opens nothing. */
  constructor(options: KiqOptions = {}) {
    this.#options = options;
    this.#config = resolveConfig(options);
    this.#events = new KiqEmitter(this.#config.logger);
    this.#buffer = new JobBuffer(this.#config.bufferLimit, undefined, () => this.#config.clock.monoMs());
    this.#sandbox = this.#config.testMode === 'sandbox' ? new SandboxStore() : undefined;
    this.#health = new HealthKit(this.#config, {
      state: () => this.#state,
      root: () => this.#root,
      pool: () => this.#pool,
      sandbox: this.#sandbox !== undefined,
      buffer: () => ({ depth: this.#buffer.size, oldestAgeMs: this.#buffer.oldestAgeMs() }),
      leader: () => this.#leading,
      board: () => this.#process?.state.problems,
    });
  }

  /**
   * How this process is doing: `ok`, `degraded` or `failing`, with the
   * reasons and what they were judged from (Redis reachability and round
   * trip, the actor tree, each queue's last successful fetch, busy/limit
   * and last error, the push buffer, leadership). Pings Redis once; never
   * rejects. Thresholds: the `health` option.
   *
   * @example
   * const report = await kiq.health();
   * if (report.status !== 'ok') console.warn(report.reasons.join('; '));
   */
  health(): Promise<HealthReport> {
    return this.#health.report();
  }

  /**
   * The Prometheus registry (prom-client) of this instance's metrics, once
   * started with `health: { port }` or `health: { prometheus: true }`:
   * `await kiq.prometheus?.metrics()` is the text exposition; merge it into
   * an app's own registry with `Registry.merge([app, kiq.prometheus])`.
   */
  get prometheus(): Registry | undefined {
    return this.#health.prometheus?.registry;
  }

  /** The port `/healthz`, `/readyz` and `/metrics` listen on (the chosen one for `health: { port: 0 }`), once started. */
  get healthPort(): number | undefined {
    return this.#health.port;
  }

  /** This process's identity in Redis (`hostname:pid:nonce` unless configured). */
  get identity(): string {
    return this.#config.identity;
  }

  /** Where the instance is in its lifecycle. */
  get state(): KiqState {
    return this.#state;
  }

  /** Jobs in memory, enqueued but not yet written to Redis (jobs in the spool are not counted). */
  get buffered(): number {
    return this.#buffer.size;
  }

  /** @internal */
  get [kSandbox](): SandboxStore | undefined {
    return this.#sandbox;
  }

  /** @internal */
  get [kConfig](): ResolvedConfig {
    return this.#config;
  }

  /** @internal One full heartbeat now, taking a signal (tests; the `beat` ticker beats every 5 s). */
  async [kBeat](): Promise<void> {
    await this.#process?.heartbeat.beat();
  }

  /**
   * Run the `init` hook, connect to Redis (not in sandbox mode) and start the
   * actor tree. Rejects when Redis cannot be reached, naming the URL.
   */
  async start(): Promise<void> {
    if (this.#state !== 'new') throw new KiqNotRunningError('start', this.#state);
    this.#state = 'starting';
    try {
      const before = this.#config;
      this.#config = await applyInit(this.#config, this.#options);
      if (this.#config.testMode !== before.testMode) {
        // jobs enqueued before start() already went to the buffer or the sandbox
        throw new KiqConfigError('testMode', `the value given to the constructor (${before.testMode}); init cannot change it`, this.#config.testMode);
      }
      if (this.#sandbox) {
        await this.#health.listen();
        this.#state = 'running';
        this.#events.emit('started', { identity: this.identity });
        return;
      }
      // CLIENT LIST: name=kiq:<identity>:pool:0 …, lib-name=ioredis(kiq_v<version>) on Redis 7.2+
      // (as Sidekiq 8.1's redis-client(sidekiq_v8.1.7)), so operators tell Kiq's connections from Ruby's
      const options = { clientInfoTag: `kiq_v${kiqVersion()}`, ...this.#config.redis };
      const pool = new ConnectionPool(
        // a BLMOVE waits up to fetchInterval for its reply: only silence beyond that is a stall
        { url: this.#config.redisUrl, options, stallTimeoutMs: STALL_TIMEOUT_MS + this.#config.fetchInterval, logger: this.#config.logger },
        this.#config.poolSize,
        `kiq:${this.identity}`,
      );
      this.#pool = pool;
      const url = redactUrl(this.#config.redisUrl);
      await pool.connect().catch((error: unknown) => {
        const info = describeRedisError(error);
        throw new KiqNotRunningError('start', `unable to ${info.permanent ? 'use' : 'reach'} Redis at ${url}: ${info.message} (${info.cause})`, { cause: error });
      });
      // before the tree: a port in use fails start() with nothing running; until then /readyz says 503
      const prometheus = await this.#health.attach(pool);
      await this.#health.listen();
      if (this.#config.spool) {
        this.#durable = await openDurablePush(this.#config.spool, {
          buffer: this.#buffer,
          clock: this.#config.clock,
          events: this.#events,
          timestamps: this.#config.timestamps,
          log: (level, fields) => this.#log(level, fields),
          wake: () => this.#root?.system.get('flusher')?.send({ type: 'enqueued' }),
        }, this.#spoolCounts);
      }
      if (this.#config.server) {
        const state = new ProcessState(this.#config.clock);
        state.quiet = this.#config.quiet;
        const metrics = this.#config.metrics ? new ExecutionMetrics() : undefined;
        const heartbeat = new Heartbeat({
          redis: () => pool.next(),
          identity: this.identity,
          tag: this.#config.tag,
          queues: this.#config.queues,
          clock: this.#config.clock,
          logger: this.#config.logger,
          state,
          onSignal: (signal) => this.#signal(signal),
          // the beat written by start() itself says nothing: the tree is not up yet
          health: () => (this.#state === 'starting' ? undefined : this.#health.monitor.judge()),
          ...(metrics ? { metrics: new MetricsFlusher(metrics, this.#config.logger) } : {}),
        });
        const liveness = new Liveness(pool, this.identity, this.#config.livenessTtl, this.#config.clock);
        this.#process = { state, heartbeat, metrics, liveness };
        // Beat before the queues fetch anything: a private list whose owner has
        // no heartbeat yet would look orphaned to other processes (Kiq's
        // Necromancer race, docs/kiq-elixir.md bug 18); the process is
        // listed at once. Signals wait for the first ticked beat.
        await heartbeat.beat({ popSignal: false }).catch((error: unknown) => {
          const info = describeRedisError(error);
          throw new KiqNotRunningError('start', `unable to write the heartbeat to Redis at ${url}: ${info.message} (${info.cause})`, { cause: error });
        });
        // the same for the liveness lease, which decides for Kiq servers. Not
        // fatal: without a lease this process is judged by its heartbeat hash
        // (60 s), as a non-Kiq process is, so none of its jobs is taken early;
        // the liveness ticker retries and logs the outage
        await liveness.renew().catch((error: unknown) => {
          const info = describeRedisError(error);
          this.#log(info.permanent ? 'error' : 'warn', { event: 'liveness_failed', error: info.message, cause: info.cause });
        });
        // a generated identity (random nonce) cannot have a predecessor
        if (this.#options.identity !== undefined || this.#config.identity !== before.identity) await this.#takeBack(pool);
      }
      this.#startTree(pool, prometheus);
      pool.onReconnect(() => void this.#redisBack(pool));
      this.#state = 'running';
      this.#events.emit('started', { identity: this.identity });
    } catch (error) {
      this.#state = 'failed';
      this.#process = undefined;
      await this.#health.close();
      await this.#closeSpool();
      await this.#pool?.close();
      throw error;
    }
  }

  /**
   * Before fetching: whatever this identity's private lists hold was left
   * by a predecessor with the same identity (a configured one: a pod name, a
   * fixed hostname) that crashed; this process is their only live owner, so
   * it puts them back on their queues now. A failure is logged, not fatal:
   * the reconciler puts back its configured queues' lists within seconds.
   */
  async #takeBack(pool: ConnectionPool): Promise<void> {
    try {
      const { requeued, dead } = await takeBackOwn(pool.next(), this.identity, this.#config.clock.realMs() / 1000);
      if (requeued + dead > 0) this.#log('warn', { event: 'private_taken_back', requeued, dead });
    } catch (error) {
      this.#log('warn', { event: 'take_back_failed', error: String(error) });
    }
  }

  #startTree(pool: ConnectionPool, prometheus: JobHooks | undefined): void {
    const flush = createFlushActor(this.#buffer, pool, this.#config.clock, {
      onOutage: (error, waiting) => {
        const info = describeRedisError(error);
        this.#log('warn', { event: 'enqueueing_failed', error: info.message, cause: info.cause, waiting });
        this.#events.emit('push.outage', { error, waiting });
      },
      onRestored: () => {
        this.#log('info', { event: 'enqueueing_restored', ...(this.#durable ? { spooled: this.#spoolCounts.spooled } : {}) });
        this.#spoolCounts.spooled = 0;
        this.#events.emit('push.restored', {});
      },
      onRefused: (refused) => {
        for (const { entry, error } of refused) {
          const wrapped = new UnflushedJobsError([entry.json], { cause: error });
          this.#events.emit('error', wrapped);
        }
      },
    }, this.#config.timestamps, this.#durable);
    // reporters: the bus looks them up in this tree's system at every send (refs change on restart)
    const bus = this.#process
      ? new ReporterBus({ system: () => this.#root?.system, targets: reporterTargets(this.#config, { emitter: this.#events }), logger: this.#config.logger })
      : undefined;
    this.#bus = bus;
    const observers = this.#process && bus ? [this.#process.state, bus, ...(this.#process.metrics ? [this.#process.metrics] : []), ...(prometheus ? [prometheus] : [])] : [];
    const io =
      this.#process && bus
        ? {
            hooks: combineHooks(observers),
            beat: this.#process.heartbeat.tick(),
            emitter: this.#events,
            board: this.#process.state.problems,
            liveness: this.#process.liveness,
            watch: this.#health.watch,
          }
        : {};
    // read at call time through the system: a restarted senator is a new actor
    const leader = leaderGate(() => this.#root?.system, this.#config.clock);
    const root = createActor(
      buildTree(this.#config, {
        flush: flush as AnyActorLogic,
        pool,
        leader,
        onLeadership: (leading) => this.#leadership(leading),
        enqueuePeriodic: (entry) => this.#enqueuePeriodic(entry),
        ...io,
      }),
      {
      id: 'kiq',
      systemId: 'kiq',
      // the root's config reaches every configurable child, so `quiet: true` starts quiet
      input: { quiet: this.#config.quiet },
      ...(this.#config.inspect ? { inspect: this.#config.inspect } : {}),
      // a clock that can also schedule timers (kiq/testing's HarnessClock, a
      // wrapped xstate SimulatedClock) drives every `after` delay of the tree,
      // so simulated time moves pollers, beats, leases and backoffs too
      ...(isTimerClock(this.#config.clock) ? { clock: this.#config.clock } : {}),
      },
    );
    root.subscribe({
      error: (error) => this.#escalated(error),
    });
    this.#root = root;
    this.#buffer.onFirst = () => {
      root.system.get('flusher')?.send({ type: 'enqueued' });
      this.#durable?.enqueued();
    };
    root.start();
  }

  /**
   * A connection came back after an outage: the heartbeat may have been
   * lost with Redis (a restart without persistence), and the IO loops may be
   * waiting out a backoff. Beat first (fetching refuses to run without a
   * heartbeat), then wake the Flusher, the reconciler and the queues, then
   * renew the liveness lease. A connection that comes back meanwhile runs
   * this once more afterwards: the first beat may have gone to a connection
   * not yet ready, and every reconnect must reach the reconciler.
   */
  async #redisBack(pool: ConnectionPool): Promise<void> {
    if (this.#state !== 'running') return;
    if (this.#redisBackPending) {
      this.#redisBackAgain = true;
      return;
    }
    this.#redisBackPending = true;
    try {
      // renewals before the outage no longer prove that others could renew
      this.#process?.liveness.reconnected();
      await this.#process?.heartbeat.beat().catch(() => undefined);
      const system = this.#root?.system;
      system?.get('flusher')?.send({ type: 'redis.ready' });
      if (this.#config.server) system?.get(SENATOR_ID)?.send({ type: 'redis.ready' });
      // a reply lost with the connection may have stranded fetched jobs in a private list
      if (this.#config.server) system?.get(RECONCILER_ID)?.send({ type: 'redis.ready' });
      if (this.#config.server) for (const name of Object.keys(this.#config.queues)) system?.get(`queue:${name}`)?.send({ type: 'redis.ready' });
      await this.#process?.liveness.renew().catch(() => undefined);
    } finally {
      this.#redisBackPending = false;
      if (this.#redisBackAgain) {
        this.#redisBackAgain = false;
        void this.#redisBack(pool);
      }
    }
  }

  /**
   * A signal from `<identity>-signals`, as the Web UI's Quiet / Stop buttons
   * and `Sidekiq::Process#quiet!` / `#stop!` / `#dump_threads` send them
   * (docs/sidekiq-contract.md §6.5): act as Sidekiq does on the OS signal.
   */
  #signal(signal: string): void {
    this.#log('info', { event: 'signal_received', signal });
    switch (signal) {
      case 'TSTP': // quiet: fetch nothing new, finish what runs, beat quiet "true"
        this.configure({ quiet: true });
        return;
      case 'TERM': // graceful stop, as `stop()`
        this.stop().catch((error: unknown) => this.#events.emit('error', error instanceof Error ? error : new Error(String(error))));
        return;
      case 'TTIN': // Sidekiq logs thread backtraces; we log running jobs and the actor tree
        this.dump();
        return;
      default:
        this.#log('warn', { event: 'signal_ignored', signal });
    }
  }

  /**
   * Log (one `info` line, `event: "dump"`) and return the running jobs and
   * the actor tree with each actor's state: what the TTIN signal does, from
   * `kill -TTIN <pid>` under `kiq work`, `kiq dump <identity>` or Sidekiq's
   * `Process#dump_threads`. Job arguments are left out.
   *
   * @example
   * const { running } = kiq.dump();
   * console.log(`${running.length} jobs running`);
   */
  dump(): KiqDump {
    const dump: KiqDump = {
      running: dumpJobs(this.#process?.state.running() ?? []),
      tree: this.#root ? dumpActor('kiq', this.#root) : null,
    };
    this.#log('info', { event: 'dump', ...dump });
    return dump;
  }

  /** Announce a leadership change once (`leader` event); a restarted senator re-announces. */
  #leadership(leading: boolean): void {
    if (leading === this.#leading) return;
    this.#leading = leading;
    this.#events.emit('leader', { identity: this.identity, leader: leading });
  }

  /** One occurrence of a periodic entry: its worker (or class name) with its args, its options overriding the worker's. */
  #enqueuePeriodic(entry: Periodic): Promise<Job> {
    const { worker, args, options } = periodicJob(entry);
    // from the tree itself: still accepted while stopping, since the
    // Flusher's final flush runs after the periodic ticker has stopped (an
    // occurrence claimed during stop() would otherwise be lost for everyone)
    return (typeof worker === 'string' ? this.#enqueue({ class: worker, args }, undefined, options, true) : this.#enqueue(worker, args, options, true)) as Promise<Job>;
  }

  #escalated(error: unknown): void {
    // the tree is down: the lease is no longer renewed
    this.#leadership(false);
    this.#state = 'failed';
    const message = error instanceof Error ? error.message : String(error);
    this.#events.emit('error', new EscalationError(`kiq gave up: ${message}`, { cause: error }));
  }

  /**
   * Enqueue a job for `worker` with typed `args`, or a plain Sidekiq-style
   * job (`{ class, args, queue, … }`, e.g. for a Ruby worker). Resolves with
   * the job at once (it is in the reliable-push buffer, flushed within
   * milliseconds); with `confirm: true`, once Redis has it.
   * Rejects with `InvalidJobError` for bad input, `BufferFullError` when the
   * buffer (or the spool) is full, `KiqNotRunningError` after `stop()`.
   *
   * The args type is the worker's alone ({@link EnqueueArgs}): one signature
   * rather than overloads, so a mistake is reported on the args themselves.
   *
   * @example
   * const job = await kiq.enqueue(Mailer, ['a@b.c', 1]);
   * const receipt = await kiq.enqueue(Mailer, ['a@b.c', 2], { confirm: true, in: 30_000 });
   * await kiq.enqueue({ class: 'HardWorker', queue: 'ruby', args: [1, 'x'] });
   * // kiq.enqueue(Mailer, [1, 'a@b.c']);  // compile error on 1: not assignable to string
   */
  enqueue<F extends Worker | PlainJob, C extends boolean = false>(first: F, ...rest: EnqueueArgs<F, C>): Promise<EnqueueResult<C>>;
  enqueue(first: Worker | PlainJob, second?: unknown, third?: PushOptions): Promise<Job | PushReceipt> {
    return this.#enqueue(first, second, third, false);
  }

  #enqueue(first: Worker | PlainJob, second: unknown, third: PushOptions | undefined, fromTree: boolean): Promise<Job | PushReceipt> {
    try {
      const isWorker = typeof (first as Worker).perform === 'function';
      const options = (isWorker ? third : ((second as PushOptions | undefined) ?? third)) ?? {};
      const { confirm, ...buildOptions } = options;
      if ((this.#state === 'stopping' && !fromTree) || this.#state === 'stopped' || this.#state === 'failed') {
        throw new KiqNotRunningError('enqueue', this.#state);
      }
      const input = isWorker ? { worker: first as Worker, args: second as unknown[] } : (first as PlainJob);
      const built = buildJob(input, this.#config.clock, buildOptions);
      const job: Job = built.payload;
      if (this.#sandbox) {
        const nowMs = this.#config.clock.realMs();
        const atMs = built.atSec === undefined ? undefined : built.atSec * 1000;
        this.#sandbox.add({ payload: built.payload, ...(atMs === undefined ? {} : { atMs, inMs: atMs - nowMs }) });
        return Promise.resolve(confirm ? { status: atMs === undefined ? 'enqueued' : 'scheduled', job } : job);
      }
      if (this.#durable?.full) throw new BufferFullError(this.#config.spool!.maxBytes, true);
      if (!confirm) {
        this.#push((seq) => toEntry(built, seq, undefined, this.#config.timestamps));
        return Promise.resolve(job);
      }
      return new Promise<PushReceipt>((resolve, reject) => {
        const confirmation: Confirmation = {
          resolve: (outcome) => resolve({ ...outcome, job }),
          reject,
        };
        this.#push((seq) => toEntry(built, seq, confirmation, this.#config.timestamps));
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Into the spool at once during an outage (on disk before enqueue returns), else into the buffer. */
  #push(make: (seq: number) => BufferEntry): void {
    if (this.#durable?.accept(make)) return;
    this.#buffer.add(make);
  }

  /** Resolves when every job enqueued before this call is in Redis (at once in sandbox mode). */
  flush(): Promise<void> {
    if (this.#sandbox) return Promise.resolve();
    // a job the spool took has left the buffer: wait for the spool after it
    return this.#buffer.drained().then(() => this.#durable?.spool.drained());
  }

  /**
   * Change runtime settings of the running tree; `quiet: true` stops fetching
   * new jobs (running ones finish), `quiet: false` resumes. Remembered across
   * restarts of the queues.
   */
  configure(settings: { quiet?: boolean }): void {
    // the heartbeat writes the real state (Kiq always wrote quiet false, docs/kiq-elixir.md bug 13)
    if (settings.quiet !== undefined && this.#process) this.#process.state.quiet = settings.quiet;
    this.#root?.send({ type: 'configure', ...settings });
  }

  /**
   * Watch the running actor tree: `observer` (an xstate inspection observer
   * or a function, e.g. `createWebSocketInspector(...).inspect` from
   * `@statelyai/inspect`, or `createJsonlRecorder(...)`) first gets an
   * `@xstate.actor` event for every actor that exists now, parents first,
   * then every inspection event as it happens, until `unsubscribe()`.
   * Inspection roughly halves the tree's event throughput while attached.
   * Throws `KiqNotRunningError` before `start()`, after `stop()` and in
   * sandbox mode (no actor tree). For the whole life of the tree, pass the
   * `inspect` option instead.
   *
   * @example
   * const recorder = createJsonlRecorder('/tmp/kiq-inspect.jsonl');
   * const subscription = kiq.inspect(recorder);
   * // … later
   * subscription.unsubscribe();
   * await recorder.close();
   */
  inspect(observer: InspectOption): Subscription {
    const root = this.#root;
    if (!root || (this.#state !== 'running' && this.#state !== 'stopping')) {
      throw new KiqNotRunningError(
        'inspect',
        this.#sandbox ? 'in sandbox mode (no actor tree to inspect)' : `${this.#state} (inspect works between start() and stop())`,
      );
    }
    return attachInspector(root, observer);
  }

  /**
   * **Deletes every job in this Redis database, not only this app's**: every
   * queue (Ruby Sidekiq's too) and `queues`, every private queue, the
   * schedule, retry and dead sets, unique locks and stat counters; also
   * empties the buffer (and the sandbox); the spool's files are left alone.
   * Live processes' heartbeats and the
   * leader key stay. As Kiq's `clear`; for tests and development only, on a
   * database of their own. Each call logs a `warn` line (`cleared_all`, the
   * number of keys deleted). Resolves with that number.
   *
   * @example
   * afterEach(() => kiq.clearAll()); // a test database only
   */
  async clearAll(): Promise<number> {
    this.#buffer.takeAll();
    this.#sandbox?.clear();
    if (!this.#pool) return 0;
    const deleted = await clearAll(this.#pool.next());
    this.#log('warn', { event: 'cleared_all', keys: deleted });
    return deleted;
  }

  /**
   * The old name of {@link Kiq.clearAll}, which says what it deletes: every
   * job in the database, Ruby Sidekiq's included.
   *
   * @deprecated Use `clearAll()`.
   */
  async clear(): Promise<void> {
    await this.clearAll();
  }

  /**
   * Listen to a process event (`started`, `stopping`, `stopped`, `error`,
   * `push.outage`, `push.restored`, `push.spooled`, `push.replayed`, `quiet`,
   * `leader`) or a job event
   * (`job:started`, `job:success`, `job:aborted`, `job:failure`: the payloads
   * of the `kiq:job:*` diagnostics channels, src/telemetry.ts). Job events
   * arrive in job order, at most one tick late, never inside the job.
   *
   * @example
   * kiq.on('job:failure', ({ class: worker, error, outcome }) => alert(worker, error, outcome));
   */
  on<E extends KiqEventName>(event: E, listener: KiqListener<E>): this {
    this.#events.on(event, listener);
    return this;
  }

  /** Remove a listener added with {@link on}. */
  off<E extends KiqEventName>(event: E, listener: KiqListener<E>): this {
    this.#events.off(event, listener);
    return this;
  }

  /**
   * Stop: shut the tree down in reverse start order (the Flusher writes every
   * buffered job last), then close the connections. Rejects with
   * `UnflushedJobsError` (carrying the jobs) if Redis could not take them.
   */
  stop(options: StopOptions = {}): Promise<void> {
    this.#stopping ??= this.#stop(options.timeout ?? this.#config.shutdownTimeout);
    return this.#stopping;
  }

  async #stop(timeoutMs: number): Promise<void> {
    const wasFailed = this.#state === 'failed';
    this.#state = 'stopping';
    this.#events.emit('stopping', { identity: this.identity });
    // Sidekiq beats quiet "true" while it stops (launcher.rb `@done`)
    if (this.#process) this.#process.state.quiet = true;
    if (this.#durable) this.#durable.stopping = true;
    const root = this.#root;
    if (root && !wasFailed) {
      // queues wait `timeoutMs` for running jobs; requeueing and the final
      // flush get a grace period on top before the tree is cut off
      root.send({ type: 'configure', drainTimeout: timeoutMs });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.#log('warn', { event: 'stop_timeout', timeout_ms: timeoutMs + STOP_GRACE_MS });
          root.stop();
          resolve();
        }, timeoutMs + STOP_GRACE_MS);
        root.subscribe({
          complete: () => {
            clearTimeout(timer);
            resolve();
          },
          error: () => {
            clearTimeout(timer);
            resolve();
          },
        });
        root.send({ type: 'shutdown' });
      });
    }
    // the tree (and its reporters) is down: a late outcome is not reported
    this.#bus?.close();
    // a senator cut off by the stop timeout never said it stepped down
    this.#leadership(false);
    // the last counters; unregister (SREM processes, DEL the hashes) unless
    // the tree failed: its private lists may still hold running jobs, and
    // the liveness lease must lapse before orphan recovery takes them
    await this.#process?.heartbeat.clear({ unregister: !wasFailed });
    // a clean stop leaves nothing to recover
    if (!wasFailed) await this.#process?.liveness.drop().catch(() => undefined);
    await this.#pool?.close();
    // what Redis did not take goes to the spool for the next start
    if (this.#durable?.writable) this.#durable.spoolAll();
    await this.#closeSpool();
    await this.#health.close();
    this.#state = 'stopped';
    this.#events.emit('stopped', { identity: this.identity });
    const left = this.#buffer.takeAll();
    if (left.length > 0 && !this.#sandbox) {
      throw new UnflushedJobsError(left.map((entry) => entry.json));
    }
  }

  /** Stop the pump and close the spool (its lock released); say what it keeps for the next start. */
  async #closeSpool(): Promise<void> {
    const durable = this.#durable;
    if (!durable) return;
    this.#durable = undefined;
    durable.close();
    await durable.spool.close();
    if (durable.spool.backlog) this.#log('warn', { event: 'spool_kept', dir: durable.spool.dir, bytes: durable.spool.bytes, segments: durable.spool.segments });
  }

  #log(level: 'info' | 'warn' | 'error', fields: Record<string, unknown>): void {
    this.#config.logger[level](JSON.stringify({ source: 'kiq', identity: this.identity, ...fields }));
  }
}
