/**
 * @internal
 * This server's liveness lease, the fast half of crash recovery: a member of
 * `kiq:leases` whose score is the lease end, renewed every ttl/5 on the
 * event loop (the `liveness` ticker). Every Kiq server runs orphan recovery
 * (src/server/tickers.ts `resurrectTick`) and takes a server whose lease has
 * ended for dead, so a SIGKILLed server's jobs run again about
 * `livenessTtl` to `livenessTtl` + ttl/5 + the recovery interval after its
 * last renewal — seconds, where Sidekiq's 60 s heartbeat hash took a minute.
 *
 * The other side: a server whose event loop is blocked longer than about
 * ttl − ttl/5 (a CPU-bound job) cannot renew and has its jobs taken too;
 * they then run twice (at-least-once), never zero times.
 *
 * After an outage every lease may have lapsed meanwhile (a Redis restart
 * with AOF keeps the old ends), so after a failed renewal or a reconnect
 * this server recovers others only once its own renewals have succeeded
 * without a gap for a whole ttl: every live server has had that long to
 * renew. A freshly started server need not wait (the resurrector also waits
 * until Redis itself has been up for a ttl, for a restart it did not see).
 */
import type { Clock } from '../clock.js';
import type { ConnectionPool } from '../redis/connections.js';
import { dropLiveness, renewLiveness } from './ops/liveness.js';

/** This server's lease and whether its renewals have been steady. */
export class Liveness {
  readonly #pool: ConnectionPool;
  readonly #identity: string;
  readonly #clock: Clock;
  /** Lease time to live, ms (the `livenessTtl` option). */
  readonly ttlMs: number;
  /** Monotonic ms of the first renewal of the current unbroken run; undefined after a failure or a reconnect. */
  #steadySince: number | undefined;
  /** No renewal has failed and no connection has dropped since start. */
  #unbroken = true;

  constructor(pool: ConnectionPool, identity: string, ttlMs: number, clock: Clock) {
    this.#pool = pool;
    this.#identity = identity;
    this.ttlMs = ttlMs;
    this.#clock = clock;
  }

  /** How often the lease is renewed, ms. */
  get renewEveryMs(): number {
    return Math.max(1, Math.round(this.ttlMs / 5));
  }

  /** Renew the lease now; rejects (and breaks the steady run) on a Redis error. */
  async renew(): Promise<void> {
    const sentAt = this.#clock.monoMs();
    try {
      await renewLiveness(this.#pool.next(), this.#identity, this.ttlMs);
    } catch (error) {
      this.#steadySince = undefined;
      this.#unbroken = false;
      throw error;
    }
    this.#steadySince ??= sentAt;
  }

  /** A connection came back: renewals before it no longer prove that others could renew. */
  reconnected(): void {
    this.#steadySince = undefined;
    this.#unbroken = false;
  }

  /**
   * Whether others' ended leases mean they are dead: renewals have
   * succeeded since start without a break, or, after one, without a gap for
   * at least one ttl.
   */
  get steady(): boolean {
    if (this.#steadySince === undefined) return false;
    return this.#unbroken || this.#clock.monoMs() - this.#steadySince >= this.ttlMs;
  }

  /** Drop the lease at a clean stop (its private lists are requeued). */
  async drop(): Promise<void> {
    await dropLiveness(this.#pool.next(), this.#identity);
  }
}
