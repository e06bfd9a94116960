/**
 * @internal
 * Assembles the actor tree of one Kiq instance from its configuration: the
 * root one-for-one supervisor and its child specs, in start order (docs/architecture.md
 * §3). Shutdown runs in reverse: queues drain and requeue first, the
 * Flusher's final flush comes last. Children are bound to their IO here with
 * `.provide()`; machines/ stays pure.
 */
import { createActor, type Actor, type AnyActorLogic, type AnyStateMachine } from 'xstate';
import type { ChildSpec } from '../machines/child-spec.js';
import { flusherMachine } from '../machines/flusher.js';
import { createSupervisor } from '../machines/supervisor.js';
import { tickerMachine } from '../machines/ticker.js';
import { BEAT_ID, FLUSHER_ID, LIVENESS_ID, PERIODIC_ID, pollerId, queueId, RECONCILER_ID, RESURRECTOR_ID, ROOT_ID, SENATOR_ID } from './actor-ids.js';
import type { TreeClient } from './client/client.js';
import { MAX_TIMER_MS } from './config/index.js';
import type { ResolvedConfig } from './config/options.js';
import { isTimerClock } from './simulated-clock.js';
import type { KiqEmitter } from './events.js';
import type { ConnectionPool } from './redis/connections.js';
import type { FetchWatch } from './health/fetch-watch.js';
import type { ProblemBoard } from './redis/outage-log.js';
import { schedulePeriodic } from './periodic/schedule.js';
import { periodicTick } from './periodic/tick.js';
import { reportersSpec } from './reporters/supervisor.js';
import { HeldJobs } from './server/held-jobs.js';
import type { JobHooks } from './job-events.js';
import { HEARTBEAT_EVERY_MS } from './server/heartbeat.js';
import type { Liveness } from './server/liveness.js';
import { queueLogic } from './server/queue-logic.js';
import { Reconciler } from './server/reconciler.js';
import { senatorLogic, type LeaderGate } from './server/senator.js';
import { MAX_LEVEL } from './server/job-pace.js';
import { ERROR_DELAY_MS, jittered, livenessTick, pollTick, reconcileTick, resurrectTick } from './server/tickers.js';
import type { Worker } from './worker.js';

/** The server half of a tree's IO, built by the Launcher (src/server/process.ts). */
export interface ServerIO {
  /** Redis connections of the server's loops. */
  readonly pool: ConnectionPool;
  /** Told when jobs start and finish (process state, reporter bus, metrics). */
  readonly hooks: JobHooks;
  /** The `beat` ticker's tick (src/server/heartbeat.ts). */
  readonly beat: AnyActorLogic;
  /**
   * The facade's emitter, for the `reporters` subtree: `kiq.on('job:…')`
   * events and the `error` of a disabled reporter. The reporters get events
   * only through a `ReporterBus` among the `hooks` (built from the same
   * config, so with the same systemIds).
   */
  readonly emitter: KiqEmitter;
  /** Whether this process leads now (src/server/senator.ts); leader-only work asks it before each run. */
  readonly leader: LeaderGate;
  /** Told when this process becomes the leader or stops being it (the `leader` event). */
  onLeadership(leader: boolean): void;
  /** Where the server's loops post failures that need an operator (the heartbeat's `kiq_errors`). */
  readonly board: ProblemBoard;
  /** This server's liveness lease (the Launcher writes the first renewal before start). */
  readonly liveness: Liveness;
  /** Told of every queue fetch call's result (`kiq.health()`). */
  readonly watch: FetchWatch;
}

/** The IO a tree needs: the client's (always) and the server's (when `server` is on). */
export interface TreeIO {
  /** The Flusher's writes and the periodic enqueue (src/client/client.ts). */
  readonly client: TreeClient;
  /** Absent: a client-only tree, the Flusher alone. */
  readonly server?: ServerIO;
}

/** How long the senator may take to resign on shutdown (an in-flight claim, then one compare-and-delete), ms. */
const SENATOR_SHUTDOWN_MS = 5_000;

/** Leader election on `dear-leader` (machines/senator.ts); stopped late, so leadership lasts until the leader-gated children are down. */
function senator(config: ResolvedConfig, { pool, board, onLeadership }: ServerIO): ChildSpec {
  return {
    id: SENATOR_ID,
    systemId: SENATOR_ID,
    logic: senatorLogic({ pool, clock: config.clock, logger: config.logger, board }, (change) => onLeadership(change.leader)),
    input: { identity: config.identity, ttl: config.leaderTtl },
    restart: 'permanent',
    shutdown: SENATOR_SHUTDOWN_MS,
  };
}

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
function serverChildren(config: ResolvedConfig, client: TreeClient, { pool, hooks, beat, emitter, leader, board, liveness, watch }: ServerIO): ChildSpec[] {
  const deps = { pool, clock: config.clock, identity: config.identity, logger: config.logger, timestamps: config.timestamps, leader, board };
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
    // the Launcher wrote the first beat before start: the next one is due in 5 s
    ticker(BEAT_ID, beat, HEARTBEAT_EVERY_MS),
    ticker(LIVENESS_ID, livenessTick(liveness, deps), liveness.renewEveryMs),
    // every server, not only the leader (a dead leader must not delay
    // recovery), and at once at start: in a crash loop a server may not live
    // through its first interval
    ticker(RESURRECTOR_ID, resurrectTick(liveness, deps), 0),
    // cron: every server follows the schedule, only the leader enqueues (src/periodic/tick.ts)
    ...(config.periodics.length > 0
      ? [
          ticker(
            PERIODIC_ID,
            periodicTick({
              ...deps,
              entries: config.periodics.map(schedulePeriodic),
              isLeader: () => leader.isLeader(),
              enqueue: (entry) => client.enqueuePeriodic(entry),
            }),
            0,
          ),
        ]
      : []),
    // reporters start before anything that runs jobs and stop after it
    reportersSpec(config, { logger: config.logger, emitter }),
    ...config.schedulers.map((set) => ticker(pollerId(set), pollTick(set, config.pollInterval, deps, { deadLimit: config.deadLimit, deadTimeoutMs: config.deadTimeout }), jittered(config.pollInterval))),
    // stops after the queues, whose shutdown requeue takes everything back anyway
    ticker(RECONCILER_ID, reconcileTick(reconciler, deps), jittered(RECONCILE_FIRST_MS)),
    ...Object.entries(config.queues).map(
      ([name, limit]): ChildSpec => ({
        id: queueId(name),
        systemId: queueId(name),
        logic: queueLogic(name, { config, pool, workers, held, hooks, board, watch }),
        input: {
          name,
          limit,
          // up to MAX_LEVEL times as many again while the jobs are quick (src/server/job-pace.ts)
          prefetch: config.prefetch ? limit * MAX_LEVEL : 0,
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

/** Build the root supervisor for `config`: the Flusher, then with `io.server` the senator and the server's children. */
export function buildTree(config: ResolvedConfig, io: TreeIO) {
  const children: ChildSpec[] = [
    {
      id: FLUSHER_ID,
      systemId: FLUSHER_ID,
      logic: flusherMachine.provide({ actors: { io: io.client.flush as never } }),
      input: { interval: config.flushInterval, maxInterval: config.flushMaxInterval },
      restart: 'permanent',
      // the final flush may retry until stop()'s timeout
      shutdown: MAX_TIMER_MS,
    },
    ...(io.server ? [senator(config, io.server), ...serverChildren(config, io.client, io.server)] : []),
  ];
  return createSupervisor({
    id: ROOT_ID,
    children,
    maxRestarts: config.maxRestarts,
    maxSeconds: config.restartWindow / 1000,
    now: () => config.clock.monoMs(),
  });
}

/**
 * The root actor of `config`'s tree, created, not started. The root's
 * config reaches every configurable child, so `quiet: true` starts quiet. A
 * clock that can also schedule timers (kiq/testing's HarnessClock, a
 * wrapped xstate SimulatedClock) drives every `after` delay of the tree, so
 * simulated time moves pollers, beats, leases and backoffs too.
 */
export function createTree(config: ResolvedConfig, io: TreeIO): Actor<AnyStateMachine> {
  return createActor(buildTree(config, io), {
    id: ROOT_ID,
    systemId: ROOT_ID,
    input: { quiet: config.quiet },
    ...(config.inspect ? { inspect: config.inspect } : {}),
    ...(isTimerClock(config.clock) ? { clock: config.clock } : {}),
  });
}

/** Time a shutdown allows on top of the queues' drain for requeueing and the final flush, ms. */
export const STOP_GRACE_MS = 10_000;

/**
 * Shut `root` down in reverse start order: queues wait `timeoutMs` for
 * running jobs; requeueing and the final flush get {@link STOP_GRACE_MS} on
 * top before the tree is cut off (`onTimeout` is told first). Resolves when
 * the tree is down.
 */
export function shutdownTree(root: Actor<AnyStateMachine>, timeoutMs: number, onTimeout: (afterMs: number) => void): Promise<void> {
  root.send({ type: 'configure', drainTimeout: timeoutMs });
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      onTimeout(timeoutMs + STOP_GRACE_MS);
      root.stop();
      resolve();
    }, timeoutMs + STOP_GRACE_MS);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    root.subscribe({ complete: done, error: done });
    root.send({ type: 'shutdown' });
  });
}
