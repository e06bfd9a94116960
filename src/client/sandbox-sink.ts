/**
 * @internal
 * The sink of `testMode: 'sandbox'`: jobs go to a {@link SandboxStore} in
 * memory, never to Redis; `kiq/testing` reads and performs them.
 */
import type { Clock } from '../clock.js';
import type { BuiltJob } from '../job/build.js';
import type { Job, PushReceipt } from './enqueue-types.js';
import { SandboxStore } from './sandbox-store.js';
import type { JobSink } from './sink.js';

/** Jobs kept in memory, in enqueue order. */
export class SandboxSink implements JobSink {
  readonly store = new SandboxStore();
  readonly #clock: () => Clock;

  /** @param clock the instance's clock, read at each enqueue (the `init` hook may replace it) */
  constructor(clock: () => Clock) {
    this.#clock = clock;
  }

  get buffered(): number {
    return 0;
  }

  put(built: BuiltJob, confirm: boolean): Promise<Job | PushReceipt> {
    const job: Job = built.payload;
    const nowMs = this.#clock().realMs();
    const atMs = built.atSec === undefined ? undefined : built.atSec * 1000;
    this.store.add({ payload: built.payload, ...(atMs === undefined ? {} : { atMs, inMs: atMs - nowMs }) });
    return Promise.resolve(confirm ? { status: atMs === undefined ? 'enqueued' : 'scheduled', job } : job);
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  clear(): void {
    this.store.clear();
  }
}
