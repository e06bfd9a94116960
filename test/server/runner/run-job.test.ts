/**
 * runJob: the per-job path (docs/kiq-elixir.md §4.3 order, docs/kiq-elixir.md check 49–52,
 * 72, 73, 93, 94) without Kiq's bugs (docs/kiq-elixir.md bugs 8, 9, 11, 12).
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { InvalidJobError, UnknownWorkerError } from '../../../src/errors.js';
import { decodeJob } from '../../../src/job/decode.js';
import { uniqueDigest } from '../../../src/job/unique-digest.js';
import { uniqueKey } from '../../../src/redis/keys.js';
import { NonErrorThrown } from '../../../src/job/error-fields.js';
import { runJob } from '../../../src/server/runner/run-job.js';
import type { JobStart } from '../../../src/job-events.js';
import type { Worker } from '../../../src/worker.js';
import { depsFor, expectKind, failing, memoryLogger, recorder, SIDEKIQ } from './support.js';


const KINDS = ['success', 'aborted', 'retry', 'dead', 'discard', 'invalid'];

function payload(fields: Record<string, unknown>): string {
  return JSON.stringify({ retry: true, queue: 'default', class: 'W', args: [1, 'two'], jid: '0123456789abcdef01234567', created_at: 1795807920.5, ...fields });
}

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('runJob', () => {
  describe('success (docs/kiq-elixir.md checks 49, 50)', () => {
    it('performs a valid job with its args and context and reports success with the run time', async () => {
      const deps = depsFor([]);
      const { worker, calls } = recorder('Interop::Slow', () => {
        deps.clock.advance(250);
        return 'ignored';
      });
      const outcome = expectKind(await runJob(SIDEKIQ.slow, 'default', { ...deps, workers: new Map([[worker.class, worker]]) }), 'success');
      expect(outcome).to.include({ raw: SIDEKIQ.slow, queue: 'default', durationMs: 250 });
      expect(outcome.job).to.deep.equal(JSON.parse(SIDEKIQ.slow));
      expect(outcome).to.not.have.property('unlock');
      expect(calls).to.have.length(1);
      const { args, ctx } = calls[0]!;
      expect(args).to.deep.equal([7]);
      expect(ctx).to.include({ jid: 'a319acf4a129c1d6e0eec6db', queue: 'default', retryCount: 0, signal: deps.signal });
      expect(ctx.job).to.equal(outcome.job);
      expect(ctx.logger).to.equal(deps.logger);
    });

    it('awaits an async perform and passes retry_count as ctx.retryCount', async () => {
      const gate = deferred();
      const { worker, calls } = recorder('W', () => gate.promise);
      const running = runJob(payload({ retry_count: 3 }), 'default', depsFor([worker]));
      let settled = false;
      void running.then(() => (settled = true));
      await new Promise((resolve) => setImmediate(resolve));
      expect(settled).to.equal(false);
      gate.resolve();
      expectKind(await running, 'success');
      expect(calls[0]!.ctx.retryCount).to.equal(3);
    });

    it('reports the queue it was fetched from, even when the payload names another', async () => {
      const { worker, calls } = recorder('W');
      const outcome = expectKind(await runJob(payload({ queue: 'elsewhere' }), 'default', depsFor([worker])), 'success');
      expect(outcome.queue).to.equal('default');
      expect(calls[0]!.ctx.queue).to.equal('default');
    });

    it('runs payloads with keys Kiq does not know (Sidekiq error_backtrace, bid, tags…) (docs/kiq-elixir.md bug 8)', async () => {
      const { worker } = recorder('Interop::Failing');
      expectKind(await runJob(SIDEKIQ.backtraceSecond, 'default', depsFor([worker])), 'success');
      expectKind(await runJob(payload({ class: 'Interop::Failing', bid: 'b', tags: ['x'], wrapped: 'Y', cattr: {} }), 'default', depsFor([worker])), 'success');
    });
  });

  describe('failure (docs/kiq-elixir.md checks 51, 72; docs/kiq-elixir.md bug 9)', () => {
    it('turns a raised error into a retry carrying that very error (docs/kiq-elixir.md check 72, with Sidekiq counting)', async () => {
      const error = new Error('bad stuff happened');
      const worker: Worker = {
        class: 'W',
        perform() {
          throw error;
        },
      };
      const outcome = expectKind(await runJob(payload({}), 'default', depsFor([worker])), 'retry');
      expect(outcome.error).to.equal(error);
      expect(JSON.parse(outcome.json)).to.include({ retry_count: 0, error_class: 'Error', error_message: 'bad stuff happened' });
      expect(outcome.durationMs).to.equal(0);
    });

    const thrownCases: Array<[string, () => unknown, string, string]> = [
      ['a string', () => 'boom', 'String', 'boom'],
      ['a number', () => 42, 'Number', '42'],
      ['a boolean', () => false, 'Boolean', 'false'],
      ['undefined', () => undefined, 'NonErrorThrown', 'undefined'],
      ['null', () => null, 'NonErrorThrown', 'null'],
      ['a plain object', () => ({ code: 7 }), 'Object', '{ code: 7 }'],
      ['an error-like object', () => ({ message: 'like an error' }), 'Object', 'like an error'],
      ['a class instance', () => new (class Oops {})(), 'Oops', 'Oops {}'],
      ['a symbol', () => Symbol('s'), 'Symbol', 'Symbol(s)'],
      ['a BigInt', () => 10n, 'BigInt', '10'],
      ['an Error subclass without a name', () => new (class BadThing extends Error {})('bad'), 'BadThing', 'bad'],
      ['a TypeError', () => new TypeError('not a function'), 'TypeError', 'not a function'],
      ['an object whose getters throw', () => new Proxy({}, { get: () => { throw new Error('trap'); } }), 'Object', ''],
    ];
    for (const [name, make, errorClass, message] of thrownCases) {
      for (const how of ['throws', 'rejects with'] as const) {
        it(`fails a job that ${how} ${name}: error_class ${errorClass}`, async () => {
          const thrown = make();
          const worker: Worker = {
            class: 'W',
            perform: how === 'throws' ? () => { throw thrown; } : () => Promise.reject(thrown),
          };
          const outcome = expectKind(await runJob(payload({}), 'default', depsFor([worker])), 'retry');
          const written = JSON.parse(outcome.json) as Record<string, unknown>;
          expect(written.error_class).to.equal(errorClass);
          if (name !== 'an object whose getters throw') expect(written.error_message).to.equal(message);
          expect(outcome.error).to.be.instanceOf(Error);
          if (!(thrown instanceof Error)) {
            expect(outcome.error).to.be.instanceOf(NonErrorThrown);
            expect((outcome.error as NonErrorThrown).thrown).to.equal(thrown);
            expect(outcome.error.cause).to.equal(thrown);
          }
        });
      }
    }

    it('fails a worker whose perform is not a function (TypeError), without throwing', async () => {
      const broken = { class: 'W', perform: 'nope' } as unknown as Worker;
      const outcome = expectKind(await runJob(payload({}), 'default', depsFor([broken])), 'retry');
      expect(outcome.error).to.be.instanceOf(TypeError);
    });

    it('fails an unknown class with UnknownWorkerError and never calls onStart twice or perform', async () => {
      const starts: JobStart[] = [];
      const outcome = expectKind(await runJob(payload({ class: 'Nobody' }), 'default', depsFor([], { onStart: (s) => void starts.push(s) })), 'retry');
      expect(outcome.error).to.be.instanceOf(UnknownWorkerError);
      expect(starts).to.have.length(1);
    });
  });

  describe('invalid payloads (docs/kiq-elixir.md bug 8: never a crash)', () => {
    const cases: Array<[string, string]> = [
      ['garbage', 'this is not json'],
      ['empty text', ''],
      ['JSON that is not an object', '[1,2]'],
      ['an object without class', '{"args":[1],"jid":"x","queue":"default"}'],
      ['an empty class', '{"class":"","args":[]}'],
      ['args that are not an array', '{"class":"W","args":{"0":1}}'],
      ['huge args that are not an array', `{"class":"W","args":${JSON.stringify(Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, i])))}}`],
      ['a truncated huge payload', `{"class":"W","args":[${'1,'.repeat(200_000)}`],
      ['a non-string jid', '{"class":"W","args":[],"jid":5}'],
    ];
    for (const [name, raw] of cases) {
      it(`reports ${name} as invalid with the raw string, performing nothing`, async () => {
        const { worker, calls } = recorder('W');
        const outcome = expectKind(await runJob(raw, 'default', depsFor([worker])), 'invalid');
        expect(outcome.raw).to.equal(raw);
        expect(outcome.queue).to.equal('default');
        expect(outcome.error).to.be.instanceOf(InvalidJobError);
        expect(outcome.error.payload).to.equal(raw);
        expect(outcome).to.not.have.property('job');
        expect(calls).to.have.length(0);
      });
    }

    it('runs and fails huge but valid args, keeping their bytes in the retry payload', async () => {
      const args = `[${Array.from({ length: 100_000 }, (_, i) => (i % 3 === 0 ? '[]' : i % 3 === 1 ? '1.0' : '12345678901234567')).join(',')}]`;
      const raw = `{"class":"Interop::Failing","args":${args},"jid":"j","queue":"default"}`;
      const outcome = expectKind(await runJob(raw, 'default', depsFor([failing])), 'retry');
      expect(outcome.json.startsWith(`{"class":"Interop::Failing","args":${args},"jid":"j",`)).to.equal(true);
    });
  });

  describe('expiring jobs (docs/kiq-elixir.md checks 52, 94)', () => {
    it('aborts a job whose expires_at is 5 s in the past, without running or retrying it', async () => {
      const deps = depsFor([]);
      const { worker, calls } = recorder('W');
      const nowSec = deps.clock.realMs() / 1000;
      const starts: JobStart[] = [];
      const outcome = expectKind(
        await runJob(payload({ expires_at: nowSec - 5 }), 'default', { ...deps, workers: new Map([['W', worker]]), onStart: (s) => void starts.push(s) }),
        'aborted',
      );
      expect(outcome.reason).to.equal('expired');
      expect(outcome).to.not.have.property('json');
      expect(calls).to.have.length(0);
      expect(starts).to.have.length(0);
    });

    it('runs a job whose expires_at is 5 s ahead, or exactly now (strictly earlier expires)', async () => {
      const deps = depsFor([]);
      const { worker, calls } = recorder('W');
      const nowSec = deps.clock.realMs() / 1000;
      const run = (raw: string) => runJob(raw, 'default', { ...deps, workers: new Map([['W', worker]]) });
      expectKind(await run(payload({ expires_at: nowSec + 5 })), 'success');
      expectKind(await run(payload({ expires_at: nowSec })), 'success');
      expect(calls).to.have.length(2);
    });

    it('reads a Sidekiq 8 millisecond expires_at', async () => {
      const deps = depsFor([recorder('W').worker]);
      const nowMs = deps.clock.realMs();
      expect((await runJob(payload({ expires_at: Math.round(nowMs - 5_000) }), 'default', deps)).kind).to.equal('aborted');
      expect((await runJob(payload({ expires_at: Math.round(nowMs + 5_000) }), 'default', deps)).kind).to.equal('success');
    });

    it('does not abort a failing retry that has expired: it is aborted on its next run', async () => {
      const deps = depsFor([failing]);
      const nowSec = deps.clock.realMs() / 1000;
      const retry = expectKind(await runJob(payload({ class: 'Interop::Failing', expires_at: nowSec + 10 }), 'default', deps), 'retry');
      deps.clock.advance(20_000);
      expect(expectKind(await runJob(retry.json, 'default', deps), 'aborted').reason).to.equal('expired');
    });
  });

  describe('unique jobs (docs/kiq-elixir.md check 93; docs/kiq-elixir.md bug 12)', () => {
    const lockOf = (raw: string) => {
      const job = JSON.parse(raw) as { class: string; queue: string; args: unknown[]; jid: string };
      return { key: uniqueKey(uniqueDigest(job.class, job.queue, job.args)), jid: job.jid };
    };

    it('unique_until start: onStart gets the lock and settles before perform is called', async () => {
      const raw = payload({ unique_for: 60, unique_until: 'start' });
      const events: string[] = [];
      const gate = deferred();
      const { worker } = recorder('W', () => void events.push('perform'));
      const running = runJob(raw, 'default', depsFor([worker], {
        onStart: async (start) => {
          events.push(`start ${start.unlock?.key} ${start.unlock?.jid}`);
          await gate.promise;
          events.push('released');
        },
      }));
      await new Promise((resolve) => setImmediate(resolve));
      expect(events).to.deep.equal([`start ${lockOf(raw).key} ${lockOf(raw).jid}`]);
      gate.resolve();
      const outcome = expectKind(await running, 'success');
      expect(events).to.deep.equal([`start ${lockOf(raw).key} ${lockOf(raw).jid}`, 'released', 'perform']);
      expect(outcome).to.not.have.property('unlock'); // released at start already
    });

    it('unique_until start: a failing job was unlocked at start; it retries without an unlock', async () => {
      const raw = payload({ class: 'Interop::Failing', unique_for: 60, unique_until: 'start' });
      const unlocks: unknown[] = [];
      const outcome = expectKind(await runJob(raw, 'default', depsFor([failing], { onStart: (s) => void unlocks.push(s.unlock) })), 'retry');
      expect(unlocks).to.deep.equal([lockOf(raw)]);
      expect(outcome).to.not.have.property('unlock');
    });

    it('unique_until start without onStart, or with a failing onStart: the lock comes back in the outcome, whatever it is', async () => {
      const raw = payload({ class: 'Interop::Failing', unique_for: 60, unique_until: 'start' });
      const retried = expectKind(await runJob(raw, 'default', depsFor([failing])), 'retry');
      expect(retried.unlock).to.deep.equal(lockOf(raw));
      const { worker, calls } = recorder('Interop::Failing');
      const redisDown = new Error('connection lost');
      const failed = expectKind(await runJob(raw, 'default', depsFor([worker], { onStart: () => Promise.reject(redisDown) })), 'retry');
      expect(failed.error).to.equal(redisDown);
      expect(failed.unlock).to.deep.equal(lockOf(raw));
      expect(calls).to.have.length(0);
    });

    it('unique_until success (or absent): unlock after success only; a retrying job keeps its lock; dead and discarded jobs release it', async () => {
      const ok = recorder('W').worker;
      for (const until of [{ unique_until: 'success' }, {}]) {
        const raw = payload({ unique_for: 60, ...until });
        const starts: JobStart[] = [];
        const success = expectKind(await runJob(raw, 'default', depsFor([ok], { onStart: (s) => void starts.push(s) })), 'success');
        expect(success.unlock).to.deep.equal(lockOf(raw));
        expect(starts[0]).to.not.have.property('unlock');
      }
      const failingRaw = (fields: Record<string, unknown>) => payload({ class: 'Interop::Failing', unique_for: 60, ...fields });
      const retry = expectKind(await runJob(failingRaw({}), 'default', depsFor([failing])), 'retry');
      expect(retry).to.not.have.property('unlock');
      const dead = expectKind(await runJob(failingRaw({ retry: 0 }), 'default', depsFor([failing])), 'dead');
      expect(dead.unlock).to.deep.equal(lockOf(failingRaw({ retry: 0 })));
      const discard = expectKind(await runJob(failingRaw({ retry: false }), 'default', depsFor([failing])), 'discard');
      expect(discard.unlock).to.deep.equal(lockOf(failingRaw({ retry: false })));
      const exhausted = expectKind(await runJob(failingRaw({ retry: 0, dead: false }), 'default', depsFor([failing])), 'discard');
      expect(exhausted.reason).to.equal('exhausted');
      expect(exhausted.unlock).to.deep.equal(lockOf(failingRaw({ retry: 0, dead: false })));
    });

    it('an expired unique job releases its lock; a job stopped by shutdown keeps it', async () => {
      const deps = depsFor([recorder('W').worker]);
      const raw = payload({ unique_for: 60, expires_at: deps.clock.realMs() / 1000 - 1 });
      expect(expectKind(await runJob(raw, 'default', deps), 'aborted').unlock).to.deep.equal(lockOf(raw));
      const stop = new AbortController();
      stop.abort();
      const stopped = expectKind(await runJob(payload({ unique_for: 60 }), 'default', { ...deps, signal: stop.signal }), 'aborted');
      expect(stopped.reason).to.equal('shutdown');
      expect(stopped).to.not.have.property('unlock');
    });

    it('is not unique without a positive unique_for or without a jid', async () => {
      const ok = recorder('W').worker;
      for (const fields of [{ unique_for: false }, { unique_for: 0 }, { unique_for: 60, jid: undefined }]) {
        expect(await runJob(payload(fields), 'default', depsFor([ok]))).to.not.have.property('unlock');
      }
    });
  });

  describe('shutdown (deps.signal)', () => {
    it('does not start a job once the signal has aborted', async () => {
      const stop = new AbortController();
      stop.abort();
      const { worker, calls } = recorder('W');
      const outcome = expectKind(await runJob(payload({}), 'default', depsFor([worker], { signal: stop.signal })), 'aborted');
      expect(outcome.reason).to.equal('shutdown');
      expect(calls).to.have.length(0);
    });

    it('waits for a running perform; a failure caused by the abort is aborted/shutdown (not acked, requeued)', async () => {
      const stop = new AbortController();
      const worker: Worker = {
        class: 'W',
        perform: (_args, ctx) =>
          new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => setTimeout(() => reject(ctx.signal.reason), 5))),
      };
      const running = runJob(payload({}), 'default', depsFor([worker], { signal: stop.signal }));
      stop.abort();
      const outcome = expectKind(await running, 'aborted');
      expect(outcome.reason).to.equal('shutdown');
      expect(outcome.error).to.equal(stop.signal.reason);
      expect(outcome).to.not.have.property('json');
    });

    it('recognises an AbortError, also wrapped as a cause', async () => {
      const stop = new AbortController();
      stop.abort(new Error('stopping'));
      const abortError = new DOMException('This operation was aborted', 'AbortError');
      for (const thrown of [abortError, new Error('request failed', { cause: abortError }), new Error('job gave up', { cause: stop.signal.reason })]) {
        const worker: Worker = { class: 'W', perform: () => Promise.reject(thrown) };
        // The signal aborts while perform runs.
        const signal = new AbortController();
        const running = runJob(payload({}), 'default', depsFor([{ ...worker, perform: async () => { signal.abort(stop.signal.reason); throw thrown; } }], { signal: signal.signal }));
        expect(expectKind(await running, 'aborted').reason).to.equal('shutdown');
      }
    });

    it('treats other failures during shutdown as failures, and successes as successes', async () => {
      const stop = new AbortController();
      const failed = await runJob(payload({}), 'default', depsFor([{ class: 'W', perform: async () => { stop.abort(); throw new Error('db down'); } }], { signal: stop.signal }));
      expect(failed.kind).to.equal('retry');
      const stop2 = new AbortController();
      const done = await runJob(payload({}), 'default', depsFor([{ class: 'W', perform: async () => void stop2.abort() }], { signal: stop2.signal }));
      expect(done.kind).to.equal('success');
    });

    it('an AbortError while the signal has not aborted is a normal failure', async () => {
      const outcome = await runJob(payload({}), 'default', depsFor([{ class: 'W', perform: () => Promise.reject(new DOMException('x', 'AbortError')) }]));
      expect(expectKind(outcome, 'retry').error.name).to.equal('AbortError');
    });
  });

  describe('never throws', () => {
    it('survives a logger and a retryIn that throw', async () => {
      const logger = { info: () => { throw new Error('log'); }, warn: () => { throw new Error('log'); }, error: () => { throw new Error('log'); } };
      const worker: Worker = { ...failing, retryIn: () => { throw new Error('retryIn'); } };
      const outcome = expectKind(await runJob(SIDEKIQ.willRetry, 'default', depsFor([worker], { logger })), 'retry');
      expect(outcome.retryAtSec - outcome.job.enqueued_at!).to.be.greaterThan(15);
    });

    it('logs a throwing retryIn and falls back to the default delay', async () => {
      const logger = memoryLogger();
      const worker: Worker = { ...failing, retryIn: () => { throw new Error('bad retryIn'); } };
      const deps = depsFor([worker], { logger });
      const outcome = expectKind(await runJob(SIDEKIQ.willRetry, 'default', deps), 'retry');
      expect(outcome.retryAtSec).to.equal(deps.clock.realMs() / 1000 + 15);
      expect(logger.lines).to.have.length(1);
      expect(logger.lines[0]![1]).to.include('retry_in_failed').and.include('bad retryIn');
    });

    it('resolves to one of the six outcomes for any text and any thrown value', async () => {
      const thrown = fc.oneof(fc.anything(), fc.string().map((m) => new Error(m)));
      const text = fc.oneof(
        fc.string({ unit: 'binary' }),
        fc.jsonValue().map((v) => JSON.stringify(v)),
        fc.record({ class: fc.constantFrom('W', ''), args: fc.array(fc.jsonValue(), { maxLength: 3 }), retry: fc.oneof(fc.boolean(), fc.integer({ min: -2, max: 3 }), fc.string()), retry_count: fc.oneof(fc.integer(), fc.string(), fc.constant(null)), backtrace: fc.oneof(fc.boolean(), fc.integer({ min: -3, max: 3 }), fc.string()), unique_for: fc.oneof(fc.double(), fc.constant(60)), unique_until: fc.constantFrom('start', 'success', 'x'), expires_at: fc.oneof(fc.double(), fc.string()), jid: fc.string(), queue: fc.string(), retry_queue: fc.oneof(fc.string(), fc.integer()), dead: fc.jsonValue() }, { requiredKeys: ['class', 'args'] }).map((o) => JSON.stringify(o)),
      );
      await fc.assert(
        fc.asyncProperty(text, thrown, fc.boolean(), async (raw, value, rejects) => {
          const worker: Worker = { class: 'W', perform: rejects ? () => Promise.reject(value) : () => { throw value; } };
          const logger = memoryLogger();
          const outcome = await runJob(raw, 'default', depsFor([worker], { onStart: () => undefined, logger }));
          expect(KINDS).to.include(outcome.kind);
          expect(logger.lines.filter(([, line]) => line.includes('runner_failed'))).to.deep.equal([]);
          if (outcome.kind === 'invalid') expect(() => decodeJob(raw)).to.throw(InvalidJobError);
          expect(outcome.raw).to.equal(raw);
          if (outcome.kind === 'retry' || outcome.kind === 'dead') {
            const written = JSON.parse(outcome.json) as Record<string, unknown>;
            expect(written.args).to.deep.equal((JSON.parse(raw) as { args: unknown }).args);
            expect(written.error_class).to.be.a('string');
            expect(written.retry_count).to.be.a('number');
          }
        }),
        { numRuns: 500 },
      );
    });
  });
});
