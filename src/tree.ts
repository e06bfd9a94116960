/**
 * @internal
 * Assembles the actor tree of one Kiq instance from its configuration: the
 * root one-for-one supervisor and its child specs, in start order (docs/architecture.md
 * §3). Shutdown runs in reverse: queues drain and requeue first, the
 * Flusher's final flush comes last. Children are bound to their IO here with
 * `.provide()`; machines/ stays pure.
 */
import type { AnyActorLogic } from 'xstate';
import type { ChildSpec } from '../machines/child-spec.js';
import { flusherMachine } from '../machines/flusher.js';
import { createSupervisor } from '../machines/supervisor.js';
import { tickerMachine } from '../machines/ticker.js';
import { MAX_TIMER_MS } from './config/index.js';
import type { ResolvedConfig } from './config/options.js';
import type { KiqEmitter } from './events.js';
import type { ConnectionPool } from './redis/connections.js';
import type { FetchWatch } from './health/fetch-watch.js';
import type { ProblemBoard } from './redis/outage-log.js';
import { schedulePeriodic } from './periodic/schedule.js';
import { periodicTick, type PeriodicEnqueue } from './periodic/tick.js';
import { reportersSpec } from './reporters/supervisor.js';
import { HeldJobs } from './server/held-jobs.js';
import type { JobHooks } from './job-events.js';
import { Liveness } from './server/liveness.js';
import { queueLogic } from './server/queue-logic.js';
import { Reconciler } from './server/reconciler.js';
import { SENATOR_ID, senatorLogic, type LeaderGate } from './server/senator.js';
import { BEAT_EVERY_MS, beatTick, ERROR_DELAY_MS, jittered, livenessTick, pollTick, reconcileTick, resurrectTick } from './server/tickers.js';
import type { Worker } from './worker.js';

/** The IO a tree needs, built by the facade. */
export interface TreeIO {
  /** The Flusher's `flush` actor (reliable push). */
  readonly flush: AnyActorLogic;
  /** Redis connections; absent for a client-only tree. */
  readonly pool?: ConnectionPool;
  /** Told when jobs start and finish (heartbeat state, reporter bus). */
  readonly hooks?: JobHooks;
  /** The `beat` ticker's tick (src/server/heartbeat.ts); default: the minimal liveness beat. */
  readonly beat?: AnyActorLogic;
  /**
   * The facade's emitter, for the `reporters` subtree: `kiq.on('job:…')`
   * events and the `error` of a disabled reporter. The reporters get events
   * only through a `ReporterBus` among the `hooks` (built from the same
   * config, so with the same systemIds).
   */
  readonly emitter?: KiqEmitter;
  /** Whether this process leads now (src/server/senator.ts); leader-only work asks it before each run. */
  readonly leader?: LeaderGate;
  /** Told when this process becomes the leader or stops being it (the facade's `leader` event). */
  readonly onLeadership?: (leader: boolean) => void;
  /** Enqueues one occurrence of a periodic entry (the facade's `kiq.enqueue`); absent: no `periodic` child. */
  readonly enqueuePeriodic?: PeriodicEnqueue;
  /** Where the server's loops post failures that need an operator (the heartbeat's `kiq_errors`). */
  readonly board?: ProblemBoard;
  /** This server's liveness lease (the facade writes the first renewal before start); default: a new one. */
  readonly liveness?: Liveness;
  /** Told of every queue fetch call's result (`kiq.health()`). */
  readonly watch?: FetchWatch;
}

/** How long the senator may take to resign on shutdown (an in-flight claim, then one compare-and-delete), ms. */
const SENATOR_SHUTDOWN_MS = 5_000;

/** Leader election on `dear-leader` (machines/senator.ts); stopped late, so leadership lasts until the leader-gated children are down. */
function senator(config: ResolvedConfig, pool: ConnectionPool, onLeadership: TreeIO['onLeadership'], board: TreeIO['board']): ChildSpec {
  return {
    id: SENATOR_ID,
    systemId: SENATOR_ID,
    logic: senatorLogic({ pool, clock: config.clock, logger: config.logger, ...(board ? { board } : {}) }, onLeadership && ((change) => onLeadership(change.leader))),
    input: { identity: config.identity, ttl: config.leaderTtl },
    restart: 'permanent',
    shutdown: SENATOR_SHUTDOWN_MS,
  };
}

/** System id of the private-list reconciler's ticker (the facade wakes it on reconnect). */
export const RECONCILER_ID = 'reconciler';
/** Average wait before the reconciler's first pass, ms. */
const RECONCILE_FIRST_MS = 1_000;

/** How long a ticker may take to finish its current tick on shutdown, ms. */
const TICKER_SHUTDOWN_MS = 5_000;

function ticker(id: string, tick: AnyActorLogic, firstDelay: number): ChildSpec {
  return {
    id,
    systemId: id,
    logic: tickerMachine.provide({ actors: { tick: tick as never } }),
    input: { firstDelay, retryDelay: ERROR_DELAY_MS },
    shutdown: TICKER_SHUTDOWN_MS,
  };
}

/**
 * The server's children after the senator: heartbeat, liveness lease,
 * resurrector, periodic, reporters, pollers, the reconciler, then one queue
 * per configured queue.
 */
function serverChildren(
  config: ResolvedConfig,
  pool: ConnectionPool,
  { hooks, beat, emitter, leader, enqueuePeriodic, board, liveness: given, watch }: Pick<TreeIO, 'hooks' | 'beat' | 'emitter' | 'leader' | 'enqueuePeriodic' | 'board' | 'liveness' | 'watch'>,
): ChildSpec[] {
  const liveness = given ?? new Liveness(pool, config.identity, config.livenessTtl, config.clock);
  const deps = { pool, clock: config.clock, identity: config.identity, logger: config.logger, timestamps: config.timestamps, ...(leader ? { leader } : {}), ...(board ? { board } : {}) };
  const workers = new Map<string, Worker>(config.workers.map((worker) => [worker.class, worker]));
  // what the queues hold of the private lists; the reconciler puts back the rest
  const held = new HeldJobs();
  const reconciler = new Reconciler({
    pool,
    identity: config.identity,
    queues: Object.keys(config.queues),
    held,
    logger: config.logger,
    monoMs: () => config.clock.monoMs(),
  });
  return [
    // the facade wrote the first beat before start: the next one is due in 5 s
    ticker('beat', beat ?? beatTick(deps), BEAT_EVERY_MS),
    ticker('liveness', livenessTick(liveness, deps), liveness.renewEveryMs),
    // every server, not only the leader (a dead leader must not delay
    // recovery), and at once at start: in a crash loop a server may not live
    // through its first interval
    ticker('resurrector', resurrectTick(liveness, deps), 0),
    // cron: every server follows the schedule, only the leader enqueues (src/periodic/tick.ts)
    ...(config.periodics.length > 0 && enqueuePeriodic
      ? [
          ticker(
            'periodic',
            periodicTick({
              ...deps,
              entries: config.periodics.map(schedulePeriodic),
              isLeader: () => leader?.isLeader() ?? false,
              enqueue: enqueuePeriodic,
            }),
            0,
          ),
        ]
      : []),
    // reporters start before anything that runs jobs and stop after it
    reportersSpec(config, { logger: config.logger, ...(emitter ? { emitter } : {}) }),
    ...config.schedulers.map((set) => ticker(`poller:${set}`, pollTick(set, config.pollInterval, deps, { deadLimit: config.deadLimit, deadTimeoutMs: config.deadTimeout }), jittered(config.pollInterval))),
    // stops after the queues, whose shutdown requeue takes everything back anyway
    ticker(RECONCILER_ID, reconcileTick(reconciler, deps), jittered(RECONCILE_FIRST_MS)),
    ...Object.entries(config.queues).map(
      ([name, limit]): ChildSpec => ({
        id: `queue:${name}`,
        systemId: `queue:${name}`,
        logic: queueLogic(name, { config, pool, workers, held, ...(hooks ? { hooks } : {}), ...(board ? { board } : {}), ...(watch ? { watch } : {}) }),
        input: {
          name,
          limit,
          drainTimeout: config.shutdownTimeout,
          blockMs: config.fetchInterval,
          backoffMs: 50,
          maxBackoffMs: 2_000,
          restartDelay: 1_000,
        },
        configurable: true,
        // the queue bounds its own drain (drainTimeout); stop() bounds the whole
        shutdown: MAX_TIMER_MS,
      }),
    ),
  ];
}

/** Build the root supervisor for `config`. */
export function buildTree(config: ResolvedConfig, io: TreeIO) {
  const children: ChildSpec[] = [
    {
      id: 'flusher',
      systemId: 'flusher',
      logic: flusherMachine.provide({ actors: { flush: io.flush as never } }),
      input: { interval: config.flushInterval, maxInterval: config.flushMaxInterval },
      restart: 'permanent',
      // the final flush may retry until stop()'s timeout
      shutdown: MAX_TIMER_MS,
    },
    ...(config.server && io.pool ? [senator(config, io.pool, io.onLeadership, io.board), ...serverChildren(config, io.pool, io)] : []),
  ];
  return createSupervisor({
    id: 'kiq',
    children,
    maxRestarts: config.maxRestarts,
    maxSeconds: config.restartWindow / 1000,
    now: () => config.clock.monoMs(),
  });
}
