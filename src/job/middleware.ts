/**
 * Job middleware (the `middleware` option): Sidekiq's client and server
 * middleware chains (`Sidekiq::Middleware::Chain`, client `call(worker_class,
 * job, queue, redis_pool)` and server `call(worker, job, queue)`), reduced to
 * what Kiq's paths allow. `client` sees every payload `kiq.enqueue` builds,
 * after it is validated and before it is buffered, and may add keys (the
 * OpenTelemetry trace context, src/otel/); `server` wraps `perform`.
 *
 * Free when unused: with no middleware, enqueue loops over an empty array
 * and the runner calls `perform` directly (no closure, no promise per job).
 */
import type { JobContext, Worker } from '../worker.js';
import type { JobPayload } from './payload.js';

/**
 * One middleware; at least one of `client` and `server`. In the list given
 * to the `middleware` option, the first is the outermost, as in a Sidekiq
 * chain.
 *
 * @example
 * const timing: JobMiddleware = {
 *   client(job) { job.enqueued_by = 'web'; },
 *   async server(ctx, next) {
 *     const t0 = performance.now();
 *     try { await next(); } finally { console.log(ctx.jid, performance.now() - t0); }
 *   },
 * };
 * new Kiq({ middleware: [timing] });
 */
export interface JobMiddleware {
  /**
   * Called synchronously with the payload `enqueue` built (its `args` are the
   * caller's: do not mutate them), before it is buffered or pushed. It may
   * add or change top-level keys; values must be JSON. A throw rejects the
   * `enqueue` call with it and nothing is pushed.
   */
  client?(job: JobPayload): void;
  /**
   * Wraps one run of `perform`: call `next()` once and return (or await) its
   * promise. What `next()` rejects with is the job's failure; rethrow it (or
   * another error) to fail the job, return normally to count it a success.
   * Runs after the unique start lock is released and the worker is found.
   */
  server?(ctx: JobContext, next: () => Promise<unknown>): Promise<unknown>;
}

/** The `server` hooks of a middleware list as one wrapper of `perform`, outermost first. */
export type ServerChain = (ctx: JobContext, perform: () => Promise<unknown>) => Promise<unknown>;

/** Runs each `client` of `middleware` on `payload`, in order. */
export function applyClient(middleware: readonly JobMiddleware[], payload: JobPayload): void {
  for (const m of middleware) m.client?.(payload);
}

/**
 * One {@link ServerChain} for the `server` hooks of `middleware`, or
 * `undefined` when none has one (the runner then calls `perform` directly).
 *
 * @example
 * const chain = composeServer([a, b]); // a's server wraps b's, which wraps perform
 */
export function composeServer(middleware: readonly JobMiddleware[]): ServerChain | undefined {
  const hooks = middleware.filter((m) => m.server !== undefined);
  if (hooks.length === 0) return undefined;
  return (ctx, perform) => {
    const step = (i: number): Promise<unknown> => (i === hooks.length ? perform() : hooks[i]!.server!(ctx, () => step(i + 1)));
    return step(0);
  };
}

/**
 * `worker.perform(args, ctx)` through `chain` (a synchronous throw of
 * `perform` becomes a rejection there), or directly when there is none: no
 * closure is made then.
 *
 * @example
 * await performThrough(composeServer(config.middleware), worker, job.args, ctx);
 */
export function performThrough(chain: ServerChain | undefined, worker: Worker, args: unknown[], ctx: JobContext): unknown {
  return chain === undefined ? worker.perform(args, ctx) : chain(ctx, async () => worker.perform(args, ctx));
}
