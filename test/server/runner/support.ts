/** Shared fixtures for the runner tests: §14 payloads, a worker registry, a capturing logger. */
import { expect } from 'chai';
import { ManualClock } from '../../../src/clock.js';
import type { Logger } from '../../../src/config/options.js';
import type { JobOutcome } from '../../../src/job-events.js';
import type { RunnerDeps } from '../../../src/server/runner/run-job.js';
import type { JobContext, Worker } from '../../../src/worker.js';

/** docs/sidekiq-contract.md §14, verbatim. */
export const SIDEKIQ = {
  /** `queue:default`, `retry: true`, Interop::Slow. */
  slow: String.raw`{"retry":true,"queue":"default","class":"Interop::Slow","args":[7],"jid":"a319acf4a129c1d6e0eec6db","created_at":1795807920.7045317,"enqueued_at":1795807920.70468}`,
  /** `queue:default`, `retry: 0`. */
  willDie: String.raw`{"retry":0,"queue":"default","class":"Interop::Failing","args":["will-die"],"jid":"5262ea9efab9f716fcfe5f84","created_at":1795807920.5801983,"enqueued_at":1795807920.580353}`,
  /** The dead-set entry Sidekiq wrote for `willDie`. */
  willDieDead: String.raw`{"retry":0,"queue":"default","class":"Interop::Failing","args":["will-die"],"jid":"5262ea9efab9f716fcfe5f84","created_at":1795807920.5801983,"enqueued_at":1795807920.580353,"error_message":"interop failure 5262ea9efab9f716fcfe5f84","error_class":"Interop::Error","failed_at":1795807921.1271062,"retry_count":0}`,
  /** The queue payload of the will-retry job: its retry entry without the failure fields. */
  willRetry: String.raw`{"retry":true,"queue":"default","class":"Interop::Failing","args":["will-retry"],"jid":"6064a61eb96b581e3304bc9c","created_at":1795807920.4649706,"enqueued_at":1795807920.4651282}`,
  /** The retry-set entry Sidekiq wrote after its first failure (score − failed_at = 17.0 s). */
  willRetryRetry: String.raw`{"retry":true,"queue":"default","class":"Interop::Failing","args":["will-retry"],"jid":"6064a61eb96b581e3304bc9c","created_at":1795807920.4649706,"enqueued_at":1795807920.4651282,"error_message":"interop failure 6064a61eb96b581e3304bc9c","error_class":"Interop::Error","failed_at":1795807921.1244085,"retry_count":0}`,
  /** `retry: 2`, `backtrace: 3`, in the retry set after its second failure. */
  backtraceSecond: String.raw`{"retry":2,"queue":"default","class":"Interop::Failing","backtrace":3,"args":["bt"],"jid":"786e2134348d6e17d5443930","created_at":1795807960.770726,"enqueued_at":1795807965.146928,"error_message":"interop failure 786e2134348d6e17d5443930","error_class":"Interop::Error","failed_at":1795807961.0699272,"retry_count":1,"error_backtrace":"eJy1zVsOgjAQheGtNH1BE+kEQ0hgK8YoxRErpYMzxcvulUaX4Oufc/LtNDyI\nB5CIyC704EJEpilVZMO2qYvGBXWckM/EY6Y3GmZhkEvLCDzbV4+j5Muv5zY6\nCtB6D0sEcScc3C2vTGkK8M7+CkxMHYpQEoq6SgQ+sZsjHq5k/8JUZWKsp25Q\nq63yeEcva/WJ32Gm92/9r2Fe\n","retried_at":1795807965.1478739}`,
};

/** Sidekiq's `Interop::Error`: a Ruby class name as `error_class`. */
export class InteropError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Interop::Error';
  }
}

/** `Interop::Failing`: raises `interop failure <jid>`, as the interop worker does. */
export const failing: Worker = {
  class: 'Interop::Failing',
  perform(_args, ctx) {
    throw new InteropError(`interop failure ${ctx.jid}`);
  },
};

/** A worker that records its calls and runs `body`. */
export function recorder(className: string, body: (args: unknown[], ctx: JobContext) => unknown = () => undefined) {
  const calls: Array<{ args: unknown[]; ctx: JobContext }> = [];
  const worker: Worker = {
    class: className,
    perform(args, ctx) {
      calls.push({ args, ctx });
      return body(args, ctx);
    },
  };
  return { worker, calls };
}

/** A logger that keeps its lines. */
export function memoryLogger(): Logger & { lines: Array<[string, string]> } {
  const lines: Array<[string, string]> = [];
  return {
    lines,
    info: (m: string) => void lines.push(['info', m]),
    warn: (m: string) => void lines.push(['warn', m]),
    error: (m: string) => void lines.push(['error', m]),
  };
}

/** A clock at float epoch seconds `sec`. */
export function clockAt(sec: number): ManualClock {
  return new ManualClock(sec * 1000);
}

/** Runner deps around some workers; `random` fixed at 0 (no jitter) unless given. */
export function depsFor(workers: Worker[], overrides: Partial<RunnerDeps> = {}): RunnerDeps & { clock: ManualClock } {
  return {
    workers: new Map(workers.map((w) => [w.class, w])),
    clock: clockAt(1795807921.1244085),
    signal: new AbortController().signal,
    random: () => 0,
    logger: memoryLogger(),
    ...overrides,
  } as RunnerDeps & { clock: ManualClock };
}

/** Narrows an outcome to `kind`, failing with its kind and error message otherwise. */
export function expectKind<K extends JobOutcome['kind']>(outcome: JobOutcome, kind: K): Extract<JobOutcome, { kind: K }> {
  const error = 'error' in outcome && outcome.error instanceof Error ? `: ${outcome.error.name}: ${outcome.error.message}` : '';
  expect(outcome.kind, `${outcome.kind}${error}`).to.equal(kind);
  return outcome as Extract<JobOutcome, { kind: K }>;
}
