/**
 * @internal
 * Ends a queue's blocking fetch early when the queue shuts down. An idle
 * queue's fetcher waits in `BLMOVE … <fetchInterval>` on its dedicated
 * connection, and a shutdown waits for that call (a job it moves after the
 * private list was requeued would be stranded), so the supervisor, stopping
 * queues one at a time, paid up to one `fetchInterval` per idle queue: 100
 * queues took ~50 s to stop at the default 500 ms.
 *
 * `interrupt()` sends `CLIENT UNBLOCK <id> TIMEOUT` for that connection from a
 * pooled one: Redis answers the waiting BLMOVE as if it had timed out (nil,
 * nothing moved — Redis's blocking.c `unblockClient` for a client blocked on
 * a list), so nothing can be lost or moved twice. UNBLOCK is resent every
 * {@link UNBLOCK_RETRY_MS} until the call settles: an UNBLOCK that reaches
 * Redis before the BLMOVE does unblocks nothing. A paused queue's wait (no
 * BLMOVE, a timer) ends at once. Where `CLIENT` is denied (an ACL), the call
 * simply runs to its timeout, as before.
 */
import type { Redis } from 'ioredis';

/** How often an interrupt resends CLIENT UNBLOCK while the blocking call has not returned. */
export const UNBLOCK_RETRY_MS = 25;

/** One blocking call in flight. */
interface InFlight {
  readonly redis: Redis;
  readonly abort: AbortController;
  settled: boolean;
}

/** The interruptible blocking fetch of one queue. */
export class BlockInterrupt {
  /** The CLIENT ID of each dedicated connection, until it reconnects (a new connection gets a new id). */
  readonly #ids = new WeakMap<Redis, number>();
  readonly #unblockOn: () => Redis;
  #current: InFlight | undefined;
  /** The signal calls run under, kept until an interrupt aborts it (a controller per call cost more than the rest of a lone job's block). */
  #controller = new AbortController();

  /** `unblockOn` gives the (pooled) connection CLIENT UNBLOCK is sent on. */
  constructor(unblockOn: () => Redis) {
    this.#unblockOn = unblockOn;
  }

  /**
   * Run `call` (the BLMOVE on `redis`, its wait ended by `signal` when it
   * only sleeps) so that {@link interrupt} can end it. Learns the
   * connection's CLIENT ID first, once per connection.
   */
  run<T>(redis: Redis, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (this.#ids.has(redis)) return this.#run(redis, call);
    return redis
      .client('ID')
      .catch(() => undefined)
      .then((id) => {
        if (typeof id === 'number') {
          this.#ids.set(redis, id);
          redis.once('close', () => this.#ids.delete(redis));
        }
        return this.#run(redis, call);
      });
  }

  /** `call` as the blocking call in flight until it settles (one reaction on the hot path, no async wrapper). */
  #run<T>(redis: Redis, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (this.#controller.signal.aborted) this.#controller = new AbortController();
    const current: InFlight = { redis, abort: this.#controller, settled: false };
    this.#current = current;
    const end = (): void => {
      current.settled = true;
      if (this.#current === current) this.#current = undefined;
    };
    let pending: Promise<T>;
    try {
      pending = call(current.abort.signal);
    } catch (error) {
      end();
      return Promise.reject(error);
    }
    return pending.then(
      (value) => {
        end();
        return value;
      },
      (error: unknown) => {
        end();
        throw error;
      },
    );
  }

  /** End the blocking call in flight, if any, as if it had timed out. Never throws. */
  interrupt(): void {
    const current = this.#current;
    if (current === undefined) return;
    current.abort.abort();
    const id = this.#ids.get(current.redis);
    if (id === undefined) return;
    const unblock = (): void => {
      if (current.settled) return;
      this.#unblockOn()
        .client('UNBLOCK', id, 'TIMEOUT')
        .catch(() => undefined)
        .then(() => {
          if (!current.settled) setTimeout(unblock, UNBLOCK_RETRY_MS).unref();
        });
    };
    unblock();
  }
}
