/**
 * The Kiq facade: one instance = one configuration, one set of Redis
 * connections and one actor system; several live side by side in a process
 * without sharing anything (Kiq's global names could not, docs/kiq-elixir.md
 * bug 14). It holds the lifecycle only and delegates: enqueue/flush to the
 * client (src/client/client.ts), the server's process to the Launcher
 * (src/server/process.ts), the actor tree to src/tree.ts, health to
 * src/health/health-kit.ts.
 *
 * 1. `new Kiq(options)` validates every option (throws `KiqConfigError`);
 * 2. `start()` runs the `init` hook, connects to Redis and starts the tree;
 * 3. `enqueue()` works from construction on (jobs wait in the buffer until
 *    the Flusher writes them); 4. `stop()` shuts the tree down in reverse
 *    start order (the Flusher's final flush last), then closes the connections.
 *
 * Layer rule (test/layers/layer-rules.cjs): only the entry points import this
 * file; the client, server and tree below it get what they need as arguments.
 */
import type { Actor, AnyStateMachine, Subscription } from 'xstate';
import { ROOT_ID } from './actor-ids.js';
import { KiqClient } from './client/client.js';
import { KiqClientFacade } from './client/facade.js';
import type { SandboxStore } from './client/sandbox-store.js';
import { applyInit, resolveConfig } from './config/resolve.js';
import type { InspectOption, KiqOptions, ResolvedConfig } from './config/options.js';
import { attachInspector } from './inspect/attach.js';
import { dumpActor, dumpJobs, type KiqDump } from './inspect/dump.js';
import { EscalationError, KiqConfigError, KiqNotRunningError, UnflushedJobsError } from './errors.js';
import { KiqEmitter, kiqLog, type KiqEventName, type KiqListener } from './events.js';
import { HealthKit } from './health/health-kit.js';
import type { HealthReport } from './health/report.js';
import type { KiqState } from './kiq-state.js';
import type { ConnectionPool } from './redis/connections.js';
import { openPool } from './redis/open-pool.js';
import { kBeat, kiqVersion } from './server/heartbeat.js';
import { Launcher } from './server/process.js';
import { kClient, kConfig, kSandbox } from './symbols.js';
import { createTree, shutdownTree } from './tree.js';
import type { Registry } from 'prom-client';

export type { EnqueueArgs, EnqueueResult, Job, PushOptions, PushReceipt } from './client/enqueue-types.js';
export type { KiqState } from './kiq-state.js';

/** Options of {@link Kiq.stop}. */
export interface StopOptions {
  /** Most ms to wait for the tree to shut down; default: the `shutdownTimeout` option. */
  timeout?: number;
}

/**
 * A Kiq instance.
 *
 * @example
 * const kiq = new Kiq({ queues: { default: 10 }, workers: [Mailer] });
 * await kiq.start();
 * await kiq.enqueue(Mailer, ['a@b.c', 1], { in: 30_000 });
 * await kiq.stop();
 */
export class Kiq extends KiqClientFacade {
  readonly #options: KiqOptions;
  #config: ResolvedConfig;
  readonly #events: KiqEmitter;
  readonly #log = kiqLog(() => this.#config);
  /** @internal `enqueue`, `flush`, `buffered`: the Redis sink, or the sandbox in `testMode: 'sandbox'`. */
  protected readonly [kClient]: KiqClient;
  #pool: ConnectionPool | undefined;
  #root: Actor<AnyStateMachine> | undefined;
  /** A server's process (heartbeat, lease, reporters, leadership, signals), between `start()` and `stop()`. */
  #server: Launcher | undefined;
  #state: KiqState = 'new';
  #stopping: Promise<void> | undefined;
  /** `kiq.health()`, the fetch watch, Prometheus metrics and the HTTP endpoints. */
  readonly #health: HealthKit;

  /** Validate `options` (throws `KiqConfigError` naming the bad option). Opens nothing. */
  constructor(options: KiqOptions = {}) {
    super();
    this.#options = options;
    this.#config = resolveConfig(options);
    this.#events = new KiqEmitter(this.#config.logger);
    this[kClient] = new KiqClient({ config: () => this.#config, events: this.#events, log: this.#log, state: () => this.#state });
    this.#health = new HealthKit(this.#config, {
      state: () => this.#state,
      root: () => this.#root,
      pool: () => this.#pool,
      sandbox: this[kClient].sandbox !== undefined,
      buffer: () => this[kClient].depth(),
      leader: () => this.#server?.leading ?? false,
      board: () => this.#server?.problems,
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

  /** @internal */
  get [kSandbox](): SandboxStore | undefined {
    return this[kClient].sandbox;
  }

  /** @internal */
  get [kConfig](): ResolvedConfig {
    return this.#config;
  }

  /** @internal One full heartbeat now, taking a signal (tests; the `beat` ticker beats every 5 s). */
  async [kBeat](): Promise<void> {
    await this.#server?.heartbeat.beat();
  }

  /**
   * Run the `init` hook, connect to Redis (not in sandbox mode) and start the
   * actor tree. Rejects when Redis cannot be reached, naming the URL.
   */
  async start(): Promise<void> {
    if (this.#state !== 'new') throw new KiqNotRunningError('start', this.#state);
    this.#state = 'starting';
    const sink = this[kClient].redis;
    try {
      const before = this.#config;
      this.#config = await applyInit(this.#config, this.#options);
      if (this.#config.testMode !== before.testMode) {
        // jobs enqueued before start() already went to the buffer or the sandbox
        throw new KiqConfigError('testMode', `the value given to the constructor (${before.testMode}); init cannot change it`, this.#config.testMode);
      }
      if (!sink) {
        await this.#health.listen();
        this.#state = 'running';
        this.#events.emit('started', { identity: this.identity });
        return;
      }
      const pool = await openPool(this.#config, kiqVersion());
      this.#pool = pool;
      this[kClient].connect(pool);
      // before the tree: a port in use fails start() with nothing running; until then /readyz says 503
      const prometheus = await this.#health.attach(pool);
      await this.#health.listen();
      await sink.open();
      if (this.#config.server) {
        const control = { quiet: () => this.configure({ quiet: true }), stop: () => this.stop(), dump: () => void this.dump() };
        this.#server = new Launcher({ config: this.#config, pool, events: this.#events, health: this.#health, log: this.#log, state: () => this.#state, control });
        // a generated identity (random nonce) cannot have a predecessor
        await this.#server.begin(this.#options.identity !== undefined || this.#config.identity !== before.identity);
      }
      const server = this.#server?.serverIO(prometheus);
      const root = createTree(this.#config, { client: this[kClient].forTree(), ...(server ? { server } : {}) });
      root.subscribe({ error: (error) => this.#escalated(error) });
      this.#root = root;
      sink.attach(root);
      this.#server?.attach(root);
      root.start();
      // Redis is back: a server beats first, then wakes its loops; a client wakes its Flusher
      pool.onReconnect(() => {
        if (this.#server) void this.#server.redisBack();
        else if (this.#state === 'running') sink.redisReady();
      });
      this.#state = 'running';
      this.#events.emit('started', { identity: this.identity });
    } catch (error) {
      this.#state = 'failed';
      this.#server = undefined;
      await this.#health.close();
      await sink?.closeSpool();
      await this.#pool?.close();
      throw error;
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
      running: dumpJobs(this.#server?.running() ?? []),
      tree: this.#root ? dumpActor(ROOT_ID, this.#root) : null,
    };
    this.#log('info', { event: 'dump', ...dump });
    return dump;
  }

  #escalated(error: unknown): void {
    this.#server?.escalated();
    this.#state = 'failed';
    const message = error instanceof Error ? error.message : String(error);
    this.#events.emit('error', new EscalationError(`kiq gave up: ${message}`, { cause: error }));
  }

  /**
   * Change runtime settings of the running tree; `quiet: true` stops fetching
   * new jobs (running ones finish), `quiet: false` resumes. Remembered across
   * restarts of the queues.
   */
  configure(settings: { quiet?: boolean }): void {
    // the heartbeat writes the real state (Kiq always wrote quiet false, docs/kiq-elixir.md bug 13)
    if (settings.quiet !== undefined && this.#server) this.#server.quiet = settings.quiet;
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
        this[kClient].sandbox ? 'in sandbox mode (no actor tree to inspect)' : `${this.#state} (inspect works between start() and stop())`,
      );
    }
    return attachInspector(root, observer);
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
    if (this.#server) this.#server.quiet = true;
    const sink = this[kClient].redis;
    sink?.stopping();
    const root = this.#root;
    if (root && !wasFailed) await shutdownTree(root, timeoutMs, (afterMs) => this.#log('warn', { event: 'stop_timeout', timeout_ms: afterMs }));
    await this.#server?.stop(!wasFailed);
    await this.#pool?.close();
    await sink?.close();
    await this.#health.close();
    this.#state = 'stopped';
    this.#events.emit('stopped', { identity: this.identity });
    const left = sink?.takeUnflushed() ?? [];
    if (left.length > 0) throw new UnflushedJobsError(left);
  }
}
