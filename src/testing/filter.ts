/**
 * @internal
 * Job filters for the sandbox assertions: only the keys given are compared
 * (Kiq.Testing semantics, KIQ-BEHAVIOUR.md §12), so `{ class: 'Mailer' }`
 * matches any args.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Worker } from '../worker.js';
import type { SandboxJob } from './sandbox-store.js';

/** What to look for among sandboxed jobs; every given key must match. */
export interface JobFilter {
  /** A worker, or its class name. */
  class?: Worker | string;
  queue?: string;
  /** Compared deeply. */
  args?: readonly unknown[];
  /** Scheduled run time: a `Date` or epoch ms. */
  at?: Date | number;
  /** Scheduled delay in ms from the enqueue. */
  in?: number;
  /** Any other payload key (wire name), compared deeply, e.g. `retry`, `jid`. */
  [key: string]: unknown;
}

/** The filter as plain data, for messages: workers become their class names, dates ISO strings. */
export function describeFilter(filter: JobFilter): Record<string, unknown> {
  const plain: Record<string, unknown> = { ...filter };
  if (filter.class !== undefined) plain.class = className(filter.class);
  if (filter.at instanceof Date) plain.at = filter.at.toISOString();
  return plain;
}

/** A sandboxed job as plain data for messages: its payload plus `at`/`in` when scheduled. */
export function describeJob(job: SandboxJob): Record<string, unknown> {
  return {
    ...job.payload,
    ...(job.atMs === undefined ? {} : { at: new Date(job.atMs).toISOString(), in: job.inMs }),
  };
}

/** Whether `job` matches every key of `filter`. */
export function matches(job: SandboxJob, filter: JobFilter): boolean {
  for (const [key, expected] of Object.entries(filter)) {
    if (expected === undefined) continue;
    switch (key) {
      case 'class':
        if (job.payload.class !== className(expected as Worker | string)) return false;
        break;
      case 'at': {
        const atMs = expected instanceof Date ? expected.getTime() : expected;
        if (job.atMs === undefined || Math.abs(job.atMs - (atMs as number)) >= 1) return false;
        break;
      }
      case 'in':
        if (job.inMs === undefined || Math.abs(job.inMs - (expected as number)) >= 1) return false;
        break;
      default:
        if (!isDeepStrictEqual(job.payload[key], expected)) return false;
    }
  }
  return true;
}

function className(value: Worker | string): string {
  return typeof value === 'string' ? value : value.class;
}
