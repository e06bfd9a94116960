/**
 * `kiq/testing`: assertions and helpers for testing an app that uses Kiq.
 * Run the app's Kiq with `testMode: 'sandbox'`: enqueued jobs stay in memory
 * (no Redis needed) and these helpers look at them or perform them.
 *
 * @example
 * const kiq = new Kiq({ testMode: 'sandbox', workers: [Mailer] });
 * await signUp(kiq, 'a@b.c');                       // app code that enqueues
 * Testing.assertEnqueued(kiq, { class: Mailer, args: ['a@b.c', 1] });
 * await Testing.drain(kiq);                         // performs Mailer inline
 *
 * `createHarness(...)` (./harness.ts) runs the real actor tree on a
 * simulated clock instead, with Redis (or in sandbox mode): retries and
 * scheduled jobs become due by `advance(ms)`, not by waiting.
 *
 * Layer rule (test/layers/layer-rules.cjs): the library never imports this
 * folder; what both need (the sandbox store, the simulated clock) lives below
 * it and is re-exported here.
 */
import { AssertionError } from 'node:assert';
import type { Kiq } from '../kiq.js';
import { kSandbox } from '../symbols.js';
import { checkFilter, describeFilter, describeJob, matches, projectJob, type JobFilter } from './filter.js';
import { performSandboxed } from './sandbox-drain.js';
import type { SandboxJob, SandboxStore } from './sandbox-store.js';

export type { JobFilter } from './filter.js';
export type { SandboxJob } from './sandbox-store.js';
export { createHarness, HARNESS_DRAIN_WINDOW_MS, HARNESS_FETCH_INTERVAL_MS, HARNESS_SETTLE_TIMEOUT_MS } from './harness.js';
export type { Harness, HarnessDrainOptions, HarnessMode, HarnessOptions, PerformOutcome, PerformedJob, SetEntry } from './harness.js';
export { HarnessClock } from './simulated-clock.js';
export { Tag } from '../../machines/tags.js';

/** Options of {@link Testing.drain}. */
export interface DrainOptions {
  /** Only jobs of this queue (and those they enqueue onto it). */
  queue?: string;
}

function storeOf(kiq: Kiq): SandboxStore {
  const store = kiq[kSandbox];
  if (!store) throw new TypeError("kiq/testing needs a Kiq created with testMode: 'sandbox'");
  return store;
}

/** Jobs in the sandbox matching `filter` (all when omitted), in enqueue order. */
function enqueued<Args extends unknown[]>(kiq: Kiq, filter: JobFilter<Args> = {}): SandboxJob[] {
  checkFilter(filter);
  return storeOf(kiq).jobs.filter((job) => matches(job, filter as JobFilter));
}

/**
 * An `AssertionError` whose `actual` and `expected` are both arrays of
 * filter-shaped objects: mocha draws a diff only when the two have the same
 * type and `showDiff` is not false (mocha lib/reporters/base.js `showDiff`).
 */
function filterAssertion(message: string, operator: string, actual: unknown[], expected: unknown[]): AssertionError {
  const error = new AssertionError({ message, actual, expected, operator });
  return Object.assign(error, { showDiff: true });
}

/** Throws `AssertionError` unless some sandboxed job matches `filter`. */
function assertEnqueued<Args extends unknown[]>(kiq: Kiq, filter: JobFilter<Args>): void {
  checkFilter(filter);
  const plain = filter as JobFilter;
  const jobs = storeOf(kiq).jobs;
  if (jobs.some((job) => matches(job, plain))) return;
  throw filterAssertion(
    `expected a job matching ${JSON.stringify(describeFilter(plain))} to be enqueued, but ${jobs.length} job(s) were: ${JSON.stringify(jobs.map(describeJob))}`,
    'assertEnqueued',
    jobs.map((job) => projectJob(job, plain)),
    [describeFilter(plain)],
  );
}

/** Throws `AssertionError` if any sandboxed job matches `filter`. */
function refuteEnqueued<Args extends unknown[]>(kiq: Kiq, filter: JobFilter<Args>): void {
  checkFilter(filter);
  const plain = filter as JobFilter;
  const found = storeOf(kiq).jobs.filter((job) => matches(job, plain));
  if (found.length === 0) return;
  throw filterAssertion(
    `expected no job matching ${JSON.stringify(describeFilter(plain))} to be enqueued, but found: ${JSON.stringify(found.map(describeJob))}`,
    'refuteEnqueued',
    found.map((job) => projectJob(job, plain)),
    [],
  );
}

/** Forget every sandboxed job. */
function clear(kiq: Kiq): void {
  storeOf(kiq).clear();
}

/**
 * Perform the sandboxed jobs inline, oldest first, scheduled ones included,
 * until none is left (jobs enqueued by a job run too). Resolves with how many
 * ran; rejects with the first job's error (that job is removed, later ones
 * stay) or with `UnknownWorkerError` for a class no worker handles.
 */
async function drain(kiq: Kiq, options: DrainOptions = {}): Promise<number> {
  return performSandboxed(kiq, storeOf(kiq), (candidate) => options.queue === undefined || candidate.payload.queue === options.queue);
}

/**
 * Sandbox assertions and helpers.
 * @namespace
 */
export const Testing = {
  /** Jobs in the sandbox matching `filter` (all when omitted), in enqueue order. */
  enqueued,
  /** Throws `AssertionError` unless some sandboxed job matches `filter`. */
  assertEnqueued,
  /** Throws `AssertionError` if any sandboxed job matches `filter`. */
  refuteEnqueued,
  /** Forget every sandboxed job. */
  clear,
  /**
   * Perform the sandboxed jobs inline, oldest first, scheduled ones included,
   * until none is left (jobs enqueued by a job run too). Resolves with how many
   * ran; rejects with the first job's error (that job is removed, later ones
   * stay) or with `UnknownWorkerError` for a class no worker handles.
   */
  drain,
} as const;
