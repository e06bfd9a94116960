/**
 * @internal
 * The harness's record of `perform` calls: workers are wrapped (never
 * modified) so each call is logged in order, and in Redis mode the outcome
 * Kiq reports afterwards (`job:success`, `job:failure`, `job:aborted`) is
 * matched back to the call by jid. Until then the call is "awaiting": the
 * harness does not call IO settled while an outcome is still on its way.
 */
import type { Kiq } from '../kiq.js';
import type { JobContext, Worker } from '../worker.js';

/** How a performed job ended. `failed`: it threw in sandbox mode (nothing retries there; `advance`/`drain` reject). */
export type PerformOutcome = 'success' | 'retry' | 'dead' | 'discard' | 'aborted' | 'failed';

/** One call of a worker's `perform`, in call order. */
export interface PerformedJob {
  readonly class: string;
  readonly jid: string;
  readonly queue: string;
  readonly args: readonly unknown[];
  /** 1 on the first run, 2 on the first retry, … (`retry_count` + 2 once it failed). */
  readonly attempt: number;
  /** Simulated epoch ms when `perform` started. */
  readonly at: number;
  /** What `perform` threw, if it did. */
  readonly error?: unknown;
  /** Set once the outcome is reported (always set when `advance`/`drain` resolve). */
  readonly outcome?: PerformOutcome;
}

interface PerformRecord {
  class: string;
  jid: string;
  queue: string;
  args: readonly unknown[];
  attempt: number;
  at: number;
  error?: unknown;
  outcome?: PerformOutcome;
}

/** Every `perform` call of the wrapped workers, and the outcomes still awaited. */
export class PerformLog {
  readonly #performed: PerformRecord[] = [];
  /** Performs that finished in Redis mode and whose outcome event has not arrived yet. */
  readonly #awaiting = new Set<PerformRecord>();
  readonly #sandbox: boolean;
  readonly #now: () => number;

  /** `sandbox`: the outcome is known when `perform` returns (nothing retries); `now`: simulated epoch ms. */
  constructor(options: { sandbox: boolean; now: () => number }) {
    this.#sandbox = options.sandbox;
    this.#now = options.now;
  }

  /** Every call so far, in order. */
  get performed(): readonly PerformedJob[] {
    return this.#performed;
  }

  /** A call whose outcome Kiq has not reported yet, as `Class jid`; `undefined` when none. */
  awaiting(): string | undefined {
    const first = this.#awaiting.values().next().value;
    return first && `${first.class} ${first.jid}`;
  }

  /** Match the outcomes `kiq` reports to the calls (Redis mode). */
  listen(kiq: Kiq): void {
    kiq.on('job:success', ({ jid }) => this.#settled(jid, 'success'));
    kiq.on('job:failure', ({ jid, outcome }) => this.#settled(jid, outcome));
    kiq.on('job:aborted', ({ jid }) => this.#settled(jid, 'aborted'));
  }

  #settled(jid: string, outcome: PerformOutcome): void {
    for (const record of this.#awaiting) {
      if (record.jid !== jid) continue;
      record.outcome = outcome;
      this.#awaiting.delete(record);
      return;
    }
  }

  /** A worker whose `perform` records each call, then calls the given worker's (never modified). */
  wrap(worker: Worker): Worker {
    const recordingPerform = async (args: unknown[], ctx: JobContext): Promise<unknown> => {
      const retryCount = ctx.job.retry_count;
      const record: PerformRecord = {
        class: worker.class,
        jid: ctx.jid,
        queue: ctx.queue,
        args,
        attempt: typeof retryCount === 'number' ? retryCount + 2 : 1,
        at: this.#now(),
      };
      this.#performed.push(record);
      try {
        const result: unknown = await Reflect.apply(worker.perform, worker, [args, ctx]);
        if (this.#sandbox) record.outcome = 'success';
        else this.#awaiting.add(record);
        return result;
      } catch (error) {
        record.error = error;
        if (this.#sandbox) record.outcome = 'failed';
        else this.#awaiting.add(record);
        throw error;
      }
    };
    // the worker's own options, class and retryIn through the prototype; only perform differs
    return Object.create(worker, { perform: { value: recordingPerform, enumerable: true } }) as Worker;
  }
}
