/**
 * @internal
 * Performing sandboxed jobs inline (`Testing.drain`, and the harness in
 * sandbox mode): oldest first, jobs enqueued by a job included, each with
 * a `JobContext` as the runner would give it, through the `server`
 * middleware as the runner runs it.
 */
import { UnknownWorkerError } from '../errors.js';
import { composeServer, performThrough } from '../job/middleware.js';
import type { Kiq } from '../kiq.js';
import { kConfig } from '../symbols.js';
import type { JobContext, Worker } from '../worker.js';
import type { SandboxJob, SandboxStore } from './sandbox-store.js';

/**
 * Perform the jobs of `store` that `pick` accepts, one at a time, until none
 * is left. Resolves with how many ran; rejects with the first job's error
 * (that job is removed, later ones stay) or with `UnknownWorkerError`.
 */
export async function performSandboxed(kiq: Kiq, store: SandboxStore, pick: (job: SandboxJob) => boolean): Promise<number> {
  const workers = new Map<string, Worker>(kiq[kConfig].workers.map((worker) => [worker.class, worker]));
  const chain = composeServer(kiq[kConfig].middleware);
  let performed = 0;
  for (;;) {
    const job = store.shift(pick);
    if (!job) return performed;
    const worker = workers.get(job.payload.class);
    if (!worker) throw new UnknownWorkerError(job.payload.class);
    const ctx: JobContext = {
      jid: job.payload.jid,
      queue: job.payload.queue,
      retryCount: job.payload.retry_count ?? 0,
      job: job.payload,
      signal: new AbortController().signal,
      logger: kiq[kConfig].logger,
    };
    await performThrough(chain, worker, job.payload.args, ctx);
    performed += 1;
  }
}
