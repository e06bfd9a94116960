/**
 * @internal
 * A queue's job slots: at most `limit` jobs run at once; a job delivered
 * while every slot is taken (a prefetched one, machines/queue.ts) waits,
 * first in first out, and starts when a slot frees. At shutdown the waiting
 * jobs are handed back unstarted ({@link JobSlots.release}): they are still
 * in the private list, and the queue's requeue puts them back.
 */

/** Runs at most `limit` jobs at once; see the module comment. */
export class JobSlots<T> {
  readonly #limit: number;
  readonly #run: (job: T) => void;
  #running = 0;
  #waiting: T[] = [];
  #head = 0;

  /**
   * @param limit the queue's concurrency
   * @param run starts a job; the caller calls {@link JobSlots.ended} when it ends
   */
  constructor(limit: number, run: (job: T) => void) {
    this.#limit = limit;
    this.#run = run;
  }

  /** Jobs waiting for a slot. */
  get waiting(): number {
    return this.#waiting.length - this.#head;
  }

  /** Start `job` now if a slot is free, else when one frees. */
  start(job: T): void {
    if (this.#running < this.#limit) {
      this.#running++;
      this.#run(job);
    } else this.#waiting.push(job);
  }

  /** A started job ended: its slot goes to the oldest waiting job, if any. */
  ended(): void {
    if (this.#head < this.#waiting.length) {
      const next = this.#waiting[this.#head]!;
      this.#head++;
      if (this.#head === this.#waiting.length) {
        this.#waiting = [];
        this.#head = 0;
      }
      this.#run(next);
    } else this.#running = Math.max(0, this.#running - 1);
  }

  /** Take every waiting job out, unstarted (shutdown), oldest first. */
  release(): T[] {
    const released = this.#waiting.slice(this.#head);
    this.#waiting = [];
    this.#head = 0;
    return released;
  }
}
