import { expect } from 'chai';
import { ManualClock } from '../../src/clock.js';
import { applyInit, resolveConfig, type KiqOptions, type ResolvedConfig } from '../../src/config/index.js';
import { describe as render, KiqConfigError } from '../../src/errors.js';
import { defineWorker } from '../../src/worker.js';

const Mailer = defineWorker({ class: 'Mailer', async perform() {} });
const cron = '* * * * *';
const noEnv = {};

/** One rejected input: the options, the option path the error names, a fragment of its message. */
interface Rejected {
  readonly options: Record<string, unknown>;
  readonly path: string;
  readonly message: string;
  /** The check of Kiq's suite (docs/kiq-elixir.md), or what the row is about. */
  readonly why?: string;
}

const rejected: Rejected[] = [
  // options as a whole
  { options: null as never, path: 'options', message: 'to be an options object, got: null' },
  { options: [] as never, path: 'options', message: 'to be an options object, got: []' },

  // queues (item 32); JS object keys are always strings, so Kiq's "string keys" case has no equivalent
  { options: { queues: { mailers: 0 } }, path: 'queues.mailers', message: 'expected option "queues.mailers" to be a positive integer, got: 0', why: 'item 32: size 0' },
  { options: { queues: { default: 3.5 } }, path: 'queues.default', message: 'a positive integer, got: 3.5', why: 'item 32: size 3.5' },
  { options: { queues: new Map([['default', 1]]) }, path: 'queues', message: 'an object of queue name → concurrency', why: 'item 32: a Map' },
  { options: { queues: [['default', 1]] }, path: 'queues', message: 'an object of queue name → concurrency', why: 'item 32: a keyword-list-like array' },
  { options: { queues: 'default' }, path: 'queues', message: 'got: "default"' },
  { options: { queues: null }, path: 'queues', message: 'got: null' },
  { options: { queues: { mailers: '5' } }, path: 'queues.mailers', message: 'a positive integer, got: "5"' },
  { options: { queues: { mailers: -1 } }, path: 'queues.mailers', message: 'a positive integer, got: -1' },
  { options: { queues: { mailers: Infinity } }, path: 'queues.mailers', message: 'a positive integer' },
  { options: { queues: { '': 1 } }, path: "queues['']", message: 'a queue name: a non-empty string without whitespace or control characters, got: ""' },
  { options: { queues: { "it's": 0 } }, path: "queues['it\\'s']", message: 'a positive integer, got: 0' },
  { options: { queues: { 'my queue': 1 } }, path: "queues['my queue']", message: 'without whitespace' },
  { options: { queues: {} }, path: 'queues', message: 'at least one queue when server is true', why: 'a server with no queues does nothing' },

  // workers
  { options: { workers: Mailer }, path: 'workers', message: 'an array of workers (defineWorker), got: {"class":"Mailer"}' },
  { options: { workers: [{ class: 'Mailer' }] }, path: 'workers[0]', message: 'a worker (defineWorker): a non-empty string class and a perform function' },
  { options: { workers: [{ perform() {} }] }, path: 'workers[0]', message: 'a worker (defineWorker)' },
  { options: { workers: [{ class: '', perform() {} }] }, path: 'workers[0]', message: 'a worker (defineWorker)' },
  { options: { workers: ['Mailer'] }, path: 'workers[0]', message: 'got: "Mailer"' },
  { options: { workers: [Mailer, { ...Mailer }] }, path: 'workers[1]', message: 'to be unique ("Mailer" is also workers[0])' },
  { options: { workers: [{ ...Mailer, retry: 'yes' }] }, path: 'workers[0].retry', message: 'a boolean or a non-negative integer, got: "yes"' },
  { options: { workers: [{ ...Mailer, queue: ' mailers' }] }, path: 'workers[0].queue', message: 'a queue name' },
  { options: { workers: [{ ...Mailer, uniqueUntil: 'whenever' }] }, path: 'workers[0].uniqueUntil', message: '"start" or "success", got: "whenever"' },
  { options: { workers: [{ ...Mailer, uniqueFor: 0 }] }, path: 'workers[0].uniqueFor', message: 'a positive integer of milliseconds' },
  { options: { workers: [{ ...Mailer, expiresIn: 1.5 }] }, path: 'workers[0].expiresIn', message: 'a positive integer of milliseconds' },
  { options: { workers: [{ ...Mailer, dead: 'no' }] }, path: 'workers[0].dead', message: 'a boolean' },
  { options: { workers: [{ ...Mailer, retryIn: 5 }] }, path: 'workers[0].retryIn', message: 'a function, got: 5' },

  // periodics (item 30)
  { options: { periodics: cron }, path: 'periodics', message: 'an array of [cron, worker, options?] tuples', why: 'item 30: a bare string' },
  { options: { periodics: [cron] }, path: 'periodics[0]', message: 'a [cron, worker] or [cron, worker, options] tuple, got: "* * * * *"', why: 'item 30: a bare string entry' },
  { options: { periodics: [[cron, Mailer, {}, 'extra']] }, path: 'periodics[0]', message: 'a [cron, worker] or [cron, worker, options] tuple', why: 'item 30: a list, not a tuple' },
  { options: { periodics: [[cron]] }, path: 'periodics[0]', message: 'a [cron, worker] or [cron, worker, options] tuple', why: 'item 30: a list, not a tuple' },
  { options: { periodics: [{ cron, worker: Mailer }] }, path: 'periodics[0]', message: 'tuple', why: 'item 30: an object, not a tuple' },
  { options: { periodics: [Mailer] }, path: 'periodics[0]', message: 'tuple, got: {"class":"Mailer"}', why: 'item 30: a bare worker' },
  { options: { periodics: Mailer }, path: 'periodics', message: 'an array of [cron, worker, options?] tuples', why: 'item 30: a bare worker' },
  { options: { periodics: [[5, Mailer]] }, path: 'periodics[0]', message: 'a tuple whose first item is a cron expression string, got: 5' },
  { options: { periodics: [[cron, Mailer], ['60 * * * *', Mailer]] }, path: 'periodics[1]', message: 'cron-parser says: Constraint error, got value 60 expected range 0-59, got: "60 * * * *"' },
  { options: { periodics: [['* * * * * junk', Mailer]] }, path: 'periodics[0]', message: 'read as second minute hour day-of-month month weekday; cron-parser says: Validation error, cannot resolve alias "jun", got: "* * * * * junk"', why: 'Kiq ignored trailing input (docs/kiq-elixir.md bug 6)' },
  { options: { periodics: [['* * * *', Mailer]] }, path: 'periodics[0]', message: 'a cron expression of 5 fields (minute hour day-of-month month weekday, UTC), 6 with a leading seconds field, or an @alias such as @hourly; got 4 fields, got: "* * * *"' },
  { options: { periodics: [['* * * * * * *', Mailer]] }, path: 'periodics[0]', message: 'got 7 fields', why: 'no year field' },
  { options: { periodics: [['', Mailer]] }, path: 'periodics[0]', message: 'got 0 fields, got: ""', why: 'cron-parser would read "" as every minute' },
  { options: { periodics: [['@often', Mailer]] }, path: 'periodics[0]', message: 'unknown alias "@often" (known: @yearly, @annually, @monthly, @weekly, @daily, @hourly, @minutely, @secondly, @weekdays, @weekends)' },
  { options: { periodics: [['@HOURLY', Mailer]] }, path: 'periodics[0]', message: 'unknown alias "@HOURLY"', why: 'aliases are lowercase, as in cron' },
  { options: { periodics: [['@reboot', Mailer]] }, path: 'periodics[0]', message: 'unknown alias "@reboot"' },
  { options: { periodics: [['H * * * *', Mailer]] }, path: 'periodics[0]', message: 'H (a hashed random value) is not supported: each process would pick its own, got: "H * * * *"' },
  { options: { periodics: [['0 0 * * H/2', Mailer]] }, path: 'periodics[0]', message: 'H (a hashed random value) is not supported' },
  { options: { periodics: [['* * 31 2 *', Mailer]] }, path: 'periodics[0]', message: 'cron-parser says: Invalid explicit day of month definition', why: 'February 31st never comes' },
  { options: { periodics: [['* 24 * * *', Mailer]] }, path: 'periodics[0]', message: 'cron-parser says: Constraint error, got value 24 expected range 0-23', why: 'item 39' },
  { options: { periodics: [['* * 32 * *', Mailer]] }, path: 'periodics[0]', message: 'expected range 1-31', why: 'item 39' },
  { options: { periodics: [['* * * 13 *', Mailer]] }, path: 'periodics[0]', message: 'expected range 1-12', why: 'item 39' },
  { options: { periodics: [['* * * * 8', Mailer]] }, path: 'periodics[0]', message: 'expected range 0-7', why: '7 is Sunday, 8 is nothing' },
  { options: { periodics: [['*/0 * * * *', Mailer]] }, path: 'periodics[0]', message: 'cannot repeat at every 0 time', why: 'item 39' },
  { options: { periodics: [['ONE * * * *', Mailer]] }, path: 'periodics[0]', message: 'Invalid characters', why: 'item 39' },
  { options: { periodics: [['0 9 * * MON-SUN', Mailer]] }, path: 'periodics[0]', message: 'Invalid range: 1-0', why: 'a reversed range; write MON-SAT,SUN or 1-7' },
  { options: { periodics: [['1-5,3 * * * *', Mailer]] }, path: 'periodics[0]', message: 'duplicate values found: 3', why: 'cron-parser refuses a value listed twice' },
  { options: { periodics: [['0 12 * * 0,7', Mailer]] }, path: 'periodics[0]', message: 'duplicate values found: 0', why: 'cron-parser: Sunday listed twice' },
  { options: { periodics: [['60 * * * * *', Mailer]] }, path: 'periodics[0]', message: 'expected range 0-59', why: 'seconds field' },
  { options: { periodics: [[cron, Mailer], ['* * * * * * junk', Mailer]] }, path: 'periodics[1]', message: 'got: "* * * * * * junk"', why: 'the message names the expression' },
  { options: { periodics: [[cron, 5]] }, path: 'periodics[0][1]', message: 'a worker (defineWorker) or the class name of one, got: 5' },
  { options: { periodics: [[cron, '']] }, path: 'periodics[0][1]', message: 'the class name of one, got: ""' },
  { options: { periodics: [[cron, { class: 'Mailer' }]] }, path: 'periodics[0][1]', message: 'the class name of one' },
  { options: { periodics: [[cron, { ...Mailer, retry: -1 }]] }, path: 'periodics[0][1].retry', message: 'a boolean or a non-negative integer' },
  { options: { periodics: [[cron, Mailer, []]] }, path: 'periodics[0][2]', message: 'an options object such as { args: [1] }, got: []' },
  { options: { periodics: [[cron, Mailer, null]] }, path: 'periodics[0][2]', message: 'an options object' },
  { options: { periodics: [[cron, Mailer, { arg: [1] }]] }, path: 'periodics[0][2].arg', message: 'a periodic option (args, queue, retry, dead, backtrace, uniqueFor, uniqueUntil, expiresIn), got: [1]' },
  { options: { periodics: [[cron, Mailer, { args: 1 }]] }, path: 'periodics[0][2].args', message: 'an array of job arguments, got: 1' },
  { options: { periodics: [[cron, Mailer, { queue: '' }]] }, path: 'periodics[0][2].queue', message: 'a queue name' },
  { options: { periodics: [[cron, Mailer, { retry: 2.5 }]] }, path: 'periodics[0][2].retry', message: 'a boolean or a non-negative integer' },

  // extraReporters (item 33)
  { options: { extraReporters: null }, path: 'extraReporters', message: 'an array of reporters, got: null', why: 'item 33: nil' },
  { options: { extraReporters: 'MyReporter' }, path: 'extraReporters', message: 'an array of reporters', why: 'item 33: a string' },
  { options: { extraReporters: [null] }, path: 'extraReporters[0]', message: 'a reporter: an object with at least one of started, success, aborted, failure, stopped as a function, got: null', why: 'item 33: nil' },
  { options: { extraReporters: ['MyReporter'] }, path: 'extraReporters[0]', message: 'a reporter', why: 'item 33: a string' },
  { options: { extraReporters: [{}] }, path: 'extraReporters[0]', message: 'a reporter', why: 'item 33: no reporter interface' },
  { options: { extraReporters: [{ handleEvent() {} }] }, path: 'extraReporters[0]', message: 'a reporter', why: 'item 33: no reporter interface' },
  { options: { extraReporters: [{ success() {}, failure: 'log' }] }, path: 'extraReporters[0].failure', message: 'a function, got: "log"' },

  // positive integers (item 31 for poolSize)
  { options: { poolSize: 0 }, path: 'poolSize', message: 'expected option "poolSize" to be a positive integer, got: 0', why: 'item 31' },
  { options: { poolSize: 1.1 }, path: 'poolSize', message: 'a positive integer, got: 1.1', why: 'item 31' },
  { options: { poolSize: '5' }, path: 'poolSize', message: 'a positive integer, got: "5"' },
  { options: { bufferLimit: 0 }, path: 'bufferLimit', message: 'a positive integer, got: 0' },
  { options: { deadLimit: -1 }, path: 'deadLimit', message: 'a positive integer, got: -1' },
  { options: { deadTimeout: 0 }, path: 'deadTimeout', message: 'a positive integer of milliseconds, got: 0' },
  { options: { deadTimeout: 1.5 }, path: 'deadTimeout', message: 'a positive integer of milliseconds' },
  { options: { maxRestarts: -1 }, path: 'maxRestarts', message: 'a non-negative integer, got: -1' },
  { options: { maxRestarts: 1.5 }, path: 'maxRestarts', message: 'a non-negative integer' },
  { options: { restartWindow: 0 }, path: 'restartWindow', message: 'got: 0' },

  // durations that become timers
  { options: { fetchInterval: 0 }, path: 'fetchInterval', message: 'a positive integer of milliseconds, got: 0' },
  { options: { fetchInterval: '500' }, path: 'fetchInterval', message: 'got: "500"' },
  { options: { fetchInterval: 2 ** 31 }, path: 'fetchInterval', message: 'at most 2147483647 milliseconds (the setTimeout limit), got: 2147483648' },
  { options: { flushInterval: 0.5 }, path: 'flushInterval', message: 'a positive integer of milliseconds' },
  { options: { flushMaxInterval: 0 }, path: 'flushMaxInterval', message: 'a positive integer of milliseconds' },
  { options: { flushMaxInterval: 5 }, path: 'flushMaxInterval', message: 'at least flushInterval (10 ms), got: 5' },
  { options: { pollInterval: -1 }, path: 'pollInterval', message: 'a positive integer of milliseconds' },
  { options: { leaderTtl: 99 }, path: 'leaderTtl', message: 'expected option "leaderTtl" to be at least 100 milliseconds, got: 99', why: 'renewals every ttl/4 must outlast a round trip' },
  { options: { leaderTtl: 1_000.5 }, path: 'leaderTtl', message: 'a positive integer of milliseconds' },
  { options: { leaderTtl: 2 ** 31 }, path: 'leaderTtl', message: 'the setTimeout limit' },
  { options: { livenessTtl: 999 }, path: 'livenessTtl', message: 'expected option "livenessTtl" to be at least 1000 milliseconds, got: 999', why: 'renewals every ttl/5 must outlast a round trip' },
  { options: { livenessTtl: 10_000.5 }, path: 'livenessTtl', message: 'a positive integer of milliseconds' },
  { options: { shutdownTimeout: -1 }, path: 'shutdownTimeout', message: 'a non-negative integer of milliseconds, got: -1' },
  { options: { shutdownTimeout: Number.MAX_SAFE_INTEGER }, path: 'shutdownTimeout', message: 'the setTimeout limit' },

  // schedulers (item 34)
  { options: { schedulers: { retry: true } }, path: 'schedulers', message: 'an array of "retry" and/or "schedule"', why: 'item 34: a map' },
  { options: { schedulers: [['retry', true]] }, path: 'schedulers[0]', message: '"retry" or "schedule", got: ["retry",true]', why: 'item 34: a keyword list' },
  { options: { schedulers: ['retry', 1] }, path: 'schedulers[1]', message: '"retry" or "schedule", got: 1', why: 'item 34' },
  { options: { schedulers: ['scheduled'] }, path: 'schedulers[0]', message: 'got: "scheduled"' },
  { options: { schedulers: ['retry', 'retry'] }, path: 'schedulers[1]', message: 'to be unique ("retry" is also schedulers[0])' },
  { options: { schedulers: 'retry' }, path: 'schedulers', message: 'an array' },

  // testMode (item 35), booleans
  { options: { testMode: false }, path: 'testMode', message: 'expected option "testMode" to be "disabled" or "sandbox", got: false', why: 'item 35' },
  { options: { testMode: 'special' }, path: 'testMode', message: '"disabled" or "sandbox", got: "special"', why: 'item 35' },
  { options: { server: 'yes' }, path: 'server', message: 'a boolean, got: "yes"' },
  { options: { quiet: 1 }, path: 'quiet', message: 'a boolean, got: 1' },
  { options: { prefetch: 'no' }, path: 'prefetch', message: 'a boolean, got: "no"' },
  { options: { metrics: 'off' }, path: 'metrics', message: 'a boolean, got: "off"' },
  { options: { timestamps: 'milliseconds' }, path: 'timestamps', message: '"seconds" or "ms", got: "milliseconds"' },

  // identity (item 36)
  { options: { identity: '' }, path: 'identity', message: 'a non-empty string without "|", got: ""' },
  { options: { identity: 'host|1' }, path: 'identity', message: 'without "|"', why: 'it would split queue:sq|IDENTITY|QUEUE' },
  { options: { identity: 1234 }, path: 'identity', message: 'got: 1234' },
  { options: { tag: 7 }, path: 'tag', message: 'a string, got: 7' },

  // redis, redisUrl
  { options: { redis: 'redis://localhost' }, path: 'redis', message: 'an ioredis options object, got: "redis://localhost"' },
  { options: { redis: null }, path: 'redis', message: 'an ioredis options object, got: null' },
  { options: { redis: [] }, path: 'redis', message: 'an ioredis options object' },
  { options: { redisUrl: 'http://localhost:6379' }, path: 'redisUrl', message: 'a redis:// or rediss:// URL, got: "http://localhost:6379"' },
  { options: { redisUrl: 'localhost:6379' }, path: 'redisUrl', message: 'a redis:// or rediss:// URL' },
  { options: { redisUrl: 'REDISS://host' }, path: 'redisUrl', message: 'a redis:// or rediss:// URL', why: 'ioredis only turns TLS on for lowercase rediss://' },
  { options: { redisUrl: 'redis://[::1' }, path: 'redisUrl', message: 'a redis:// or rediss:// URL' },
  { options: { redisUrl: 'redis//:s3cret@host' }, path: 'redisUrl', message: 'got: "***@host"', why: 'the password is masked (src/redis/redact-url.ts)' },
  { options: { redisUrl: 6379 }, path: 'redisUrl', message: 'got: 6379' },

  // hooks and collaborators
  { options: { init: { ready: true } }, path: 'init', message: 'an async function (options) => options' },
  { options: { clock: {} }, path: 'clock', message: 'a clock with realMs() and monoMs() methods' },
  { options: { clock: { realMs: () => 0 } }, path: 'clock', message: 'a clock' },
  { options: { inspect: 'stdout' }, path: 'inspect', message: 'an xstate inspection observer ({ next }) or a function' },
  { options: { inspect: {} }, path: 'inspect', message: 'an xstate inspection observer' },
  { options: { logger: { info() {} } }, path: 'logger', message: 'a logger with info, warn and error methods' },
  { options: { logger: 'console' }, path: 'logger', message: 'a logger' },

  // unknown keys, with close matches
  { options: { pool_size: 5 }, path: 'pool_size', message: 'expected option "pool_size" to be a known option (did you mean poolSize?), got: 5', why: "Kiq's snake_case name" },
  { options: { pollSize: 5 }, path: 'pollSize', message: 'did you mean poolSize?' },
  { options: { queue: { default: 1 } }, path: 'queue', message: 'did you mean queues?' },
  { options: { worker: [Mailer] }, path: 'worker', message: 'did you mean workers?' },
  { options: { extra_reporters: [] }, path: 'extra_reporters', message: 'did you mean extraReporters?' },
  { options: { reporters: [] }, path: 'reporters', message: 'did you mean extraReporters?', why: "Kiq's hidden option" },
  { options: { client_opts: [] }, path: 'client_opts', message: 'did you mean redis or redisUrl?', why: "Kiq's client_opts" },
  { options: { elect_ttl: 60_000 }, path: 'elect_ttl', message: 'did you mean leaderTtl?', why: "Kiq's elect_ttl" },
  { options: { 'server?': true }, path: 'server?', message: 'did you mean server?' },
  { options: { timeout: 5 }, path: 'timeout', message: 'did you mean deadTimeout or shutdownTimeout?' },
  { options: { concurrency: 5 }, path: 'concurrency', message: 'a known option (see KiqOptions), got: 5' },
  { options: { constructor: 5 }, path: 'constructor', message: 'a known option' },
  { options: { poolSize: undefined, typo: undefined }, path: 'typo', message: 'a known option' },
];

/** One accepted input and the config fields it must produce. */
interface Accepted {
  readonly options: KiqOptions;
  readonly expected: Partial<Record<keyof ResolvedConfig, unknown>>;
  readonly why?: string;
}

const reporter = { failure() {} };
class ClassReporter {
  success(): void {}
}
const classReporter = new ClassReporter();
const observer = { next() {} };
const inspectFn = (): void => {};
const clock = new ManualClock();

const accepted: Accepted[] = [
  { options: { poolSize: 1 }, expected: { poolSize: 1 }, why: 'item 31' },
  { options: { queues: { default: 1 } }, expected: { queues: { default: 1 } }, why: 'item 32' },
  { options: { queues: { 'mail-ers': 1, 'a.b:c_d': 2, 'écoles': 3, 'low|pri': 4 } }, expected: { queues: { 'mail-ers': 1, 'a.b:c_d': 2, 'écoles': 3, 'low|pri': 4 } } },
  { options: { queues: {}, server: false }, expected: { queues: {}, server: false }, why: 'an enqueue-only client needs no queue' },
  { options: { extraReporters: [reporter, classReporter] }, expected: { extraReporters: [reporter, classReporter] }, why: 'item 33' },
  { options: { schedulers: ['retry'] }, expected: { schedulers: ['retry'] }, why: 'item 34' },
  { options: { schedulers: [] }, expected: { schedulers: [] } },
  { options: { testMode: 'sandbox' }, expected: { testMode: 'sandbox' }, why: 'item 35' },
  { options: { quiet: true }, expected: { quiet: true }, why: 'Kiq crashed on it (§1.1)' },
  { options: { identity: 'ident:1234' }, expected: { identity: 'ident:1234' }, why: 'item 36' },
  { options: { tag: 'eu-west' }, expected: { tag: 'eu-west' }, why: "the heartbeat's info.tag" },
  { options: { shutdownTimeout: 0, maxRestarts: 0 }, expected: { shutdownTimeout: 0, maxRestarts: 0 } },
  { options: { fetchInterval: 2 ** 31 - 1 }, expected: { fetchInterval: 2 ** 31 - 1 } },
  { options: { leaderTtl: 100 }, expected: { leaderTtl: 100 }, why: 'the shortest lease' },
  { options: { livenessTtl: 1_000 }, expected: { livenessTtl: 1_000 }, why: 'the shortest liveness lease' },
  { options: { flushInterval: 50, flushMaxInterval: 50 }, expected: { flushInterval: 50, flushMaxInterval: 50 } },
  { options: { deadTimeout: 2 ** 40 }, expected: { deadTimeout: 2 ** 40 }, why: 'not a timer: no setTimeout limit' },
  { options: { redisUrl: 'rediss://:pw@cache.example:6380/2' }, expected: { redisUrl: 'rediss://:pw@cache.example:6380/2' } },
  { options: { redisUrl: 'redis://[::1]:6379' }, expected: { redisUrl: 'redis://[::1]:6379' } },
  { options: { logger: console }, expected: { logger: console } },
  { options: { inspect: observer }, expected: { inspect: observer } },
  { options: { inspect: inspectFn }, expected: { inspect: inspectFn } },
  { options: { clock }, expected: { clock } },
  { options: { poolSize: undefined, queues: undefined }, expected: { poolSize: 5, queues: { default: 25 } }, why: 'undefined means default' },
  { options: { workers: [{ ...Mailer, retry: false, dead: false, uniqueFor: 60_000, uniqueUntil: 'start' }] }, expected: {} },
];

function errorOf(fn: () => unknown): KiqConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(KiqConfigError);
    return error as KiqConfigError;
  }
  expect.fail('expected a KiqConfigError');
}

describe('config validation', () => {
  describe('rejects, naming the option, what was expected and what came', () => {
    for (const row of rejected) {
      const title = `${row.path}: ${render(row.options)}${row.why ? ` (${row.why})` : ''}`;
      it(title, () => {
        const error = errorOf(() => resolveConfig(row.options as KiqOptions, noEnv));
        expect(error.option).to.equal(row.path);
        expect(error.code).to.equal('KIQ_ERR_CONFIG');
        expect(error.message).to.match(/^expected option "[^"]+" to be .+, got: .+$/s);
        expect(error.message).to.include(row.message);
        expect(error.message).to.include(`expected option "${row.path}" to be `);
      });
    }
  });

  describe('accepts', () => {
    for (const row of accepted) {
      it(`${render(row.options)}${row.why ? ` (${row.why})` : ''}`, () => {
        const config = resolveConfig(row.options, noEnv);
        for (const [name, value] of Object.entries(row.expected)) {
          expect(config[name as keyof ResolvedConfig], name).to.deep.equal(value);
        }
      });
    }
  });

  it('accepts standard cron: names in any case, Sunday as 0 or 7, a-b/n, aliases, a leading seconds field (items 37, 38)', () => {
    const expressions = [
      '0 12 * * 7',
      '0 12 * * sun',
      '0 0 1 jan,Feb,MAR *',
      '0 9 * * mon-Fri',
      '0 10-20/5 * * *',
      '*/15 * * * *',
      '0-2,4-6 */12 * * *',
      '@hourly',
      '@daily',
      '@weekly',
      '@monthly',
      '@yearly',
      '@secondly',
      '*/10 * * * * *',
      '30 0 12 * * 1-5',
      '0 0 L * *',
      '0 0 * * 1#1',
    ];
    const config = resolveConfig({ periodics: expressions.map((expression) => [expression, Mailer] as const) }, noEnv);
    expect(config.periodics.map((p) => p.expression)).to.deep.equal(expressions);
  });

  it('keeps a seconds field, normalising its spacing', () => {
    const config = resolveConfig({ periodics: [['  */5\t0   * * * *  ', Mailer]] }, noEnv);
    expect(config.periodics[0]!.expression).to.equal('*/5 0 * * * *');
  });

  it('accepts periodics as [cron, worker] and [cron, worker, options] (item 30)', () => {
    const config = resolveConfig(
      { periodics: [[cron, Mailer], ['0 9 * * MON-FRI', 'RubyWorker', { queue: 'special', args: [1] }], ['@hourly', Mailer]] },
      noEnv,
    );
    expect(config.periodics).to.deep.equal([
      { expression: cron, worker: Mailer, options: {} },
      { expression: '0 9 * * MON-FRI', worker: 'RubyWorker', options: { queue: 'special', args: [1] } },
      { expression: '@hourly', worker: Mailer, options: {} },
    ]);
    expect(config.periodics[0]!.worker).to.equal(Mailer);
  });

  it('validates the options an init hook returns, naming the option', async () => {
    const options: KiqOptions = { init: (o) => ({ ...o, poolSize: 0 }) };
    const error = await applyInit(resolveConfig(options, noEnv), options, noEnv).then(
      () => expect.fail('expected a rejection'),
      (e: unknown) => e as KiqConfigError,
    );
    expect(error).to.be.instanceOf(KiqConfigError);
    expect(error.message).to.equal('expected option "poolSize" to be a positive integer, got: 0');
  });
});
