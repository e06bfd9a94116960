/**
 * The error catalogue: every error Kiq throws or reports, each with a stable
 * `code`. Codes are never reused; the README's error table has one row per
 * code and `test/errors.test.ts` fails when the two disagree.
 */

import { inspect } from 'node:util';

/** Every code Kiq can attach to an error. */
export type KiqErrorCode =
  | 'KIQ_ERR_CONFIG'
  | 'KIQ_ERR_INVALID_JOB'
  | 'KIQ_ERR_BUFFER_FULL'
  | 'KIQ_ERR_NOT_RUNNING'
  | 'KIQ_ERR_UNKNOWN_WORKER'
  | 'KIQ_ERR_SCRIPT'
  | 'KIQ_ERR_ESCALATED'
  | 'KIQ_ERR_UNFLUSHED'
  | 'KIQ_ERR_REPORTER_DISABLED'
  | 'KIQ_ERR_ADMIN';

/** Base class of every error Kiq throws; `code` is stable across releases. */
export class KiqError extends Error {
  /** Stable machine-readable code, e.g. `KIQ_ERR_CONFIG`. */
  readonly code: KiqErrorCode;

  constructor(code: KiqErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * An option given to `new Kiq(...)` (or returned by its `init` hook) is invalid.
 * The message names the option, what was expected and what came.
 *
 * @example
 * new Kiq({ poolSize: 0 });
 * // KiqConfigError: expected option "poolSize" to be a positive integer, got: 0
 */
export class KiqConfigError extends KiqError {
  /** Dotted path of the offending option, e.g. `queues.mailers`. */
  readonly option: string;

  constructor(option: string, expected: string, got: unknown) {
    super('KIQ_ERR_CONFIG', `expected option "${option}" to be ${expected}, got: ${describe(got)}`);
    this.option = option;
  }
}

/**
 * A job payload cannot be built or decoded: not JSON, not an object, or
 * missing a string `class` / an array `args`. The raw input is kept so the
 * payload can go to the dead set unchanged.
 */
export class InvalidJobError extends KiqError {
  /** The raw payload (as read from Redis) or the input that was rejected. */
  readonly payload: unknown;

  constructor(reason: string, payload: unknown, options?: { cause?: unknown }) {
    super('KIQ_ERR_INVALID_JOB', `invalid job: ${reason}`, options);
    this.payload = payload;
  }
}

/**
 * The reliable-push buffer holds `bufferLimit` jobs already (Redis has been
 * unreachable for a while); the job was not accepted. Nothing is dropped
 * silently: the caller decides what to do with it.
 */
export class BufferFullError extends KiqError {
  constructor(limit: number) {
    super('KIQ_ERR_BUFFER_FULL', `reliable-push buffer is full (${limit} jobs waiting for Redis); job not accepted`);
  }
}

/** An operation needs a started instance (or one not yet stopped). */
export class KiqNotRunningError extends KiqError {
  constructor(operation: string, state: string, options?: { cause?: unknown }) {
    super('KIQ_ERR_NOT_RUNNING', `cannot ${operation}: kiq is ${state}`, options);
  }
}

/** A fetched job names a class that no registered worker has. */
export class UnknownWorkerError extends KiqError {
  constructor(className: string) {
    super('KIQ_ERR_UNKNOWN_WORKER', `no worker registered for class "${className}"`);
  }
}

/** A Lua script returned an error code or failed in Redis. */
export class ScriptError extends KiqError {
  /** Name of the script, as its file name without `.lua`. */
  readonly script: string;

  constructor(script: string, message: string, options?: { cause?: unknown }) {
    super('KIQ_ERR_SCRIPT', `${script}: ${message}`, options);
    this.script = script;
  }
}

/**
 * The actor tree gave up: a supervisor exceeded its restart intensity and
 * escalated to the root. `cause` is the last child error.
 */
export class EscalationError extends KiqError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('KIQ_ERR_ESCALATED', message, options);
  }
}

/**
 * `stop()` could not write every buffered job to Redis before its timeout
 * (Redis unreachable). The jobs are not lost: `jobs` holds their JSON, ready
 * to be pushed by other means or logged.
 */
export class UnflushedJobsError extends KiqError {
  /** JSON of every job that did not reach Redis, oldest first. */
  readonly jobs: readonly string[];

  constructor(jobs: readonly string[], options?: { cause?: unknown }) {
    super('KIQ_ERR_UNFLUSHED', `${jobs.length} enqueued job(s) could not be written to Redis before stop; see error.jobs`, options);
    this.jobs = jobs;
  }
}

/**
 * A reporter (an `extraReporters` entry or a built-in one) crashed too often
 * and gets no more events until the process restarts. Jobs are unaffected.
 */
export class ReporterDisabledError extends KiqError {
  /** The reporter's systemId, e.g. `reporter:0`. */
  readonly reporter: string;
  /** Crashes counted within the window when it was disabled. */
  readonly crashes: number;

  constructor(reporter: string, crashes: number, windowMs: number, cause: Error) {
    super(
      'KIQ_ERR_REPORTER_DISABLED',
      `${reporter} disabled after ${crashes} crashes within ${windowMs} ms; it gets no more events until the process restarts (last error: ${cause.message})`,
      { cause },
    );
    this.reporter = reporter;
    this.crashes = crashes;
  }
}

/**
 * What went wrong in an `Admin` call (`kiq/admin`), as {@link AdminError.kind}:
 * `not-found` (no such queue, job or live process), `ambiguous` (an identity
 * prefix names several processes), `invalid-argument` (a bad limit, day
 * count, name or entry), `redis` (Redis refused the command or could not be
 * reached; `cause` is the ioredis error), `closed` (the Admin was closed).
 */
export type AdminErrorKind = 'not-found' | 'ambiguous' | 'invalid-argument' | 'redis' | 'closed';

/**
 * An `Admin` operation (`kiq/admin`) could not be done; `kind` says why and
 * the message names what was asked for. Nothing was changed unless the
 * message says so: bulk operations report partial results instead of throwing.
 *
 * @example
 * try { await admin.quiet('web-1'); } catch (e) { if (e instanceof AdminError && e.kind === 'not-found') ... }
 */
export class AdminError extends KiqError {
  /** Why the operation failed. */
  readonly kind: AdminErrorKind;

  constructor(kind: AdminErrorKind, message: string, options?: { cause?: unknown }) {
    super('KIQ_ERR_ADMIN', message, options);
    this.kind = kind;
  }
}

/** Every error class in the catalogue, keyed by code (used by the docs test). */
export const ERROR_CLASSES: Readonly<Record<KiqErrorCode, string>> = {
  KIQ_ERR_CONFIG: 'KiqConfigError',
  KIQ_ERR_INVALID_JOB: 'InvalidJobError',
  KIQ_ERR_BUFFER_FULL: 'BufferFullError',
  KIQ_ERR_NOT_RUNNING: 'KiqNotRunningError',
  KIQ_ERR_UNKNOWN_WORKER: 'UnknownWorkerError',
  KIQ_ERR_SCRIPT: 'ScriptError',
  KIQ_ERR_ESCALATED: 'EscalationError',
  KIQ_ERR_UNFLUSHED: 'UnflushedJobsError',
  KIQ_ERR_REPORTER_DISABLED: 'ReporterDisabledError',
  KIQ_ERR_ADMIN: 'AdminError',
};

/** Short, safe rendering of a value for error messages. */
export function describe(value: unknown): string {
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol' || value === undefined) return String(value);
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (value instanceof Map || value instanceof Set || value instanceof Date) return inspect(value, { depth: 2, breakLength: Infinity });
  try {
    const text = JSON.stringify(value);
    if (text === undefined) return String(value);
    return text.length > 200 ? `${text.slice(0, 197)}...` : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}
