/**
 * @internal
 * Where the client puts a built job, chosen once by `testMode`: Redis
 * (src/client/redis-sink.ts: the buffer the Flusher writes) or the sandbox
 * (src/client/sandbox-sink.ts: memory only).
 */
import type { BuiltJob } from '../job/build.js';
import type { Job, PushReceipt } from './enqueue-types.js';

/** The last hop of `kiq.enqueue`. */
export interface JobSink {
  /**
   * Take one built job. Resolves with the job at once, or with `confirm`
   * once it is stored; throws `BufferFullError` when there is no room.
   */
  put(built: BuiltJob, confirm: boolean): Promise<Job | PushReceipt>;
  /** Jobs in memory, not yet in Redis (`kiq.buffered`). */
  readonly buffered: number;
  /** Resolves when every job taken before this call is stored. */
  flush(): Promise<void>;
  /** Drop every job held in memory (`kiq.clearAll()`). */
  clear(): void;
}
