/**
 * @internal
 * Where `testMode: 'sandbox'` keeps enqueued jobs: in memory, in enqueue
 * order, never written to Redis.
 */
import type { JobPayload } from '../job/payload.js';

/** A job held by the sandbox. */
export interface SandboxJob {
  readonly payload: JobPayload;
  /** Scheduled run time, epoch ms, when enqueued with `in`/`at` in the future. */
  readonly atMs?: number;
  /** Delay in ms from enqueue to `atMs`. */
  readonly inMs?: number;
}

/** In-memory job list of one sandboxed Kiq instance. */
export class SandboxStore {
  #jobs: SandboxJob[] = [];

  /** Jobs in enqueue order. */
  get jobs(): readonly SandboxJob[] {
    return this.#jobs;
  }

  add(job: SandboxJob): void {
    this.#jobs.push(job);
  }

  /** Remove and return the oldest job matching `predicate`. */
  shift(predicate: (job: SandboxJob) => boolean): SandboxJob | undefined {
    const index = this.#jobs.findIndex(predicate);
    return index < 0 ? undefined : this.#jobs.splice(index, 1)[0];
  }

  clear(): void {
    this.#jobs = [];
  }
}
