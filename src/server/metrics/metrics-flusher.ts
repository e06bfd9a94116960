/**
 * @internal
 * Sends the in-memory execution metrics to Redis once per heartbeat and at
 * stop (src/server/heartbeat.ts calls {@link MetricsFlusher.flush}). Unlike
 * Sidekiq 7.3, which flushes only on `:beat` and so loses the last interval
 * at shutdown, the final flush runs after the last job has settled.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../../config/options.js';
import type { ExecutionMetrics } from './execution-metrics.js';
import { MetricsCommandError, writeMetrics } from './write-metrics.js';

/** Writes what an {@link ExecutionMetrics} gathered; never rejects. */
export class MetricsFlusher {
  readonly #metrics: ExecutionMetrics;
  readonly #logger: Logger;
  #failing = false;

  constructor(metrics: ExecutionMetrics, logger: Logger) {
    this.#metrics = metrics;
    this.#logger = logger;
  }

  /**
   * Writes the totals gathered since the last flush, keyed by `nowMs`.
   * When the transaction did not run (an outage) they are put back and go
   * out with the next flush; when it ran with a failed command (a metrics key
   * someone overwrote with another type) the rest took effect and they are
   * dropped, since a retry would add them twice. Either failure is logged
   * once until a flush succeeds again (`final`: always, with the totals lost).
   */
  async flush(redis: Redis, nowMs: number, options: { final?: boolean } = {}): Promise<void> {
    if (this.#metrics.empty) return;
    const snapshot = this.#metrics.take();
    try {
      await writeMetrics(redis, snapshot, nowMs);
      if (this.#failing) this.#logger.info(JSON.stringify({ source: 'kiq', event: 'metrics_restored' }));
      this.#failing = false;
    } catch (error) {
      const ran = error instanceof MetricsCommandError;
      if (!ran && !options.final) this.#metrics.restore(snapshot);
      if (!this.#failing || options.final) {
        const unwritten = options.final || ran ? Object.fromEntries([...snapshot].map(([name, m]) => [name, { p: m.processed, f: m.failed }])) : undefined;
        this.#logger.warn(JSON.stringify({ source: 'kiq', event: 'metrics_failed', error: String(error), ...(unwritten ? { unwritten } : {}) }));
      }
      this.#failing = true;
    }
  }
}
