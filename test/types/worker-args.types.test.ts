// Type tests of worker argument types: every `@ts-expect-error` below must be
// an error (tsc reports an unused one), every other line must compile.
// `npm run typecheck` (the first step of `npm test`) compiles this file; mocha
// runs the accepted calls against a sandboxed Kiq so they are real calls too.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { Kiq, defineWorker, definePeriodic, type Job, type PushReceipt } from '../../src/index.js';
import { Testing, createHarness } from '../../src/testing/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const Resize = defineWorker({
  class: 'Resize',
  perform([url, width]: [string, number]) {
    void url;
    void width;
  },
});
const Mode = defineWorker({
  class: 'Mode',
  perform([mode]: ['fast' | 'slow']) {
    void mode;
  },
});
const Ping = defineWorker({ class: 'Ping', perform() {} });

/** Never called: each call is a mistake the compiler must reject, on the args. */
export function rejected(kiq: Kiq): void {
  // @ts-expect-error -- elements swapped: [number, string] for [string, number]
  void kiq.enqueue(Resize, [200, 'https://x']);
  // @ts-expect-error -- an extra element
  void kiq.enqueue(Resize, ['https://x', 200, 3]);
  // @ts-expect-error -- an element missing
  void kiq.enqueue(Resize, ['https://x']);
  // @ts-expect-error -- a value outside the string union
  void kiq.enqueue(Mode, ['medium']);
  // @ts-expect-error -- args are required for a worker
  void kiq.enqueue(Resize);
  // @ts-expect-error -- the same mistakes with confirm: true
  void kiq.enqueue(Resize, [200, 'https://x'], { confirm: true });
  // @ts-expect-error -- a per-call option typo
  void kiq.enqueue(Resize, ['https://x', 200], { queu: 'low' });
  // @ts-expect-error -- confirm: true resolves with a receipt, not the job
  const job: Promise<Job> = kiq.enqueue(Resize, ['https://x', 200], { confirm: true });
  // @ts-expect-error -- without confirm it resolves with the job, not a receipt
  const receipt: Promise<PushReceipt> = kiq.enqueue(Resize, ['https://x', 200]);
  // @ts-expect-error -- a plain job's args must be an array
  void kiq.enqueue({ class: 'RubyWorker', args: 1 });
  // @ts-expect-error -- a plain job's option typo
  void kiq.enqueue({ class: 'RubyWorker', args: [1] }, { confirm: true, queu: 'low' });
  // @ts-expect-error -- periodic args of the wrong type
  void definePeriodic('*/5 * * * *', Resize, { args: [200, 'https://x'] });
  // @ts-expect-error -- periodic args missing for a worker that takes some
  void definePeriodic('*/5 * * * *', Resize);
  // @ts-expect-error -- periodic args missing in the options
  void definePeriodic('*/5 * * * *', Resize, { queue: 'low' });
  // @ts-expect-error -- a testing filter's args are the worker's
  Testing.assertEnqueued(kiq, { class: Resize, args: [200, 'https://x'] });
  // @ts-expect-error -- a testing filter's args are the worker's
  Testing.refuteEnqueued(kiq, { class: Mode, args: ['medium'] });
  // @ts-expect-error -- a filter key typo
  Testing.enqueued(kiq, { queu: 'default' });
  void job;
  void receipt;
}

/** Never called: the harness's enqueue is Kiq's, with the same checks. */
export async function rejectedInHarness(): Promise<void> {
  const h = await createHarness({ mode: 'sandbox', workers: [Resize] });
  // @ts-expect-error -- swapped elements through the harness
  await h.enqueue(Resize, [200, 'https://x']);
}

/** A file with one mistake per line, compiled on its own to read what tsc says and where. */
const MISTAKES = `import { Kiq, defineWorker } from '../src/index.js';
const Resize = defineWorker({ class: 'Resize', perform([url, width]: [string, number]) { void url; void width; } });
const kiq = new Kiq();
void kiq.enqueue(Resize, [200, 'https://x']);
void kiq.enqueue(Resize, ['https://x', 200], { confirm: true, queu: 'low' });
`;

describe('worker argument types (compiled by npm run typecheck)', () => {
  it("reports a wrong arg on the arg itself, in the worker's types, not as a failed PlainJob overload", function () {
    this.timeout(60_000);
    const dir = mkdtempSync(join(ROOT, '.types-test-'));
    try {
      writeFileSync(join(dir, 'mistakes.ts'), MISTAKES);
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ extends: '../tsconfig.json', include: [], files: ['mistakes.ts'] }));
      const run = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', dir], { cwd: dir, encoding: 'utf8' });
      const errors = run.stdout.split('\n').filter((line) => line.startsWith('mistakes.ts'));
      expect(errors, run.stdout).to.deep.equal([
        // line 4: the columns of 200 and of 'https://x'; line 5: of queu
        "mistakes.ts(4,27): error TS2322: Type 'number' is not assignable to type 'string'.",
        "mistakes.ts(4,32): error TS2322: Type 'string' is not assignable to type 'number'.",
        "mistakes.ts(5,63): error TS2561: Object literal may only specify known properties, but 'queu' does not exist in type 'PushOptions & { confirm?: true | undefined; }'. Did you mean to write 'queue'?",
      ]);
      expect(run.stdout).not.to.match(/No overload|PlainJob/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });


  it('accepts calls whose args match the worker, with and without confirm, plain jobs, periodics and filters', async () => {
    const kiq = new Kiq({
      testMode: 'sandbox',
      workers: [Resize, Mode, Ping],
      periodics: [definePeriodic('*/5 * * * *', Resize, { args: ['https://x', 200], queue: 'low' }), definePeriodic('@hourly', Ping), definePeriodic('@daily', 'RubyWorker', { args: [1] })],
    });
    await kiq.start();
    try {
      const job: Job = await kiq.enqueue(Resize, ['https://x', 200]);
      const receipt: PushReceipt = await kiq.enqueue(Mode, ['fast'], { confirm: true, in: 5_000 });
      const plain: Job = await kiq.enqueue({ class: 'RubyWorker', args: [1, 'x'] }, { queue: 'ruby' });
      const plainReceipt: PushReceipt = await kiq.enqueue({ class: 'RubyWorker', args: [] }, { confirm: true });
      await kiq.enqueue(Ping, []);
      const args: [string, number] = ['https://y', 300];
      await kiq.enqueue(Resize, args);
      const confirm = Math.random() < 2; // a confirm known only at run time
      const either: Job | PushReceipt = await kiq.enqueue(Mode, ['slow'], { confirm });
      expect(job.args).to.deep.equal(['https://x', 200]);
      expect(receipt.status).to.equal('scheduled');
      expect(plain.queue).to.equal('ruby');
      expect(plainReceipt.status).to.equal('enqueued');
      expect(either).to.have.property('status', 'enqueued');
      Testing.assertEnqueued(kiq, { class: Resize, args: ['https://x', 200] });
      Testing.assertEnqueued(kiq, { class: 'RubyWorker', args: [1, 'x'], queue: 'ruby' });
      Testing.refuteEnqueued(kiq, { class: Mode, args: ['fast'], in: 1 });
      expect(Testing.enqueued(kiq, { class: Resize })).to.have.length(2);
    } finally {
      await kiq.stop();
    }
  });
});
