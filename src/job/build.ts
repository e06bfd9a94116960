/**
 * @internal
 * Building a job payload from a worker or a plain object: Sidekiq's client
 * `normalize_item` (defaults, jid, created_at, options merged into the
 * payload), with TS option names in milliseconds mapped to Sidekiq's wire keys
 * in seconds (docs/sidekiq-contract.md §2, §3, §10, §11; docs/architecture.md §2).
 */
import type { Clock } from '../clock.js';
import { describe, InvalidJobError } from '../errors.js';
import type { Worker, WorkerOptions } from '../worker.js';
import { newJid } from './jid.js';
import { applyClient, type JobMiddleware } from './middleware.js';
import type { JobPayload, RetryOption } from './payload.js';
import { MS_THRESHOLD, readTimestamp } from './timestamp.js';

/**
 * Per-call options: the worker's options (overriding them) plus scheduling and a jid.
 *
 * @example
 * const options: EnqueueOptions = { in: 30_000, queue: 'urgent', uniqueFor: 60_000 };
 */
export interface EnqueueOptions extends WorkerOptions {
  /** Run after this many ms. Exclusive with `at`. */
  in?: number;
  /** Run at this time: a `Date` or epoch **milliseconds**. Exclusive with `in`. */
  at?: Date | number;
  /** Use this jid instead of a new one. */
  jid?: string;
}

/**
 * A job given as Sidekiq would push it from Ruby: wire keys and units
 * (`unique_for`/`expires_in` in seconds). Keys Kiq does not know (`tags`,
 * `bid`, …) go into the payload as they are.
 *
 * @example
 * const job: PlainJob = { class: 'RubyWorker', args: [1], queue: 'low', tags: ['import'] };
 */
export interface PlainJob {
  class: string;
  args?: readonly unknown[];
  queue?: string;
  retry?: RetryOption;
  jid?: string;
  [key: string]: unknown;
}

/**
 * A job for a defined worker: its options apply, per-call options override them.
 *
 * @example
 * const job: WorkerJob<[string, number]> = { worker: Mailer, args: ['a@b.c', 1] };
 */
export interface WorkerJob<Args extends unknown[] = unknown[]> {
  worker: Worker<Args>;
  args: Args;
}

/**
 * What {@link buildJob} returns.
 *
 * @example
 * const { payload, atSec, uniqueTtlMs }: BuiltJob = buildJob({ class: 'W' }, clock, { in: 5_000 });
 */
export interface BuiltJob {
  /** The payload, without `enqueued_at` (set when it is pushed) and without `at`. */
  payload: JobPayload;
  /** Scheduled run time, float epoch seconds: the `schedule` score. Absent: push now. */
  atSec?: number;
  /** Unique jobs: TTL of the `unique:<digest>` lock in whole ms, `unique_for` plus the delay until `atSec`. */
  uniqueTtlMs?: number;
}

const EMPTY: EnqueueOptions = {};
const NO_MIDDLEWARE: readonly JobMiddleware[] = [];
const OPTION_KEYS = new Set(['in', 'at', 'jid', 'queue', 'retry', 'dead', 'backtrace', 'uniqueFor', 'uniqueUntil', 'expiresIn']);
/** Plain-job keys `buildJob` writes itself, where Sidekiq 6.4 puts them (docs/sidekiq-contract.md §2). */
const OWN_KEYS = new Set(['retry', 'queue', 'class', 'args', 'jid', 'created_at', 'enqueued_at']);
/** Nesting deeper than this in args is refused (it is most likely a cycle). */
const MAX_DEPTH = 512;

/**
 * Builds a payload: `queue` "default", `retry` true, `args` [] (plain form),
 * a new jid and `created_at` = now unless given. Options map to wire keys:
 * `uniqueFor` ms → `unique_for` s, `expiresIn` ms → `expires_in` s and
 * `expires_at` = (run time) + `expires_in`. `in`/`at` in the past or now mean
 * "push now", as in Sidekiq. Throws `InvalidJobError` naming the bad field;
 * args must be plain JSON (no `undefined`, `Date`, class instances, `NaN`…).
 * The payload shares `args` with the caller: do not mutate them until pushed.
 * Last, each `client` hook of `middleware` sees the payload (and may add keys).
 *
 * @example
 * const { payload, atSec } = buildJob({ worker: Mailer, args: ['a@b.c', 1] }, clock, { in: 30_000 });
 * // payload: { retry: 5, queue: 'mailers', class: 'Mailer', args: ['a@b.c', 1], jid: '…', created_at: 1767225600 }
 * // atSec: 1767225630
 * buildJob({ class: 'RubyWorker', args: [1], tags: ['x'] }, clock).payload.queue; // 'default'
 */
export function buildJob<Args extends unknown[]>(
  input: WorkerJob<Args> | PlainJob,
  clock: Clock,
  options: EnqueueOptions = EMPTY,
  middleware: readonly JobMiddleware[] = NO_MIDDLEWARE,
): BuiltJob {
  if (input === null || typeof input !== 'object') {
    throw new InvalidJobError(`expected { worker, args } or a plain job object, got ${describe(input)}`, input);
  }
  if (options !== EMPTY) checkOptionKeys(options);
  const nowMs = clock.realMs();
  const atMs = scheduleMs(options, nowMs);
  const payload = isWorkerJob(input) ? fromWorker(input, options) : fromPlain(input, options);

  const nowSec = nowMs / 1000;
  if (payload.created_at === undefined) payload.created_at = nowSec;
  const built: BuiltJob = { payload };
  if (atMs !== undefined) built.atSec = atMs / 1000;
  if (typeof payload.expires_in === 'number') payload.expires_at = (built.atSec ?? nowSec) + payload.expires_in;
  if (typeof payload.unique_for === 'number') {
    // Whole ms for SET PX, never shorter than asked: 1.5 s in 2 h → 7_201_500.
    const delayMs = atMs === undefined ? 0 : Math.ceil(atMs - nowMs);
    built.uniqueTtlMs = Math.max(1, Math.round(payload.unique_for * 1000)) + delayMs;
  }
  applyClient(middleware, payload);
  return built;
}

function isWorkerJob(input: object): input is WorkerJob {
  return !('class' in input) && 'worker' in input;
}

function fromWorker(input: WorkerJob, options: EnqueueOptions): JobPayload {
  const worker = input.worker as Worker | null;
  if (worker === null || typeof worker !== 'object') invalid('worker', 'a worker from defineWorker()', worker, input);
  const payload = head(worker.class, options.queue ?? worker.queue, options.retry ?? worker.retry, input);
  applyOptions(payload, worker, input);
  applyOptions(payload, options, input);
  return tail(payload, input.args, options.jid, input);
}

function fromPlain(input: PlainJob, options: EnqueueOptions): JobPayload {
  const payload = head(input.class, options.queue ?? input.queue, options.retry ?? input.retry, input);
  for (const key of Object.keys(input)) {
    if (OWN_KEYS.has(key)) continue;
    const value = input[key];
    if (value !== undefined) setKey(payload, key, plainValue(key, value, input));
  }
  applyOptions(payload, options, input);
  const built = tail(payload, input.args ?? [], options.jid ?? input.jid, input);
  if (input.created_at !== undefined) {
    const sec = readTimestamp(input.created_at);
    if (sec === undefined) invalid('created_at', 'epoch seconds', input.created_at, input);
    built.created_at = sec;
  }
  return built;
}

/** `retry, queue, class` first, as Sidekiq writes them. */
function head(cls: unknown, queue: unknown, retry: unknown, input: unknown): JobPayload {
  if (typeof cls !== 'string' || cls === '') invalid('class', 'a non-empty string', cls, input);
  queue ??= 'default';
  if (typeof queue !== 'string' || queue === '') invalid('queue', 'a non-empty string', queue, input);
  retry ??= true;
  if (typeof retry !== 'boolean' && !isCount(retry)) invalid('retry', 'true, false or a non-negative integer', retry, input);
  return { retry, queue, class: cls } as JobPayload;
}

/** `args, jid` after the options, as Sidekiq writes them. */
function tail(payload: JobPayload, args: unknown, jid: unknown, input: unknown): JobPayload {
  if (!Array.isArray(args)) invalid('args', 'an array', args, input);
  const fault = jsonFault(args, 0);
  if (fault !== undefined) throw new InvalidJobError(`args${fault.path} ${fault.reason}`, input);
  payload.args = args;
  jid ??= newJid();
  if (typeof jid !== 'string' || jid === '') invalid('jid', 'a non-empty string', jid, input);
  payload.jid = jid;
  return payload;
}

/** Worker or per-call options (ms, camelCase) onto wire keys (s, snake_case). */
function applyOptions(payload: JobPayload, o: WorkerOptions, input: unknown): void {
  if (o.dead !== undefined) {
    if (typeof o.dead !== 'boolean') invalid('dead', 'a boolean', o.dead, input);
    payload.dead = o.dead;
  }
  if (o.backtrace !== undefined) {
    if (typeof o.backtrace !== 'boolean' && !isCount(o.backtrace)) invalid('backtrace', 'a boolean or a line count', o.backtrace, input);
    payload.backtrace = o.backtrace;
  }
  if (o.uniqueFor !== undefined) payload.unique_for = positive('uniqueFor', o.uniqueFor, input) / 1000;
  if (o.uniqueUntil !== undefined) payload.unique_until = uniqueUntil('uniqueUntil', o.uniqueUntil, input);
  if (o.expiresIn !== undefined) payload.expires_in = positive('expiresIn', o.expiresIn, input) / 1000;
}

/** Validates a key of a plain job; known Sidekiq keys get their rules, others must be JSON. */
function plainValue(key: string, value: unknown, input: unknown): unknown {
  switch (key) {
    case 'at':
    case 'in':
      throw new InvalidJobError(`"${key}" is not a payload key: schedule with the options { in: ms } or { at: Date | epoch ms }`, input);
    case 'dead':
      if (typeof value !== 'boolean') invalid(key, 'a boolean', value, input);
      return value;
    case 'backtrace':
      if (typeof value !== 'boolean' && !isCount(value)) invalid(key, 'a boolean or a line count', value, input);
      return value;
    case 'unique_for':
      return value === false ? value : positive(key, value, input); // false: not unique (Enterprise)
    case 'unique_until':
      return uniqueUntil(key, value, input);
    case 'expires_in':
      return positive(key, value, input);
    case 'failed_at':
    case 'retried_at':
    case 'expires_at': {
      const sec = readTimestamp(value);
      if (sec === undefined) invalid(key, 'epoch seconds', value, input);
      return sec;
    }
    default: {
      const fault = jsonFault(value, 0);
      if (fault !== undefined) throw new InvalidJobError(`${key}${fault.path} ${fault.reason}`, input);
      return value;
    }
  }
}

function checkOptionKeys(options: EnqueueOptions): void {
  if (options === null || typeof options !== 'object') {
    throw new InvalidJobError(`expected options to be an object, got: ${describe(options)}`, options);
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) {
      throw new InvalidJobError(`unknown option "${key}" (known: ${[...OPTION_KEYS].join(', ')})`, options);
    }
  }
}

/** The run time in epoch ms, or `undefined` to push now. */
function scheduleMs(options: EnqueueOptions, nowMs: number): number | undefined {
  const { in: inMs, at } = options;
  if (inMs === undefined && at === undefined) return undefined;
  if (inMs !== undefined && at !== undefined) throw new InvalidJobError('give either "in" or "at", not both', options);
  let atMs: number;
  if (inMs !== undefined) {
    if (typeof inMs !== 'number' || !Number.isFinite(inMs)) invalid('in', 'a finite number of ms', inMs, options);
    atMs = nowMs + inMs;
  } else if (at instanceof Date) {
    atMs = at.getTime();
    if (Number.isNaN(atMs)) invalid('at', 'a valid Date', at, options);
  } else {
    if (typeof at !== 'number' || !Number.isFinite(at)) invalid('at', 'a Date or epoch milliseconds', at, options);
    if (at < MS_THRESHOLD) invalid('at', 'epoch milliseconds (this looks like seconds)', at, options);
    atMs = at;
  }
  return atMs > nowMs ? atMs : undefined; // Sidekiq pushes a past `at` at once
}

function positive(name: string, value: unknown, input: unknown): number {
  if (typeof value !== 'number' || !(value > 0) || value === Infinity) invalid(name, 'a positive finite number', value, input);
  return value;
}

function uniqueUntil(name: string, value: unknown, input: unknown): 'start' | 'success' {
  if (value !== 'start' && value !== 'success') invalid(name, '"start" or "success"', value, input);
  return value;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

function invalid(name: string, expected: string, got: unknown, input: unknown): never {
  throw new InvalidJobError(`expected "${name}" to be ${expected}, got: ${describe(got)}`, input);
}

/** Sets a key as an own data property, even `__proto__` (which `=` would turn into a prototype change). */
function setKey(target: object, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else (target as Record<string, unknown>)[key] = value;
}

interface Fault {
  path: string;
  reason: string;
}

/** One recursive walk: `undefined` when `value` is plain JSON, else where and why not. */
function jsonFault(value: unknown, depth: number): Fault | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : { path: '', reason: `is ${value}, which JSON cannot hold` };
    case 'object': {
      if (value === null) return undefined;
      if (depth >= MAX_DEPTH) return { path: '', reason: `is nested more than ${MAX_DEPTH} levels deep (circular?)` };
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const fault = jsonFault(value[i], depth + 1);
          if (fault !== undefined) return { path: `[${i}]${fault.path}`, reason: fault.reason };
        }
        return undefined;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return { path: '', reason: notPlain(value) };
      const record = value as Record<string, unknown>;
      for (const key of Object.keys(record)) {
        const fault = jsonFault(record[key], depth + 1);
        if (fault !== undefined) return { path: `${keyPath(key)}${fault.path}`, reason: fault.reason };
      }
      return undefined;
    }
    case 'undefined':
      return { path: '', reason: 'is undefined, which JSON cannot hold (use null)' };
    default:
      return { path: '', reason: `is a ${typeof value}, which JSON cannot hold` };
  }
}

function notPlain(value: object): string {
  if (value instanceof Date) return 'is a Date, which is not JSON: pass an ISO string (date.toISOString())';
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return `is ${typeof name === 'string' && name !== '' ? `a ${name}` : 'an object with a custom prototype'}, not a plain object, array or JSON value`;
}

function keyPath(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}
