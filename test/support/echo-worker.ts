/** A worker that only records that its jobs ran, for tests about everything around the job. */
import { defineWorker, type Worker } from '../../src/index.js';

/** What {@link useEchoWorker} gives a describe block. */
export interface EchoWorker {
  /** The worker: queue `default`, one string argument. */
  readonly Echo: Worker<[string]>;
  /** The argument of every job it performed, in order; emptied after each test. */
  readonly ran: string[];
}

/** Defines an echo worker of class `className` whose record {@link EchoWorker.ran} starts empty in every test. */
export function useEchoWorker(className: string): EchoWorker {
  const ran: string[] = [];
  const Echo = defineWorker({
    class: className,
    queue: 'default',
    async perform([id]: [string]) {
      ran.push(id);
    },
  });
  afterEach(() => {
    ran.length = 0;
  });
  return { Echo, ran };
}
