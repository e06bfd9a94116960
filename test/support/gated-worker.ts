/** A worker whose jobs hold until the test lets them go: for what happens while a job runs. */
import { defineWorker, type Worker } from '../../src/index.js';
import { deferred } from './wait.js';

/** What {@link gatedWorker} makes. */
export interface GatedWorker {
  /** The worker; it ignores its jobs' arguments. */
  readonly worker: Worker<unknown[]>;
  /** Resolves once a job of it started; rejects after `startMs`. */
  readonly started: Promise<void>;
  /** Lets every job of it finish, running or still to start. */
  release(): void;
}

/** Timeouts of a {@link gatedWorker}, ms. */
export interface GateTimeouts {
  /** How long {@link GatedWorker.started} waits (default 5 s). */
  readonly startMs?: number;
  /** How long a job waits for {@link GatedWorker.release} before it fails (default 15 s). */
  readonly releaseMs?: number;
}

/** A worker of class `className` on `queue` whose jobs say they started, then wait for {@link GatedWorker.release}. */
export function gatedWorker(className: string, queue: string, { startMs = 5_000, releaseMs = 15_000 }: GateTimeouts = {}): GatedWorker {
  const started = deferred(startMs, `${className} to start`);
  const released = deferred(releaseMs, `${className} to be released`);
  const worker = defineWorker({
    class: className,
    queue,
    async perform(_args: unknown[]) {
      started.resolve();
      await released.promise;
    },
  });
  return { worker, started: started.promise, release: () => released.resolve() };
}
