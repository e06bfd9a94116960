/**
 * @internal
 * Job filters for the sandbox assertions: only the keys given are compared
 * (Kiq.Testing semantics, docs/kiq-elixir.md §12), so `{ class: 'Mailer' }`
 * matches any args. A key that is not a filter key throws: a typo such as
 * `{ queu: 'x' }` would otherwise match every job (assert) or none (refute).
 */
import { isDeepStrictEqual } from 'node:util';
import type { RetryOption, UniqueUntil } from '../job/payload.js';
import type { Worker } from '../worker.js';
import type { SandboxJob } from './sandbox-store.js';

/**
 * What to look for among sandboxed jobs; every given key must match. With
 * `class` a worker, `args` must have that worker's argument type.
 */
export interface JobFilter<Args extends unknown[] = unknown[]> {
  /** A worker, or its class name. */
  class?: Worker<Args> | string;
  queue?: string;
  /** Compared deeply; typed by `class` when it is a worker (never inferred from the args given). */
  args?: NoInfer<Readonly<Args>>;
  /** Scheduled run time: a `Date` or epoch ms. */
  at?: Date | number;
  /** Scheduled delay in ms from the enqueue. */
  in?: number;
  jid?: string;
  retry?: RetryOption;
  dead?: boolean;
  backtrace?: boolean | number;
  /** Seconds, as in the payload. */
  unique_for?: number;
  unique_until?: UniqueUntil;
  /** Seconds, as in the payload. */
  expires_in?: number;
  tags?: readonly unknown[];
  /** Any other payload keys (wire names), each compared deeply, e.g. `{ bid: 'b-1' }`. */
  payload?: Readonly<Record<string, unknown>>;
}

/** The keys a {@link JobFilter} may have. */
const FILTER_KEYS: ReadonlySet<string> = new Set([
  'class', 'queue', 'args', 'at', 'in', 'jid', 'retry', 'dead', 'backtrace', 'unique_for', 'unique_until', 'expires_in', 'tags', 'payload',
]);

/** Throws a `TypeError` naming the first key of `filter` that is not a filter key. */
export function checkFilter(filter: object): void {
  if (filter === null || typeof filter !== 'object') throw new TypeError(`expected a job filter object, got ${String(filter)}`);
  for (const key of Object.keys(filter)) {
    if (!FILTER_KEYS.has(key)) {
      throw new TypeError(`unknown job filter key "${key}" (known: ${[...FILTER_KEYS].join(', ')}; other payload keys go in { payload: { ${key}: … } })`);
    }
  }
}

/** The filter as plain data, for messages and diffs: workers become their class names, dates ISO strings. */
export function describeFilter(filter: JobFilter): Record<string, unknown> {
  const plain: Record<string, unknown> = { ...filter };
  if (filter.class !== undefined) plain.class = className(filter.class);
  if (filter.at instanceof Date) plain.at = filter.at.toISOString();
  if (typeof filter.at === 'number') plain.at = new Date(filter.at).toISOString();
  return plain;
}

/** A sandboxed job as plain data for messages: its payload plus `at`/`in` when scheduled. */
export function describeJob(job: SandboxJob): Record<string, unknown> {
  return {
    ...job.payload,
    ...(job.atMs === undefined ? {} : { at: new Date(job.atMs).toISOString(), in: job.inMs }),
  };
}

/**
 * A sandboxed job shaped like `filter`, for a diff against it: only the
 * filter's keys (a key the job lacks shows as `undefined`), `payload` holding
 * only the filter's payload keys.
 */
export function projectJob(job: SandboxJob, filter: JobFilter): Record<string, unknown> {
  const full = describeJob(job);
  const shaped: Record<string, unknown> = {};
  for (const key of Object.keys(filter)) {
    if (key === 'payload') {
      shaped.payload = Object.fromEntries(Object.keys(filter.payload ?? {}).map((inner) => [inner, job.payload[inner]]));
    } else {
      shaped[key] = full[key];
    }
  }
  return shaped;
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
      case 'payload':
        for (const [inner, value] of Object.entries(expected as Record<string, unknown>)) {
          if (!isDeepStrictEqual(job.payload[inner], value)) return false;
        }
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
