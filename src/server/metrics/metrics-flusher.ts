/**
 * @internal
 * Sends the in-memory execution metrics to Redis once per heartbeat and at
 * stop (src/server/heartbeat.ts calls {@link MetricsFlusher.flush}). Unlike
 * Sidekiq 7.3, which flushes only on `:beat` and so loses the last interval
 * at shutdown, the final flush runs after the last job has settled.
 */
import type { Redis } from 'ioredis';
import { systemClock, type Clock } from '../../clock.js';
import { logEvent, type Logger } from '../../logger.js';
import { OutageLog } from '../../redis/outage-log.js';
import type { ExecutionMetrics } from './execution-metrics.js';
import { MetricsCommandError, writeMetrics } from './write-metrics.js';

/** Writes what an {@link ExecutionMetrics} gathered; never rejects. */
export class MetricsFlusher {
  readonly #metrics: ExecutionMetrics;
  readonly #logger: Logger;
  readonly #outage: OutageLog;

  /** @param clock monotonic time for the outage log's repeats (default: the process clock) */
  constructor(metrics: ExecutionMetrics, logger: Logger, clock: Pick<Clock, 'monoMs'> = systemClock) {
    this.#metrics = metrics;
    this.#logger = logger;
    this.#outage = new OutageLog('metrics', { logger, clock });
  }

  /**
   * Writes the totals gathered since the last flush, keyed by `nowMs`.
   * When the transaction did not run (an outage) they are put back and go
   * out with the next flush; when it ran with a failed command (a metrics key
   * someone overwrote with another type) the rest took effect and they are
   * dropped, since a retry would add them twice. Either failure is logged
   * as an outage ({@link OutageLog}: `metrics_failed`, then
   * `metrics_restored`); `final`: always, with the totals lost.
   */
  async flush(redis: Redis, nowMs: number, options: { final?: boolean } = {}): Promise<void> {
    if (this.#metrics.empty) return;
    const snapshot = this.#metrics.take();
    try {
      await writeMetrics(redis, snapshot, nowMs);
      this.#outage.restored('metrics_restored');
    } catch (error) {
      const ran = error instanceof MetricsCommandError;
      if (!ran && !options.final) this.#metrics.restore(snapshot);
      const unwritten = options.final || ran ? { unwritten: Object.fromEntries([...snapshot].map(([name, m]) => [name, { p: m.processed, f: m.failed }])) } : {};
      // the last flush: nothing follows, so what is lost is said whatever the outage state
      if (options.final) logEvent(this.#logger, 'warn', 'metrics_failed', { error: String(error), ...unwritten });
      else this.#outage.failed('metrics_failed', error, unwritten);
    }
  }
}
