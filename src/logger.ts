/**
 * Kiq's own log lines: the {@link Logger} an instance writes to (the
 * `logger` option, `console` by default) and {@link logEvent}, the one place
 * that turns an event into the JSON line Kiq writes:
 * `{"source":"kiq","event":"<event>",...fields}`.
 *
 * An outage of a loop that talks to Redis is logged by `OutageLog`
 * (src/redis/outage-log.ts) through {@link logEvent}: its first failure,
 * then its first success.
 */

/** Where Kiq writes its own log lines; `console` fits. */
export interface Logger {
  /** Routine news: a connection restored, orphans recovered, leadership changed. */
  info(message: string, ...meta: unknown[]): void;
  /** Something went wrong that Kiq recovers from. */
  warn(message: string, ...meta: unknown[]): void;
  /** Something went wrong that needs attention. */
  error(message: string, ...meta: unknown[]): void;
}

/** The {@link Logger} method a line is written with. */
export type LogLevel = keyof Logger;

/**
 * Writes one JSON line `{"source":"kiq","event":<event>,...fields}` at
 * `level`. Never throws: a logger that throws, or a field JSON cannot hold
 * (a BigInt, a cycle), must not break the loop that logs; such a line is
 * lost. Without a `logger` nothing is written.
 *
 * @example
 * logEvent(logger, 'warn', 'jobs_requeued', { queue: 'default', count: 3 });
 * // {"source":"kiq","event":"jobs_requeued","queue":"default","count":3}
 */
export function logEvent(logger: Logger | undefined, level: LogLevel, event: string, fields: Readonly<Record<string, unknown>> = {}): void {
  if (!logger) return;
  try {
    logger[level](JSON.stringify({ source: 'kiq', event, ...fields }));
  } catch {
    // nowhere left to report it
  }
}
