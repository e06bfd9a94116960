/**
 * @internal
 * The one "log the first failure, then the first success" helper every loop
 * that talks to Redis uses (fetchers, acks, pollers, beats, the senator):
 * an outage is one warning, not one line per retry, and its end is one
 * `<loop>_restored` line. A failure that retrying cannot cure (an ACL
 * denial, WRONGTYPE, see {@link describeRedisError}) is an error, repeated
 * every {@link REPEAT_PERMANENT_MS} while it lasts and posted on the
 * {@link ProblemBoard} the heartbeat publishes, so a process that is denied
 * is never alive and silent.
 */
import type { Clock } from '../clock.js';
import { logEvent, type Logger } from '../logger.js';
import { describeRedisError } from './redis-error.js';

/** How often a permanent failure is logged again while it lasts, ms. */
export const REPEAT_PERMANENT_MS = 60_000;

/**
 * Failures that need an operator, by loop (`fetch:default`, `poll_retry`,
 * …), published in the heartbeat (`kiq_errors` of `<identity>`) so
 * `kiq processes` shows them.
 */
export class ProblemBoard {
  readonly #problems = new Map<string, string>();

  /** Posts (or replaces) the problem of `loop`. */
  set(loop: string, message: string): void {
    this.#problems.set(loop, message);
  }

  /** Removes the problem of `loop` (it works again). */
  clear(loop: string): void {
    this.#problems.delete(loop);
  }

  /** The problem of `loop`, if one is posted. */
  get(loop: string): string | undefined {
    return this.#problems.get(loop);
  }

  /** Every problem as `"<loop>: <message>"`, sorted by loop. */
  list(): string[] {
    return [...this.#problems].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([loop, message]) => `${loop}: ${message}`);
  }
}

/** What an {@link OutageLog} needs. */
export interface OutageLogDeps {
  readonly logger: Logger;
  /** Monotonic time, for the repeat of permanent failures. */
  readonly clock: Pick<Clock, 'monoMs'>;
  /** Where permanent failures are posted while they last. */
  readonly board?: ProblemBoard;
}

/**
 * The outage state of one loop. Call {@link failed} on every failure and
 * {@link restored} on every success; each logs only when it is news.
 *
 * @example
 * const outage = new OutageLog('fetch:default', { logger, clock });
 * try { await fetchJobs(...); outage.restored('fetch_restored', { queue }); }
 * catch (error) { outage.failed('fetch_failed', error, { queue }); throw error; }
 */
export class OutageLog {
  readonly #loop: string;
  readonly #deps: OutageLogDeps;
  #failures = 0;
  #sinceMono = 0;
  #loggedMono = 0;
  /** The message last logged. */
  #lastMessage = '';

  /** @param loop names the loop on the {@link ProblemBoard}, e.g. `fetch:default` */
  constructor(loop: string, deps: OutageLogDeps) {
    this.#loop = loop;
    this.#deps = deps;
  }

  /**
   * A failure. Logged (warn; error when permanent) when it starts an outage,
   * when it turns into a different permanent failure (down, then denied; a
   * change between transient texts is not news: they can alternate on every
   * retry), and every {@link REPEAT_PERMANENT_MS} while a permanent one
   * lasts. The line has `event`, `fields`, `error` in plain words, the
   * original as `cause`, and `permanent`.
   */
  failed(event: string, error: unknown, fields: Record<string, unknown> = {}): void {
    const info = describeRedisError(error);
    const now = this.#deps.clock.monoMs();
    if (this.#failures === 0) this.#sinceMono = now;
    this.#failures++;
    const news = this.#failures === 1 || (info.permanent && info.message !== this.#lastMessage);
    const due = info.permanent && now - this.#loggedMono >= REPEAT_PERMANENT_MS;
    if (info.permanent) this.#deps.board?.set(this.#loop, `${info.message} (${info.cause})`);
    else this.#deps.board?.clear(this.#loop);
    if (!news && !due) return;
    this.#loggedMono = now;
    this.#lastMessage = info.message;
    logEvent(this.#deps.logger, info.permanent ? 'error' : 'warn', event, {
      ...fields,
      error: info.message,
      cause: info.cause,
      permanent: info.permanent,
      ...(this.#failures > 1 ? { failures: this.#failures, failing_for_ms: Math.round(now - this.#sinceMono) } : {}),
    });
  }

  /**
   * Runs `call`, reporting its success ({@link restored}) or failure
   * ({@link failed}, then rethrown) under `<name>_failed` / `<name>_restored`.
   *
   * @example
   * const jobs = await outage.track('fetch', { queue }, () => fetchJobs(redis, identity, queue, max));
   */
  async track<T>(name: string, fields: Record<string, unknown>, call: () => Promise<T>): Promise<T> {
    try {
      const result = await call();
      this.restored(`${name}_restored`, fields);
      return result;
    } catch (error) {
      this.failed(`${name}_failed`, error, fields);
      throw error;
    }
  }

  /** A success: logs `event` (info) when it ends an outage. */
  restored(event: string, fields: Record<string, unknown> = {}): void {
    if (this.#failures === 0) return;
    const failingForMs = Math.round(this.#deps.clock.monoMs() - this.#sinceMono);
    logEvent(this.#deps.logger, 'info', event, { ...fields, failures: this.#failures, failing_for_ms: failingForMs });
    this.#failures = 0;
    this.#lastMessage = '';
    this.#loggedMono = 0;
    this.#deps.board?.clear(this.#loop);
  }
}
