import { expect } from 'chai';
import diagnostics_channel from 'node:diagnostics_channel';
import { Kiq, defineWorker, type JobSuccessMessage } from '../../src/index.js';
import { silent } from '../support/logger.js';
import { useRedis } from '../support/redis.js';
import { deferred, until } from '../support/wait.js';

const Ok = defineWorker({ class: 'Ok', perform() {} });
const Bad = defineWorker({
  class: 'Bad',
  retry: 0,
  perform(): never {
    throw new TypeError('nope');
  },
});

describe('Telemetry through a running Kiq', function () {
  this.timeout(20_000);
  const redis = useRedis();

  it('delivers job events to kiq.on, the kiq:job:* channels, the log and user reporters, even with a reporter that always throws', async () => {
    const logger = silent();
    const seen: string[] = [];
    const thrower = { success: () => { throw new Error('reporter bug'); } };
    const recorder = { success: (e: { job: { jid?: unknown } }) => void seen.push(`reporter ${String(e.job.jid)}`) };
    const kiq = new Kiq({ redisUrl: redis.url, queues: { default: 2 }, workers: [Ok, Bad], logger, extraReporters: [thrower, recorder] });
    const fromChannel: JobSuccessMessage[] = [];
    const onMessage = (message: unknown) => void fromChannel.push(message as JobSuccessMessage);
    diagnostics_channel.subscribe('kiq:job:success', onMessage);
    const failure = deferred<{ outcome: string }>(5000, 'job:failure');
    kiq.on('job:success', ({ jid }) => seen.push(`on ${jid}`));
    kiq.on('job:failure', (event) => failure.resolve(event));
    try {
      await kiq.start();
      const ok = await kiq.enqueue(Ok, []);
      await kiq.enqueue(Bad, []);
      expect((await failure.promise).outcome).to.equal('dead');
      await until(() => seen.includes(`on ${ok.jid}`) && seen.includes(`reporter ${ok.jid}`) && fromChannel.length === 1, 5000, 'success events');
      expect(fromChannel[0]).to.include({ class: 'Ok', queue: 'default', jid: ok.jid });
      expect(fromChannel[0]!.durationMs).to.be.a('number');
      const lines = logger.lines.map((line) => JSON.parse(line) as { event: string; jid?: string });
      expect(lines.some((l) => l.event === 'job_success' && l.jid === ok.jid)).to.equal(true);
      expect(lines.some((l) => l.event === 'reporter_crashed')).to.equal(true);
      expect(await redis.client.zcard('dead')).to.equal(1);
    } finally {
      diagnostics_channel.unsubscribe('kiq:job:success', onMessage);
      await kiq.stop();
    }
  });
});
