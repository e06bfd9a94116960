/**
 * @internal
 * Option validation, one validator per option in {@link VALIDATORS}. A
 * validator checks a given value and returns it in the form `ResolvedConfig`
 * holds (copied and frozen where it is ours, untouched where it is the
 * caller's). Every failure is `KiqConfigError(path, expected, got)`:
 * `expected option "queues.mailers" to be a positive integer, got: 0`
 * (oban `validation.ex`).
 */
import type { RedisOptions } from 'ioredis';
import type { Clock } from '../clock.js';
import { MAX_TIMER_MS } from '../../machines/timer-limit.js';
import { KiqConfigError } from '../errors.js';
import { resolveHealth, type HealthOptions, type ResolvedHealth } from '../health/options.js';
import type { JobMiddleware } from '../job/middleware.js';
import { parseCron } from '../cron.js';
import { redactUrl } from '../redis/redact-url.js';
import type { Worker, WorkerOptions } from '../worker.js';
import { SPOOL_DEFAULTS } from './defaults.js';
import type { InspectOption, KiqOptions, Logger, Periodic, Reporter, ResolvedConfig, ResolvedSpool } from './options.js';

/** Checks `value` (found at option path `path`) and returns its validated form. */
type Validator<T> = (value: unknown, path: string) => T;
type AnyObject = Record<string, unknown>;

/** Shortest `livenessTtl`: renewed every ttl/5, which must stay well above a Redis round trip and timer jitter. */
export const MIN_LIVENESS_TTL_MS = 1_000;

/** Shortest `leaderTtl`: its renew interval (ttl/4) and lease margin (ttl/10) must stay above a Redis round trip. */
export const MIN_LEADER_TTL_MS = 100;

function fail(path: string, expected: string, got: unknown): never {
  throw new KiqConfigError(path, expected, got);
}

const isObject = (v: unknown): v is AnyObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const isPlainObject = (v: unknown): v is AnyObject =>
  isObject(v) && [Object.prototype, null].includes(Object.getPrototypeOf(v));
const isFunction = (v: unknown): v is (...args: never[]) => unknown => typeof v === 'function';

/** `queues.mailers`, or `queues['mail-ers']` when the name is not an identifier. */
function keyPath(path: string, name: string): string {
  if (/^[A-Za-z_$][\w$]*$/.test(name)) return `${path}.${name}`;
  return `${path}['${name.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}']`;
}

function integer(min: 0 | 1, unit = ''): Validator<number> {
  const expected = `${min === 1 ? 'a positive' : 'a non-negative'} integer${unit}`;
  return (v, path) => (Number.isSafeInteger(v) && (v as number) >= min ? (v as number) : fail(path, expected, v));
}

/** A delay that ends up in setTimeout, so it must fit its 32-bit limit. */
function timerMs(min: 0 | 1): Validator<number> {
  const ms = integer(min, ' of milliseconds');
  return (v, path) => {
    const n = ms(v, path);
    return n <= MAX_TIMER_MS ? n : fail(path, `at most ${MAX_TIMER_MS} milliseconds (the setTimeout limit)`, v);
  };
}

const boolean: Validator<boolean> = (v, path) => (typeof v === 'boolean' ? v : fail(path, 'a boolean', v));
const booleanOrCount: Validator<boolean | number> = (v, path) =>
  typeof v === 'boolean' || (Number.isSafeInteger(v) && (v as number) >= 0)
    ? (v as boolean | number)
    : fail(path, 'a boolean or a non-negative integer', v);

function oneOf<const T extends string>(values: readonly T[]): Validator<T> {
  const expected = values.map((s) => JSON.stringify(s)).join(' or ');
  return (v, path) => (values.includes(v as T) ? (v as T) : fail(path, expected, v));
}

function arrayOf<T>(item: Validator<T>, expected: string): Validator<readonly T[]> {
  return (v, path) => {
    if (!Array.isArray(v)) fail(path, expected, v);
    return Object.freeze(Array.from(v, (x: unknown, i) => item(x, `${path}[${i}]`)));
  };
}

/** Rejects the second item with the same key, naming the first. */
function unique<T>(list: readonly T[], path: string, keyOf: (item: T) => string): readonly T[] {
  const seen = new Map<string, number>();
  list.forEach((item, i) => {
    const first = seen.get(keyOf(item));
    if (first !== undefined) fail(`${path}[${i}]`, `unique (${JSON.stringify(keyOf(item))} is also ${path}[${first}])`, item);
    seen.set(keyOf(item), i);
  });
  return list;
}

/** Any name Sidekiq can hold; whitespace and control characters are typos, not names. */
const queueName: Validator<string> = (v, path) =>
  typeof v === 'string' && v !== '' && !/[\s\p{Cc}]/u.test(v)
    ? v
    : fail(path, 'a queue name: a non-empty string without whitespace or control characters', v);

const queues: Validator<Readonly<Record<string, number>>> = (v, path) => {
  if (!isPlainObject(v)) fail(path, 'an object of queue name → concurrency, e.g. { default: 25 }', v);
  const concurrency = integer(1);
  const entries = Object.entries(v).map(([name, n]) => {
    const at = keyPath(path, name);
    return [queueName(name, at), concurrency(n, at)] as const;
  });
  return Object.freeze(Object.fromEntries(entries));
};

const HEALTH_MS = ['fetchStaleMs', 'redisDownMs', 'redisSlowMs', 'pingTimeoutMs', 'bufferAgeMs', 'sampleMs'] as const;

const health: Validator<ResolvedHealth> = (v, path) => {
  if (!isPlainObject(v)) fail(path, 'an object { port?, host?, fetchStaleMs?, … }', v);
  for (const [name, value] of Object.entries(v)) {
    if (value === undefined) continue;
    const at = keyPath(path, name);
    if (name === 'port') {
      if (!Number.isSafeInteger(value) || (value as number) < 0 || (value as number) > 65_535) fail(at, 'a TCP port (0 to 65535; 0: any free port)', value);
    } else if (name === 'prometheus') {
      if (typeof value !== 'boolean') fail(at, 'a boolean', value);
    } else if (name === 'host') {
      if (typeof value !== 'string' || value === '') fail(at, 'a host name or address to listen on', value);
    } else if ((HEALTH_MS as readonly string[]).includes(name)) timerMs(1)(value, at);
    else fail(at, `a known health option (${['port', 'host', 'prometheus', ...HEALTH_MS].join(', ')})`, value);
  }
  return resolveHealth(v as HealthOptions);
};

const JOB_OPTIONS: { readonly [K in keyof WorkerOptions]-?: Validator<WorkerOptions[K]> } = {
  queue: queueName,
  retry: booleanOrCount,
  dead: boolean,
  backtrace: booleanOrCount,
  uniqueFor: integer(1, ' of milliseconds'),
  uniqueUntil: oneOf(['start', 'success']),
  expiresIn: integer(1, ' of milliseconds'),
};

/** Checks the Sidekiq options a worker or a periodic entry carries (those present). */
export function checkJobOptions(options: AnyObject, path: string): void {
  for (const [name, validate] of Object.entries(JOB_OPTIONS)) {
    if (options[name] !== undefined) validate(options[name], keyPath(path, name));
  }
}

const isWorker = (v: unknown): v is Worker =>
  (isObject(v) || isFunction(v)) &&
  typeof (v as AnyObject).class === 'string' &&
  (v as AnyObject).class !== '' &&
  isFunction((v as AnyObject).perform);

const worker: Validator<Worker> = (v, path) => {
  if (!isWorker(v)) fail(path, 'a worker (defineWorker): a non-empty string class and a perform function', v);
  const w = v as unknown as AnyObject;
  if (w.retryIn !== undefined && !isFunction(w.retryIn)) fail(keyPath(path, 'retryIn'), 'a function', w.retryIn);
  checkJobOptions(w, path);
  return v;
};

const CRON_EXPECTED =
  'a cron expression of 5 fields (minute hour day-of-month month weekday, UTC), 6 with a leading seconds field, or an @alias such as @hourly';

/** Parses as the periodic loop will (src/cron.ts); returns the fields joined by single spaces (an alias as is). */
export function checkCron(expression: string, path: string): string {
  try {
    parseCron(expression);
  } catch (error) {
    return fail(path, `${CRON_EXPECTED}; ${(error as Error).message}`, expression);
  }
  const trimmed = expression.trim();
  return trimmed.startsWith('@') ? trimmed : trimmed.split(/\s+/).join(' ');
}

const PERIODIC_KEYS = ['args', ...Object.keys(JOB_OPTIONS)];
const NO_OPTIONS = Object.freeze({});

const periodic: Validator<Periodic> = (v, path) => {
  if (!Array.isArray(v) || v.length < 2 || v.length > 3) fail(path, 'a [cron, worker] or [cron, worker, options] tuple', v);
  const [cron, job, options = NO_OPTIONS] = v as unknown[];
  if (typeof cron !== 'string') fail(path, 'a tuple whose first item is a cron expression string', cron);
  const expression = checkCron(cron, path);
  if (typeof job === 'string' ? job === '' : !isWorker(job)) {
    fail(`${path}[1]`, 'a worker (defineWorker) or the class name of one', job);
  }
  const at = `${path}[2]`;
  if (!isPlainObject(options)) fail(at, 'an options object such as { args: [1] }', options);
  for (const name of Object.keys(options)) {
    if (!PERIODIC_KEYS.includes(name)) fail(keyPath(at, name), `a periodic option (${PERIODIC_KEYS.join(', ')})`, options[name]);
  }
  if (options.args !== undefined && !Array.isArray(options.args)) fail(`${at}.args`, 'an array of job arguments', options.args);
  checkJobOptions(options, at);
  return Object.freeze({
    expression,
    worker: typeof job === 'string' ? job : worker(job, `${path}[1]`),
    options: Object.freeze({ ...options }),
  });
};

const REPORTER_CALLBACKS = ['started', 'success', 'aborted', 'failure', 'stopped'] as const;

const reporter: Validator<Reporter> = (v, path) => {
  if (!isObject(v) || !REPORTER_CALLBACKS.some((name) => isFunction(v[name]))) {
    fail(path, `a reporter: an object with at least one of ${REPORTER_CALLBACKS.join(', ')} as a function`, v);
  }
  for (const name of REPORTER_CALLBACKS) {
    if (v[name] !== undefined && !isFunction(v[name])) fail(keyPath(path, name), 'a function', v[name]);
  }
  return v;
};

const middleware: Validator<JobMiddleware> = (v, path) => {
  if (!isObject(v) || !(isFunction(v.client) || isFunction(v.server))) fail(path, 'a middleware: an object with a client and/or a server function', v);
  for (const name of ['client', 'server']) {
    if (v[name] !== undefined && !isFunction(v[name])) fail(keyPath(path, name), 'a function', v[name]);
  }
  return v as JobMiddleware;
};

function methods<T>(names: readonly string[], expected: string): Validator<T> {
  return (v, path) => (isObject(v) && names.every((name) => isFunction(v[name])) ? (v as T) : fail(path, expected, v));
}

const REDIS_URL_EXPECTED = 'a redis:// or rediss:// URL';

/** Checks a Redis URL; the password, if any, is masked in the error. */
export function checkRedisUrl(v: unknown, path: string, expected = REDIS_URL_EXPECTED): string {
  if (typeof v === 'string' && /^rediss?:\/\//.test(v) && URL.canParse(v)) return v;
  return fail(path, expected, typeof v === 'string' ? redactUrl(v) : v);
}

const SPOOL_KEYS = ['dir', 'mode', 'maxBytes', 'after', 'segmentBytes'];

const spool: Validator<ResolvedSpool> = (v, path) => {
  if (!isPlainObject(v)) return fail(path, 'an object { dir, mode?, maxBytes?, after?, segmentBytes? }', v);
  for (const key of Object.keys(v)) if (!SPOOL_KEYS.includes(key)) fail(keyPath(path, key), `one of ${SPOOL_KEYS.join(', ')}`, v[key]);
  const dir = typeof v.dir === 'string' && v.dir !== '' ? v.dir : fail(`${path}.dir`, 'a non-empty directory path', v.dir);
  return Object.freeze({
    dir,
    mode: v.mode === undefined ? SPOOL_DEFAULTS.mode : oneOf(['outage', 'always'])(v.mode, `${path}.mode`),
    maxBytes: v.maxBytes === undefined ? SPOOL_DEFAULTS.maxBytes : integer(1, ' of bytes')(v.maxBytes, `${path}.maxBytes`),
    after: v.after === undefined ? SPOOL_DEFAULTS.after : timerMs(1)(v.after, `${path}.after`),
    segmentBytes: v.segmentBytes === undefined ? SPOOL_DEFAULTS.segmentBytes : integer(1, ' of bytes')(v.segmentBytes, `${path}.segmentBytes`),
  });
};

/** Everything an option can hold once valid: the config's fields plus the `init` hook. */
type Valid = ResolvedConfig & Pick<Required<KiqOptions>, 'init'>;

/** One validator per option; the key set is the set of known options. */
export const VALIDATORS: { readonly [K in keyof KiqOptions]-?: Validator<Valid[K]> } = {
  queues,
  workers: (v, path) => unique(arrayOf(worker, 'an array of workers (defineWorker)')(v, path), path, (w) => w.class),
  periodics: arrayOf(periodic, 'an array of [cron, worker, options?] tuples'),
  extraReporters: arrayOf(reporter, 'an array of reporters'),
  middleware: arrayOf(middleware, 'an array of middleware ({ client?, server? })'),
  fetchInterval: timerMs(1),
  prefetch: boolean,
  flushInterval: timerMs(1),
  flushMaxInterval: timerMs(1),
  bufferLimit: integer(1),
  spool,
  poolSize: integer(1),
  deadLimit: integer(1),
  deadTimeout: integer(1, ' of milliseconds'),
  schedulers: (v, path) =>
    unique(arrayOf(oneOf(['retry', 'schedule']), 'an array of "retry" and/or "schedule"')(v, path), path, String),
  pollInterval: timerMs(1),
  leaderTtl: (v, path) => {
    const ms = timerMs(1)(v, path);
    return ms >= MIN_LEADER_TTL_MS ? ms : fail(path, `at least ${MIN_LEADER_TTL_MS} milliseconds`, v);
  },
  livenessTtl: (v, path) => {
    const ms = timerMs(1)(v, path);
    return ms >= MIN_LIVENESS_TTL_MS ? ms : fail(path, `at least ${MIN_LIVENESS_TTL_MS} milliseconds`, v);
  },
  server: boolean,
  testMode: oneOf(['disabled', 'sandbox']),
  metrics: boolean,
  timestamps: oneOf(['seconds', 'ms']),
  health: (v, path) => health(v, path),
  quiet: boolean,
  identity: (v, path) =>
    typeof v === 'string' && v !== '' && !v.includes('|') ? v : fail(path, 'a non-empty string without "|"', v),
  tag: (v, path) => (typeof v === 'string' ? v : fail(path, 'a string', v)),
  shutdownTimeout: timerMs(0),
  maxRestarts: integer(0),
  restartWindow: timerMs(1),
  redis: (v, path) => (isObject(v) ? (v as RedisOptions) : fail(path, 'an ioredis options object', v)),
  redisUrl: (v, path) => checkRedisUrl(v, path),
  init: (v, path) => (isFunction(v) ? (v as Valid['init']) : fail(path, 'an async function (options) => options', v)),
  clock: methods<Clock>(['realMs', 'monoMs'], 'a clock with realMs() and monoMs() methods'),
  inspect: (v, path) =>
    isFunction(v) || (isObject(v) && ['next', 'error', 'complete'].some((name) => isFunction(v[name])))
      ? (v as InspectOption)
      : fail(path, 'an xstate inspection observer ({ next }) or a function', v),
  logger: methods<Logger>(['info', 'warn', 'error'], 'a logger with info, warn and error methods'),
};

/** Every option name, in declaration order. */
export const OPTION_NAMES = Object.keys(VALIDATORS) as readonly (keyof KiqOptions)[];

/** Kiq (Elixir) option names whose TS counterpart is not a spelling away. */
const KIQ_RENAMES = new Map([
  ['clientopts', ['redis', 'redisUrl']],
  ['reporters', ['extraReporters']],
  ['electttl', ['leaderTtl']],
]);

const normalize = (name: string): string => name.toLowerCase().replace(/[^a-z0-9]/g, '');

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length]!;
}

/**
 * What an unknown option should have been: Kiq's snake_case names, case
 * slips, typos within 2 edits, and names contained in one another.
 */
export function unknownOptionExpected(name: string): string {
  const wanted = normalize(name);
  const close = KIQ_RENAMES.get(wanted) ?? OPTION_NAMES
    .map((option) => ({ option, distance: editDistance(wanted, normalize(option)) }))
    .filter(({ option, distance }) =>
      distance <= 2 || (wanted.length >= 4 && normalize(option).includes(wanted)))
    .sort((a, b) => a.distance - b.distance)
    .slice(0, 3)
    .map(({ option }) => option);
  return close.length > 0 ? `a known option (did you mean ${close.join(' or ')}?)` : 'a known option (see KiqOptions)';
}

/**
 * Validates each given option in the order given (the first bad one throws);
 * unknown keys are rejected with close matches. `undefined` values are dropped,
 * so they fall back to the defaults.
 */
export function validateOptions(options: unknown): Partial<Valid> {
  if (!isObject(options)) fail('options', 'an options object', options);
  const valid: AnyObject = {};
  for (const [name, value] of Object.entries(options)) {
    if (!Object.hasOwn(VALIDATORS, name)) fail(name, unknownOptionExpected(name), value);
    if (value !== undefined) valid[name] = VALIDATORS[name as keyof KiqOptions](value, name);
  }
  return valid as Partial<Valid>;
}

/** The rules that span options; run on the layered config. */
export function checkCombinations(config: ResolvedConfig): void {
  if (config.server && Object.keys(config.queues).length === 0) {
    fail('queues', 'at least one queue when server is true (server: false makes an enqueue-only client)', config.queues);
  }
  if (config.flushMaxInterval < config.flushInterval) {
    fail('flushMaxInterval', `at least flushInterval (${config.flushInterval} ms)`, config.flushMaxInterval);
  }
}
