/**
 * @internal
 * The Launcher of a server (as Sidekiq's `Sidekiq::Launcher`): everything
 * a Kiq server is besides its actor tree. It holds the process state
 * (running jobs, counters, quiet flag), writes the heartbeat
 * (src/server/heartbeat.ts) and the liveness lease, feeds the reporters
 * through the {@link ReporterBus}, follows leadership, acts on the signals
 * of `<identity>-signals` (TSTP, TERM, TTIN) and tells the tree when Redis is
 * back. The facade (src/kiq.ts) creates one at `start()` when `server` is on.
 */
import type { AnyActorRef } from 'xstate';
import { FLUSHER_ID, queueId, RECONCILER_ID, SENATOR_ID } from '../actor-ids.js';
import type { ResolvedConfig } from '../config/options.js';
import { KiqNotRunningError } from '../errors.js';
import type { KiqEmitter, KiqLog } from '../events.js';
import type { HealthKit } from '../health/health-kit.js';
import type { KiqState } from '../kiq-state.js';
import type { ConnectionPool } from '../redis/connections.js';
import type { ProblemBoard } from '../redis/outage-log.js';
import { redactUrl } from '../redis/redact-url.js';
import { describeRedisError } from '../redis/redis-error.js';
import { ReporterBus } from '../reporters/bus.js';
import { reporterTargets } from '../reporters/supervisor.js';
import type { ServerIO } from '../tree.js';
import { Heartbeat } from './heartbeat.js';
import { combineHooks, type JobHooks } from '../job-events.js';
import { Liveness } from './liveness.js';
import { ExecutionMetrics } from './metrics/execution-metrics.js';
import { MetricsFlusher } from './metrics/metrics-flusher.js';
import { takeBackOwn } from './ops/index.js';
import { ProcessState, type RunningJob } from './process-state.js';
import { leaderGate } from './senator.js';

/** What the Launcher needs from its instance. */
export interface LauncherDeps {
  /** The configuration after the `init` hook. */
  readonly config: ResolvedConfig;
  readonly pool: ConnectionPool;
  readonly events: KiqEmitter;
  readonly health: HealthKit;
  readonly log: KiqLog;
  /** The instance's lifecycle state. */
  readonly state: () => KiqState;
  /** What the signals do to the instance: TSTP quiets it, TERM stops it, TTIN dumps it. */
  readonly control: { quiet(): void; stop(): Promise<void>; dump(): void };
}

/** A server's process: state, heartbeat, lease, reporters, leadership and signals. */
export class Launcher {
  readonly heartbeat: Heartbeat;
  readonly liveness: Liveness;
  readonly #state: ProcessState;
  readonly #metrics: ExecutionMetrics | undefined;
  readonly #deps: LauncherDeps;
  #bus: ReporterBus | undefined;
  #root: AnyActorRef | undefined;
  /** Last leadership announced on the `leader` event. */
  #leading = false;
  #redisBackPending = false;
  /** A connection came back while {@link redisBack} ran: run it once more (that one's beat may be the first to succeed). */
  #redisBackAgain = false;

  constructor(deps: LauncherDeps) {
    this.#deps = deps;
    const { config, pool } = deps;
    this.#state = new ProcessState(config.clock);
    this.#state.quiet = config.quiet;
    this.#metrics = config.metrics ? new ExecutionMetrics() : undefined;
    this.heartbeat = new Heartbeat({
      redis: () => pool.next(),
      identity: config.identity,
      tag: config.tag,
      queues: config.queues,
      clock: config.clock,
      logger: config.logger,
      state: this.#state,
      onSignal: (signal) => this.#signal(signal),
      // the beat written by start() itself says nothing: the tree is not up yet
      health: () => (deps.state() === 'starting' ? undefined : deps.health.monitor.judge()),
      ...(this.#metrics ? { metrics: new MetricsFlusher(this.#metrics, config.logger) } : {}),
    });
    this.liveness = new Liveness(pool, config.identity, config.livenessTtl, config.clock);
  }

  /** Does this process lead now (as last announced)? */
  get leading(): boolean {
    return this.#leading;
  }

  /** The quiet flag the heartbeat writes (Kiq always wrote quiet false, docs/kiq-elixir.md bug 13). */
  set quiet(quiet: boolean) {
    this.#state.quiet = quiet;
  }

  /** Where the server's loops post failures that need an operator (the heartbeat's `kiq_errors`). */
  get problems(): ProblemBoard {
    return this.#state.problems;
  }

  /** The jobs running now. */
  running(): readonly RunningJob[] {
    return this.#state.running();
  }

  /**
   * Before the tree: beat before the queues fetch anything (a private list
   * whose owner has no heartbeat yet would look orphaned to other processes:
   * Kiq's Necromancer race, docs/kiq-elixir.md bug 18), so the process is
   * listed at once; signals wait for the first ticked beat. Then the
   * liveness lease, and with `takeBack` the private lists a predecessor of
   * the same identity left. Rejects only when the heartbeat cannot be written.
   */
  async begin(takeBack: boolean): Promise<void> {
    const { config, pool, log } = this.#deps;
    await this.heartbeat.beat({ popSignal: false }).catch((error: unknown) => {
      const info = describeRedisError(error);
      throw new KiqNotRunningError('start', `unable to write the heartbeat to Redis at ${redactUrl(config.redisUrl)}: ${info.message} (${info.cause})`, { cause: error });
    });
    // the same for the liveness lease, which decides for Kiq servers. Not
    // fatal: without a lease this process is judged by its heartbeat hash
    // (60 s), as a non-Kiq process is, so none of its jobs is taken early;
    // the liveness ticker retries and logs the outage
    await this.liveness.renew().catch((error: unknown) => {
      const info = describeRedisError(error);
      log(info.permanent ? 'error' : 'warn', { event: 'liveness_failed', error: info.message, cause: info.cause });
    });
    if (takeBack) await this.#takeBack(pool);
  }

  /** The server half of the tree's IO (src/tree.ts); `prometheus` observes jobs too when enabled. */
  serverIO(prometheus: JobHooks | undefined): ServerIO {
    const { config, events, pool, health } = this.#deps;
    // reporters: the bus looks them up in this tree's system at every send (refs change on restart)
    const bus = new ReporterBus({ system: () => this.#root?.system, targets: reporterTargets(config, { emitter: events }), logger: config.logger });
    this.#bus = bus;
    const observers = [this.#state, bus, ...(this.#metrics ? [this.#metrics] : []), ...(prometheus ? [prometheus] : [])];
    return {
      pool,
      hooks: combineHooks(observers),
      beat: this.heartbeat.tick(),
      emitter: events,
      // read at call time through the system: a restarted senator is a new actor
      leader: leaderGate(() => this.#root?.system, config.clock),
      onLeadership: (leading) => this.#leadership(leading),
      board: this.#state.problems,
      liveness: this.liveness,
      watch: health.watch,
    };
  }

  /** The tree is created: signals, reporters and reconnects reach it from now on. */
  attach(root: AnyActorRef): void {
    this.#root = root;
  }

  /**
   * A connection came back after an outage: the heartbeat may have been
   * lost with Redis (a restart without persistence), and the IO loops may be
   * waiting out a backoff. Beat first (fetching refuses to run without a
   * heartbeat), then wake the Flusher, the senator, the reconciler and the
   * queues, then renew the liveness lease. A connection that comes back
   * meanwhile runs this once more afterwards: the first beat may have gone
   * to a connection not yet ready, and every reconnect must reach the
   * reconciler.
   */
  async redisBack(): Promise<void> {
    if (this.#deps.state() !== 'running') return;
    if (this.#redisBackPending) {
      this.#redisBackAgain = true;
      return;
    }
    this.#redisBackPending = true;
    try {
      // renewals before the outage no longer prove that others could renew
      this.liveness.reconnected();
      await this.heartbeat.beat().catch(() => undefined);
      const system = this.#root?.system;
      system?.get(FLUSHER_ID)?.send({ type: 'redis.ready' });
      system?.get(SENATOR_ID)?.send({ type: 'redis.ready' });
      // a reply lost with the connection may have stranded fetched jobs in a private list
      system?.get(RECONCILER_ID)?.send({ type: 'redis.ready' });
      for (const name of Object.keys(this.#deps.config.queues)) system?.get(queueId(name))?.send({ type: 'redis.ready' });
      await this.liveness.renew().catch(() => undefined);
    } finally {
      this.#redisBackPending = false;
      if (this.#redisBackAgain) {
        this.#redisBackAgain = false;
        void this.redisBack();
      }
    }
  }

  /** The tree escalated: the lease is no longer renewed. */
  escalated(): void {
    this.#leadership(false);
  }

  /**
   * The tree is down (`clean`: it shut down, rather than failed): close the
   * bus (a late outcome is not reported), step down, write the last counters
   * and unregister (SREM processes, DEL the hashes) unless the tree failed:
   * its private lists may still hold running jobs, and the liveness lease
   * must lapse before orphan recovery takes them.
   */
  async stop(clean: boolean): Promise<void> {
    this.#bus?.close();
    // a senator cut off by the stop timeout never said it stepped down
    this.#leadership(false);
    await this.heartbeat.clear({ unregister: clean });
    // a clean stop leaves nothing to recover
    if (clean) await this.liveness.drop().catch(() => undefined);
  }

  /** Announce a leadership change once (`leader` event); a restarted senator re-announces. */
  #leadership(leading: boolean): void {
    if (leading === this.#leading) return;
    this.#leading = leading;
    this.#deps.events.emit('leader', { identity: this.#deps.config.identity, leader: leading });
  }

  /**
   * Before fetching: whatever this identity's private lists hold was left
   * by a predecessor with the same identity (a configured one: a pod name, a
   * fixed hostname) that crashed; this process is their only live owner, so
   * it puts them back on their queues now. A failure is logged, not fatal:
   * the reconciler puts back its configured queues' lists within seconds.
   */
  async #takeBack(pool: ConnectionPool): Promise<void> {
    const { config, log } = this.#deps;
    try {
      const { requeued, dead } = await takeBackOwn(pool.next(), config.identity, config.clock.realMs() / 1000);
      if (requeued + dead > 0) log('warn', { event: 'private_taken_back', requeued, dead });
    } catch (error) {
      log('warn', { event: 'take_back_failed', error: String(error) });
    }
  }

  /**
   * A signal from `<identity>-signals`, as the Web UI's Quiet / Stop buttons
   * and `Sidekiq::Process#quiet!` / `#stop!` / `#dump_threads` send them
   * (docs/sidekiq-contract.md §6.5): act as Sidekiq does on the OS signal.
   */
  #signal(signal: string): void {
    const { control, events, log } = this.#deps;
    log('info', { event: 'signal_received', signal });
    switch (signal) {
      case 'TSTP': // quiet: fetch nothing new, finish what runs, beat quiet "true"
        control.quiet();
        return;
      case 'TERM': // graceful stop, as `stop()`
        control.stop().catch((error: unknown) => events.emit('error', error instanceof Error ? error : new Error(String(error))));
        return;
      case 'TTIN': // Sidekiq logs thread backtraces; we log running jobs and the actor tree
        control.dump();
        return;
      default:
        log('warn', { event: 'signal_ignored', signal });
    }
  }
}
