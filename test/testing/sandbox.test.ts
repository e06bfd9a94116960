import { AssertionError } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { Kiq, defineWorker, UnknownWorkerError } from '../../src/index.js';
import { Testing, type JobFilter } from '../../src/testing/index.js';
import { silent } from '../support/logger.js';

const sent: string[] = [];
const Mailer = defineWorker({
  class: 'Mailer',
  queue: 'mailers',
  perform([to, n]: [string, number]) {
    sent.push(`${to}#${n}`);
  },
});
const Fanout = defineWorker({
  class: 'Fanout',
  async perform([count]: [number], ctx) {
    expect(ctx.queue).to.equal('default');
    for (let i = 0; i < count; i++) await sandboxed.enqueue(Mailer, [`user${i}@x`, i]);
  },
});

let sandboxed: Kiq;

describe('Sandbox test mode and kiq/testing', () => {
  beforeEach(async () => {
    sent.length = 0;
    // an unreachable Redis: sandbox mode must never connect
    sandboxed = new Kiq({ testMode: 'sandbox', redisUrl: 'redis://127.0.0.1:1', workers: [Mailer, Fanout], logger: silent() });
    await sandboxed.start();
  });
  afterEach(() => sandboxed.stop());

  it('keeps enqueued jobs in memory without any Redis connection', async () => {
    const job = await sandboxed.enqueue(Mailer, ['a@b.c', 1]);
    await sandboxed.flush();
    expect(Testing.enqueued(sandboxed).map((j) => j.payload.jid)).to.deep.equal([job.jid]);
    expect(sandboxed.buffered).to.equal(0);
  });

  it('assertEnqueued compares only the given keys (class as a worker or a name, queue, args)', async () => {
    await sandboxed.enqueue(Mailer, ['a@b.c', 1]);
    await sandboxed.enqueue({ class: 'RubyWorker', queue: 'ruby', args: [{ id: 7 }] });
    Testing.assertEnqueued(sandboxed, { class: Mailer });
    Testing.assertEnqueued(sandboxed, { class: 'Mailer', queue: 'mailers' });
    Testing.assertEnqueued(sandboxed, { class: Mailer, args: ['a@b.c', 1] });
    Testing.assertEnqueued(sandboxed, { queue: 'ruby', args: [{ id: 7 }] });
    expect(() => Testing.assertEnqueued(sandboxed, { class: Mailer, args: ['a@b.c', 2] })).to.throw(AssertionError, /expected a job matching/);
  });

  it('refuteEnqueued passes when no single job matches all keys and throws otherwise', async () => {
    await sandboxed.enqueue(Mailer, ['a@b.c', 1]);
    await sandboxed.enqueue({ class: 'Other', args: [2] });
    Testing.refuteEnqueued(sandboxed, { class: Mailer, queue: 'default' });
    Testing.refuteEnqueued(sandboxed, { class: 'Mailer', args: [2] });
    expect(() => Testing.refuteEnqueued(sandboxed, { class: Mailer })).to.throw(AssertionError, /expected no job matching/);
  });

  it('matches scheduled jobs by at and in', async () => {
    const at = Date.now() + 3_600_000;
    await sandboxed.enqueue(Mailer, ['later', 1], { at });
    await sandboxed.enqueue(Mailer, ['soon', 2], { in: 30_000 });
    Testing.assertEnqueued(sandboxed, { class: Mailer, at });
    Testing.assertEnqueued(sandboxed, { class: Mailer, at: new Date(at) });
    Testing.assertEnqueued(sandboxed, { args: ['soon', 2], in: 30_000 });
    Testing.refuteEnqueued(sandboxed, { args: ['soon', 2], in: 60_000 });
  });

  it('assertion failures are AssertionErrors with actual and expected for diff-friendly runners', async () => {
    await sandboxed.enqueue(Mailer, ['a@b.c', 1]);
    try {
      Testing.assertEnqueued(sandboxed, { class: 'Nope' });
      expect.fail('should have thrown');
    } catch (error) {
      expect(error).to.be.instanceOf(AssertionError);
      const failure = error as AssertionError;
      // both arrays of filter-shaped objects, and showDiff: mocha draws a diff only then
      expect(failure.expected).to.deep.equal([{ class: 'Nope' }]);
      expect(failure.actual).to.deep.equal([{ class: 'Mailer' }]);
      expect((failure as AssertionError & { showDiff?: boolean }).showDiff).to.equal(true);
    }
  });

  it('mocha shows a diff of the filter against the jobs enqueued when assertEnqueued fails', function () {
    this.timeout(60_000);
    // a real mocha run of a failing test (not this suite's config: no Redis root hooks)
    const mocha = createRequire(import.meta.url).resolve('mocha/bin/mocha.js');
    const fixture = fileURLToPath(new URL('fixtures/failing-assert.fixture.ts', import.meta.url));
    const run = spawnSync(process.execPath, ['--import', 'tsx', mocha, '--no-package', '--no-config', '--reporter', 'spec', fixture], {
      encoding: 'utf8',
      env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
    });
    expect(run.status, run.stderr).to.equal(1);
    expect(run.stdout).to.include('+ expected - actual');
    const diff = run.stdout.slice(run.stdout.indexOf('+ expected - actual'), run.stdout.indexOf('at new AssertionError'));
    // the differing arg is the only diff line: the filter's keys only, not the whole payload
    expect(diff).to.match(/"a@b\.c"\s+-\s+1\s+\+\s+2\s+\]/);
    expect(diff).not.to.include('"jid"');
  });

  it('rejects a filter key that is not one (a typo would match everything) with a TypeError naming it', async () => {
    await sandboxed.enqueue(Mailer, ['a@b.c', 1]);
    const typo = { queu: 'mailers' } as JobFilter;
    expect(() => Testing.assertEnqueued(sandboxed, typo)).to.throw(TypeError, /unknown job filter key "queu"/);
    expect(() => Testing.refuteEnqueued(sandboxed, typo)).to.throw(TypeError, /unknown job filter key "queu"/);
    expect(() => Testing.enqueued(sandboxed, typo)).to.throw(TypeError, /unknown job filter key "queu"/);
  });

  it('compares any other payload key given under payload', async () => {
    await sandboxed.enqueue({ class: 'RubyWorker', args: [], bid: 'b-1', tags: ['import'] });
    Testing.assertEnqueued(sandboxed, { class: 'RubyWorker', payload: { bid: 'b-1' }, tags: ['import'] });
    Testing.refuteEnqueued(sandboxed, { payload: { bid: 'b-2' } });
  });

  it('clear forgets every sandboxed job', async () => {
    await sandboxed.enqueue(Mailer, ['a@b.c', 1]);
    Testing.clear(sandboxed);
    expect(Testing.enqueued(sandboxed)).to.deep.equal([]);
  });

  it('drain performs jobs inline in order, including jobs they enqueue, and empties the sandbox', async () => {
    await sandboxed.enqueue(Fanout, [2]);
    await sandboxed.enqueue(Mailer, ['first@x', 9], { in: 60_000 });
    const performed = await Testing.drain(sandboxed);
    expect(performed).to.equal(4);
    expect(sent).to.deep.equal(['first@x#9', 'user0@x#0', 'user1@x#1']);
    expect(Testing.enqueued(sandboxed)).to.have.length(0);
  });

  it('drain can be limited to one queue', async () => {
    await sandboxed.enqueue(Mailer, ['m@x', 1]);
    await sandboxed.enqueue({ class: 'Fanout', args: [0] });
    expect(await Testing.drain(sandboxed, { queue: 'mailers' })).to.equal(1);
    Testing.assertEnqueued(sandboxed, { class: Fanout });
  });

  it('drain rejects with UnknownWorkerError for a class no worker handles', async () => {
    await sandboxed.enqueue({ class: 'Missing', args: [] });
    const error = await Testing.drain(sandboxed).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(UnknownWorkerError);
  });

  it('refuses a Kiq that is not in sandbox mode', () => {
    const real = new Kiq({ server: false, logger: silent() });
    expect(() => Testing.enqueued(real)).to.throw(TypeError, /testMode: 'sandbox'/);
  });
});
