/**
 * @internal
 * What `kiq demo` counts, from the instance's own job events (`job:success`,
 * `job:failure`, the same payloads as the `kiq:job:*` channels) and its
 * `leader` event. The demo is done when every job it enqueued has settled
 * (succeeded, or dead/discarded) and at least two periodic ticks ran.
 */
import type { Kiq } from '../kiq.js';
import type { JobFailureMessage, JobSuccessMessage } from '../telemetry.js';

/** Something worth a line of its own while the demo runs. */
export type TallyNote =
  | { kind: 'leader'; leader: boolean }
  | { kind: 'failure'; class: string; message: string; outcome: string; nth: number }
  | { kind: 'retried'; class: string; nth: number }
  | { kind: 'later'; delayMs: number; nth: number }
  | { kind: 'tick'; nth: number };

export class Tally {
  succeeded = 0;
  failed = 0;
  /** Successful runs per worker class (retries included). */
  readonly runs = new Map<string, number>();
  ticks = 0;
  leader = false;
  /** Whether this process led at some point of the demo. */
  everLed = false;
  /** Jids the demo enqueued (immediate and scheduled) that have not settled yet. */
  readonly #waiting = new Set<string>();
  /** Jids whose last run failed into the retry set. */
  readonly #retrying = new Set<string>();
  #retried = 0;
  #later = 0;
  readonly #notify: (note: TallyNote) => void;

  constructor(kiq: Kiq, notify: (note: TallyNote) => void) {
    this.#notify = notify;
    kiq.on('job:success', (event) => this.#success(event));
    kiq.on('job:failure', (event) => this.#failure(event));
    kiq.on('leader', ({ leader }) => {
      this.leader = leader;
      if (leader) this.everLed = true;
      notify({ kind: 'leader', leader });
    });
  }

  /** Every run of `perform`, failures included (as Sidekiq's `processed` counts). */
  get processed(): number {
    return this.succeeded + this.failed;
  }

  /** Jobs waiting in the retry set, as far as this process has seen. */
  get retries(): number {
    return this.#retrying.size;
  }

  /** Jobs of the demo not settled yet. */
  get waiting(): number {
    return this.#waiting.size;
  }

  /** Retries that ran (and succeeded). */
  get retried(): number {
    return this.#retried;
  }

  /** Track a jid the demo enqueued. */
  expect(jid: string): void {
    this.#waiting.add(jid);
  }

  #success(event: JobSuccessMessage): void {
    this.succeeded += 1;
    this.runs.set(event.class, (this.runs.get(event.class) ?? 0) + 1);
    this.#waiting.delete(event.jid);
    if (this.#retrying.delete(event.jid)) {
      this.#retried += 1;
      this.#notify({ kind: 'retried', class: event.class, nth: this.#retried });
    }
    if (event.class === 'Demo::Tick') {
      this.ticks += 1;
      this.#notify({ kind: 'tick', nth: this.ticks });
    }
    if (event.class === 'Demo::Later') {
      this.#later += 1;
      const createdAtSec = Number(event.job.created_at);
      const delayMs = Number.isFinite(createdAtSec) ? Date.now() - createdAtSec * 1000 : Number.NaN;
      this.#notify({ kind: 'later', delayMs, nth: this.#later });
    }
  }

  #failure(event: JobFailureMessage): void {
    this.failed += 1;
    if (event.outcome === 'retry') this.#retrying.add(event.jid);
    else {
      // dead or discarded: settled, though not the way anyone hoped
      this.#retrying.delete(event.jid);
      this.#waiting.delete(event.jid);
    }
    this.#notify({ kind: 'failure', class: event.class, message: event.error.message, outcome: event.outcome, nth: this.failed });
  }
}
