/**
 * @internal
 * Everything health and metrics of one Kiq instance in one place, so the
 * facade (src/kiq.ts) only calls in: the {@link FetchWatch} the queues
 * feed, the {@link HealthMonitor} behind `kiq.health()`, the optional
 * {@link PrometheusMetrics} (a job observer) and the HTTP endpoints.
 */
import type { AnyActorRef } from 'xstate';
import { queueView } from '../../machines/queue-view.js';
import type { ResolvedConfig } from '../config/options.js';
import { logEvent } from '../logger.js';
import type { ConnectionPool } from '../redis/connections.js';
import type { ProblemBoard } from '../redis/outage-log.js';
import type { JobHooks } from '../job-events.js';
import { queueId } from '../actor-ids.js';
import { ClusterSampler } from './cluster-sampler.js';
import { FetchWatch } from './fetch-watch.js';
import { listenHealth, type HealthServer } from './http-server.js';
import { HealthMonitor } from './monitor.js';
import type { PrometheusMetrics } from './prometheus.js';
import type { HealthReport } from './report.js';

/** What the kit reads from the facade, at call time. */
export interface HealthHost {
  state(): string;
  root(): AnyActorRef | undefined;
  pool(): ConnectionPool | undefined;
  /** Sandbox mode: no Redis to check. */
  readonly sandbox: boolean;
  buffer(): { depth: number; oldestAgeMs: number };
  leader(): boolean;
  board(): ProblemBoard | undefined;
}

/** The running jobs of queue `name` per its actor (0 before the tree runs). */
function queueBusy(root: AnyActorRef | undefined, name: string): number {
  return queueView(root?.system.get(queueId(name)))?.running ?? 0;
}

/** Health and metrics of one instance. */
export class HealthKit {
  readonly watch: FetchWatch;
  readonly monitor: HealthMonitor;
  readonly #config: ResolvedConfig;
  readonly #host: HealthHost;
  #prometheus: PrometheusMetrics | undefined;
  #server: HealthServer | undefined;

  constructor(config: ResolvedConfig, host: HealthHost) {
    this.#config = config;
    this.#host = host;
    this.watch = new FetchWatch(config.clock);
    const queues = config.server ? config.queues : {};
    this.monitor = new HealthMonitor({
      identity: config.identity,
      clock: config.clock,
      thresholds: config.health,
      restartWindowMs: config.restartWindow,
      queues,
      state: () => host.state(),
      root: () => host.root(),
      ping: () => {
        if (host.sandbox) return Promise.resolve('PONG');
        const pool = host.pool();
        return pool ? pool.next().ping() : Promise.reject(new Error('not connected to Redis (start() has not run)'));
      },
      watch: this.watch,
      get board() {
        return host.board();
      },
      buffer: () => host.buffer(),
      leader: () => host.leader(),
    });
  }

  /** The Prometheus metrics, when enabled (`health.prometheus`, or a `health.port`). */
  get prometheus(): PrometheusMetrics | undefined {
    return this.#prometheus;
  }

  /**
   * Connected: build the Prometheus metrics (if enabled); resolves with
   * their job observer. prom-client (~30 ms to load) is imported only here,
   * so an instance without metrics never loads it.
   */
  async attach(pool: ConnectionPool): Promise<JobHooks | undefined> {
    if (!this.#config.health.prometheus) return undefined;
    const { PrometheusMetrics } = await import('./prometheus.js');
    const queues = this.#config.server ? Object.keys(this.#config.queues) : [];
    const metrics = new PrometheusMetrics({
      busy: () => Object.fromEntries(queues.map((name) => [name, queueBusy(this.#host.root(), name)])),
      buffered: () => this.#host.buffer().depth,
      leader: () => this.#host.leader(),
      watch: this.watch,
      sampler: new ClusterSampler(() => pool.next(), this.#config.clock, this.#config.health.sampleMs),
    });
    pool.onReconnect(() => metrics.reconnected());
    this.#prometheus = metrics;
    return metrics;
  }

  /** Serve the endpoints when a `health.port` is configured; rejects when the port cannot be bound. */
  async listen(): Promise<void> {
    const { port, host } = this.#config.health;
    if (port === undefined) return;
    this.#server = await listenHealth(host, port, {
      logger: this.#config.logger,
      report: () => this.monitor.report(),
      ready: () => this.ready(),
      metrics: async () => {
        const registry = this.#prometheus?.registry;
        if (registry === undefined) return undefined;
        return { body: await registry.metrics(), contentType: registry.contentType };
      },
    });
    logEvent(this.#config.logger, 'info', 'health_listening', { host, port: this.#server.port });
  }

  /** The port the endpoints listen on, once listening. */
  get port(): number | undefined {
    return this.#server?.port;
  }

  /** Readiness: started and Redis answers. */
  async ready(): Promise<{ ready: boolean; reasons: string[] }> {
    const reasons: string[] = [];
    const state = this.#host.state();
    if (state !== 'running') reasons.push(`the instance is ${state}`);
    if (!(await this.monitor.redisReachable())) reasons.push('Redis does not answer PING');
    return { ready: reasons.length === 0, reasons };
  }

  /** The report of `kiq.health()`. */
  report(): Promise<HealthReport> {
    return this.monitor.report();
  }

  /** Stop serving. */
  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    await server?.close();
  }
}
