/**
 * Failure handling through runJob, checked against the payloads Sidekiq
 * 6.4.1 wrote (docs/sidekiq-contract.md §5.1, §14) — not Kiq's Retryer
 * (docs/kiq-elixir.md bug 11).
 */
import { expect } from 'chai';
import { UnknownWorkerError } from '../../../src/errors.js';
import { decodeBacktrace } from '../../../src/job/backtrace.js';
import { handleFailure } from '../../../src/server/runner/failure.js';
import { runJob } from '../../../src/server/runner/run-job.js';
import type { Worker } from '../../../src/worker.js';
import { clockAt, depsFor, expectKind, failing, recorder, SIDEKIQ } from './support.js';


const throwing = (className: string, error: unknown): Worker => ({
  class: className,
  perform() {
    throw error;
  },
});

describe('runner: failures (Sidekiq §5.1 semantics)', () => {
  it('writes the §14 first-failure retry entry byte for byte, due 17.0 s later with rand(10) = 2', async () => {
    const deps = depsFor([failing], { clock: clockAt(1795807921.1244085), random: () => 0.25 });
    const outcome = expectKind(await runJob(SIDEKIQ.willRetry, 'default', deps), 'retry');
    expect(outcome.json).to.equal(SIDEKIQ.willRetryRetry);
    expect(outcome.retryAtSec).to.equal(1795807921.1244085 + 17);
    expect(outcome.raw).to.equal(SIDEKIQ.willRetry);
    expect(outcome.queue).to.equal('default');
    expect(outcome.error).to.be.instanceOf(Error);
    expect(outcome.error.message).to.equal('interop failure 6064a61eb96b581e3304bc9c');
    expect(outcome).to.not.have.property('unlock');
  });

  it('on the second failure sets retried_at (appended), retry_count 1, keeps failed_at and every other byte', async () => {
    const deps = depsFor([failing], { clock: clockAt(1795807965.1478739), random: () => 0 });
    const outcome = expectKind(await runJob(SIDEKIQ.willRetryRetry, 'default', deps), 'retry');
    expect(outcome.json).to.equal(
      SIDEKIQ.willRetryRetry.replace('"retry_count":0}', '"retry_count":1,"retried_at":1795807965.1478739}'),
    );
    expect(outcome.retryAtSec).to.equal(1795807965.1478739 + 1 + 15); // 1⁴ + 15, no jitter
  });

  it('sends retry: 0 to dead after one run, writing the §14 dead entry byte for byte', async () => {
    const deps = depsFor([failing], { clock: clockAt(1795807921.1271062) });
    const outcome = expectKind(await runJob(SIDEKIQ.willDie, 'default', deps), 'dead');
    expect(outcome.json).to.equal(SIDEKIQ.willDieDead);
    expect(outcome.error.name).to.equal('Interop::Error');
  });

  it('runs a retry: 2 job 3 times, then it dies with retry_count 2 and its first failed_at', async () => {
    const { worker, calls } = recorder('Flaky', () => {
      throw new Error('still broken');
    });
    const deps = depsFor([worker]);
    let raw = '{"retry":2,"queue":"default","class":"Flaky","args":[[],{},12345678901234567,1.0],"jid":"0123456789abcdef01234567","created_at":1795807920.5}';
    const kinds: string[] = [];
    const firstFailedAt = deps.clock.realMs() / 1000;
    for (;;) {
      const outcome = await runJob(raw, 'default', deps);
      kinds.push(outcome.kind);
      if (outcome.kind !== 'retry') {
        const dead = expectKind(outcome, 'dead');
        const payload = JSON.parse(dead.json) as Record<string, unknown>;
        expect(payload).to.include({ retry_count: 2, failed_at: firstFailedAt, retried_at: deps.clock.realMs() / 1000 });
        expect(dead.json).to.include('"args":[[],{},12345678901234567,1.0]');
        break;
      }
      raw = outcome.json;
      deps.clock.advance(60_000);
    }
    expect(kinds).to.deep.equal(['retry', 'retry', 'dead']);
    expect(calls.map((c) => c.ctx.retryCount)).to.deep.equal([0, 0, 1]);
  });

  it('retries retry: true up to 25 times: retry_count 23 → 24 retries, 24 → 25 dies (26 runs in all)', async () => {
    const deps = depsFor([failing]);
    const at = (count: number) => SIDEKIQ.willRetryRetry.replace('"retry_count":0', `"retry_count":${count}`);
    expect((await runJob(at(23), 'default', deps)).kind).to.equal('retry');
    expect((await runJob(at(24), 'default', deps)).kind).to.equal('dead');
    // docs/kiq-elixir.md check 73: retry_count 25 lands in dead; with dead: false it is discarded.
    expect((await runJob(at(25), 'default', deps)).kind).to.equal('dead');
    const discarded = expectKind(await runJob(at(25).replace('"retry":true', '"retry":true,"dead":false'), 'default', deps), 'discard');
    expect(discarded.reason).to.equal('exhausted');
    expect(discarded).to.not.have.property('json');
  });

  it('uses deps.maxRetries for retry: true', async () => {
    const deps = depsFor([failing], { maxRetries: 1 });
    expect((await runJob(SIDEKIQ.willRetry, 'default', deps)).kind).to.equal('retry');
    expect((await runJob(SIDEKIQ.willRetryRetry, 'default', deps)).kind).to.equal('dead');
    expect((await runJob(SIDEKIQ.willRetry, 'default', depsFor([failing], { maxRetries: 0 }))).kind).to.equal('dead');
  });

  it('discards retry: false (reported, nothing stored), even for an unknown class', async () => {
    const raw = SIDEKIQ.willRetry.replace('"retry":true', '"retry":false');
    const outcome = expectKind(await runJob(raw, 'default', depsFor([failing])), 'discard');
    expect(outcome.reason).to.equal('retry-false');
    expect(outcome).to.not.have.property('json');
    expect(outcome.error.message).to.equal('interop failure 6064a61eb96b581e3304bc9c');
    const unknown = expectKind(await runJob(raw, 'default', depsFor([])), 'discard');
    expect(unknown.error).to.be.instanceOf(UnknownWorkerError);
  });

  it('fails an unknown class with UnknownWorkerError through the normal retry path', async () => {
    const outcome = expectKind(await runJob(SIDEKIQ.slow, 'default', depsFor([])), 'retry');
    expect(outcome.error).to.be.instanceOf(UnknownWorkerError);
    expect(JSON.parse(outcome.json)).to.include({
      error_class: 'UnknownWorkerError',
      error_message: 'no worker registered for class "Interop::Slow"',
      retry_count: 0,
    });
    expect(outcome).to.not.have.property('durationMs');
  });

  it('sets queue to retry_queue when present, else to the queue the job was fetched from', async () => {
    const deps = depsFor([failing]);
    const routed = expectKind(await runJob(SIDEKIQ.willRetry.replace('"queue":"default"', '"queue":"default","retry_queue":"slow"'), 'default', deps), 'retry');
    expect(JSON.parse(routed.json)).to.include({ queue: 'slow', retry_queue: 'slow' });
    const moved = expectKind(await runJob(SIDEKIQ.willRetry, 'low', deps), 'retry');
    expect(moved.json).to.include('"queue":"low"');
    expect(moved.queue).to.equal('low');
  });

  it('takes retry from the worker when the payload has none, and writes it (Sidekiq local handler)', async () => {
    const worker: Worker = { ...failing, retry: 0 };
    const raw = '{"queue":"default","class":"Interop::Failing","args":[],"jid":"5262ea9efab9f716fcfe5f84"}';
    const dead = expectKind(await runJob(raw, 'default', depsFor([worker])), 'dead');
    expect(dead.json.startsWith('{"queue":"default","class":"Interop::Failing","args":[],"jid":"5262ea9efab9f716fcfe5f84","retry":0,"error_message":')).to.equal(true);
    expect(JSON.parse(dead.json)).to.include({ retry: 0, retry_count: 0 });
    const retried = expectKind(await runJob(raw, 'default', depsFor([failing])), 'retry');
    expect(JSON.parse(retried.json)).to.include({ retry: true });
    const discarded = expectKind(await runJob(raw, 'default', depsFor([{ ...failing, retry: false }])), 'discard');
    expect(discarded.reason).to.equal('retry-false');
  });

  it('gives up once failed_at + retry_for is past (Sidekiq 7.1.3+)', async () => {
    const deps = depsFor([failing]);
    const raw = SIDEKIQ.willRetryRetry.replace('"retry":true', '"retry":true,"retry_for":3600');
    expect((await runJob(raw, 'default', deps)).kind).to.equal('retry');
    deps.clock.advance(3_601_000);
    expect((await runJob(raw, 'default', deps)).kind).to.equal('dead');
  });

  it('keeps Sidekiq 8 millisecond timestamps as they were and writes its own in float seconds', async () => {
    const raw = '{"class":"Interop::Failing","args":[],"jid":"j","queue":"default","retry":true,"created_at":1795807920704,"failed_at":1795807921124,"retry_count":0}';
    const outcome = expectKind(await runJob(raw, 'default', depsFor([failing])), 'retry');
    expect(outcome.json).to.include('"created_at":1795807920704,"failed_at":1795807921124,"retry_count":1');
    expect(outcome.json).to.match(/"retried_at":1795807921\.1244085}$/);
  });

  it('replaces the §14 backtrace on the third failure of a retry: 2, backtrace: 3 job, which then dies', async () => {
    const deps = depsFor([failing], { clock: clockAt(1795807990.5) });
    const outcome = expectKind(await runJob(SIDEKIQ.backtraceSecond, 'default', deps), 'dead');
    const payload = JSON.parse(outcome.json) as Record<string, unknown>;
    expect(payload).to.include({ retry_count: 2, failed_at: 1795807961.0699272, retried_at: 1795807990.5, backtrace: 3 });
    const encoded = payload.error_backtrace as string;
    expect(encoded).to.match(/^[A-Za-z0-9+/]+=*$/); // strict base64, no newlines (7.3+)
    const lines = decodeBacktrace(encoded) as string[];
    expect(lines).to.be.an('array').with.length.within(1, 3);
    for (const line of lines) expect(line).to.match(/^at /);
    // Key order kept: existing keys in place, nothing appended.
    expect(Object.keys(payload)).to.deep.equal(Object.keys(JSON.parse(SIDEKIQ.backtraceSecond) as object));
  });

  it('writes error_backtrace only when backtrace is true or a number', async () => {
    const deps = depsFor([failing]);
    const withOption = (value: string) => SIDEKIQ.willRetry.replace('"retry":true', `"retry":true,"backtrace":${value}`);
    const backtraceOf = async (value: string) => {
      const outcome = expectKind(await runJob(withOption(value), 'default', deps), 'retry');
      const encoded = (JSON.parse(outcome.json) as Record<string, unknown>).error_backtrace;
      return encoded === undefined ? undefined : (decodeBacktrace(encoded as string) as string[]);
    };
    expect(await backtraceOf('false')).to.equal(undefined);
    expect(await backtraceOf('null')).to.equal(undefined);
    expect((await backtraceOf('true'))?.length).to.be.greaterThan(1);
    expect(await backtraceOf('1')).to.have.length(1);
    expect(await backtraceOf('0')).to.deep.equal([]); // Ruby's 0 is truthy: an empty list is stored
    const none = expectKind(await runJob(SIDEKIQ.willRetry, 'default', deps), 'retry');
    expect(none.json).to.not.include('error_backtrace');
  });

  it('truncates error_message to 10,000 characters without splitting a surrogate pair', async () => {
    const deps = depsFor([]);
    const run = async (message: string) => {
      const outcome = expectKind(await runJob(SIDEKIQ.willRetry, 'default', { ...deps, workers: new Map([['Interop::Failing', throwing('Interop::Failing', new Error(message))]]) }), 'retry');
      return (JSON.parse(outcome.json) as { error_message: string }).error_message;
    };
    // The pair is the 10,000th character: kept whole.
    expect(await run(`${'a'.repeat(9_999)}😀tail`)).to.equal(`${'a'.repeat(9_999)}😀`);
    // The pair would be the 10,001st: dropped whole, never half of it.
    expect(await run(`${'a'.repeat(10_000)}😀`)).to.equal('a'.repeat(10_000));
    expect(await run('short')).to.equal('short');
  });

  it('handleFailure alone: carries the lock on dead and discard, not on retry unless asked', () => {
    const lock = { key: 'unique:x', jid: 'j' };
    const base = { raw: SIDEKIQ.willDie, queue: 'default', error: new Error('x'), nowMs: 1_795_807_921_000, lock };
    const job = JSON.parse(SIDEKIQ.willDie) as never;
    expect(handleFailure({ ...base, job })).to.include({ kind: 'dead' }).and.have.deep.property('unlock', lock);
    const retryJob = JSON.parse(SIDEKIQ.willRetry) as never;
    const retry = handleFailure({ ...base, raw: SIDEKIQ.willRetry, job: retryJob });
    expect(retry.kind).to.equal('retry');
    expect(retry).to.not.have.property('unlock');
    expect(handleFailure({ ...base, raw: SIDEKIQ.willRetry, job: retryJob, releaseLockOnRetry: true })).to.have.deep.property('unlock', lock);
  });
});
