/**
 * The `health` option: where the HTTP endpoints listen (if anywhere) and
 * the thresholds `kiq.health()` judges by. Every field is optional.
 */

/** The `health` option of `KiqOptions`. */
export interface HealthOptions {
  /** Serve `GET /healthz`, `/readyz` and `/metrics` on this TCP port (0: any free one). @defaultValue none: no server */
  port?: number;
  /** Address to listen on. @defaultValue `'127.0.0.1'` */
  host?: string;
  /** Keep the Prometheus metrics (`kiq.prometheus`, `GET /metrics`). @defaultValue `true` when `port` is given, else `false` */
  prometheus?: boolean;
  /**
   * A queue that has free slots and is not quiet, but has not completed a
   * fetch call for this long, is `failing` (a silent worker). An idle queue
   * completes one every `fetchInterval`. @defaultValue `30_000`
   */
  fetchStaleMs?: number;
  /** Redis unreachable for this long (consecutive failed checks) is `failing`; before that, `degraded`. @defaultValue `10_000` */
  redisDownMs?: number;
  /** A Redis round trip slower than this is `degraded`. @defaultValue `1_000` */
  redisSlowMs?: number;
  /** Most time a Redis check waits for PONG, ms. @defaultValue `2_000` */
  pingTimeoutMs?: number;
  /** The oldest job in the reliable-push buffer older than this is `degraded` (enqueued jobs not reaching Redis). @defaultValue `10_000` */
  bufferAgeMs?: number;
  /** `/metrics`' cluster-wide gauges (queue sizes and latency, retry and dead sets) are read from Redis at most this often. @defaultValue `5_000` */
  sampleMs?: number;
}

/** {@link HealthOptions} with every default applied. */
export interface ResolvedHealth extends Readonly<Required<Omit<HealthOptions, 'port' | 'prometheus'>>> {
  readonly port: number | undefined;
  readonly prometheus: boolean;
}

/** The defaults of {@link HealthOptions}. */
export const HEALTH_DEFAULTS: ResolvedHealth = Object.freeze({
  port: undefined,
  prometheus: false,
  host: '127.0.0.1',
  fetchStaleMs: 30_000,
  redisDownMs: 10_000,
  redisSlowMs: 1_000,
  pingTimeoutMs: 2_000,
  bufferAgeMs: 10_000,
  sampleMs: 5_000,
});

/** The thresholds of `options` over the defaults. */
export function resolveHealth(options: HealthOptions | undefined): ResolvedHealth {
  const given = Object.fromEntries(Object.entries(options ?? {}).filter(([, v]) => v !== undefined));
  const prometheus = options?.prometheus ?? options?.port !== undefined;
  return Object.freeze({ ...HEALTH_DEFAULTS, ...given, prometheus });
}
