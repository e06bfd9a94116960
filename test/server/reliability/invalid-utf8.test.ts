/**
 * Entries whose bytes are not valid UTF-8 (written by a producer other than
 * Ruby or Kiq) are settled by their own bytes (src/job/raw.ts): a valid job
 * runs once and leaves the private list; a malformed one reaches `dead` as
 * those bytes. Decoded to a JS string instead, neither LREM nor the dead
 * move matched anything: the job stayed in the private list and ran again
 * after every restart.
 */
import { expect } from 'chai';
import { Kiq, defineWorker, type Worker } from '../../../src/index.js';
import { silent } from '../../support/logger.js';
import { useRedis } from '../../support/redis.js';
import { failOnUncaught } from '../../support/uncaught.js';
import { until } from '../../support/wait.js';

/** `{"class":"Bytes","queue":"work","args":["<prefix>\xff\xfe"],"jid":"<jid>"}` with two invalid bytes in the argument. */
function invalidJob(jid: string): Buffer {
  return Buffer.concat([Buffer.from('{"class":"Bytes","queue":"work","args":["caf'), Buffer.from([0xe9, 0xff]), Buffer.from(`"],"jid":"${jid}","retry":true}`)]);
}

describe('Invalid UTF-8 payloads (real Redis, bytes written by a raw client)', function () {
  this.timeout(30_000);
  failOnUncaught();
  const redis = useRedis();
  const performed: { jid: string; arg: unknown }[] = [];
  const Bytes = defineWorker({
    class: 'Bytes',
    queue: 'work',
    perform(args: unknown[], ctx) {
      performed.push({ jid: ctx.jid, arg: args[0] });
    },
  });
  const BytesBoom = defineWorker({
    class: 'BytesBoom',
    queue: 'work',
    perform(): never {
      throw new Error('boom');
    },
  });
  const kiqs: Kiq[] = [];
  beforeEach(() => {
    performed.length = 0;
  });
  afterEach(async () => {
    for (const kiq of kiqs.splice(0)) await kiq.stop({ timeout: 2_000 }).catch(() => undefined);
  });

  async function server(): Promise<Kiq> {
    const kiq = new Kiq({ redisUrl: redis.url, queues: { work: 2 }, workers: [Bytes as Worker, BytesBoom as Worker], fetchInterval: 50, pollInterval: 50, logger: silent() });
    kiqs.push(kiq);
    await kiq.start();
    return kiq;
  }

  it('a valid job with invalid bytes runs once, is acked by its bytes and does not run again after a restart', async () => {
    const first = await server();
    // both fetch paths: a batch (fetch-jobs.lua) pushed before, a BLMOVE after the queue went idle
    await redis.client.lpush('queue:work', invalidJob('batch'));
    await until(() => performed.length === 1, 5_000, 'the batch-fetched job');
    await until(async () => (await redis.client.exists('queue:work')) === 0, 5_000, 'idle');
    await new Promise((resolve) => setTimeout(resolve, 200)); // the fetcher blocks again
    await redis.client.lpush('queue:work', invalidJob('blocking'));
    await until(() => performed.length === 2, 5_000, 'the BLMOVE-fetched job');
    await until(async () => (await redis.client.llen(`queue:sq|${first.identity}|work`)) === 0, 5_000, 'both acked by their bytes');
    // the worker got the text with U+FFFD for each bad byte
    expect(performed.map((p) => p.arg)).to.deep.equal(['caf\ufffd\ufffd', 'caf\ufffd\ufffd']);
    await first.stop();
    expect(await redis.client.llen('queue:work'), 'the stop requeued nothing').to.equal(0);

    await server();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(performed.map((p) => p.jid), 'each ran once, none again after the restart').to.deep.equal(['batch', 'blocking']);
    expect(await redis.client.zcard('dead')).to.equal(0);
  });

  it('a malformed payload with invalid bytes reaches dead with its exact bytes (in a wrapper Sidekiq reads) and leaves the private list', async () => {
    const kiq = await server();
    const malformed = Buffer.concat([Buffer.from('not json '), Buffer.from([0xc3, 0x28, 0xff])]);
    await redis.client.lpush('queue:work', malformed);
    await until(async () => (await redis.client.zcard('dead')) === 1, 5_000, 'the dead entry');
    const [member] = await redis.client.zrange('dead', '0', '-1');
    const entry = JSON.parse(member!) as { class: string; args: string[]; kiq_bytes_base64: string };
    expect(entry.class).to.equal('Kiq::InvalidJob');
    expect(entry.args, 'its text, U+FFFD for the bad bytes').to.deep.equal(['not json \ufffd(\ufffd']);
    expect(Buffer.from(entry.kiq_bytes_base64, 'base64').toString('hex'), 'exact bytes in dead').to.equal(malformed.toString('hex'));
    await until(async () => (await redis.client.llen(`queue:sq|${kiq.identity}|work`)) === 0, 5_000, 'out of the private list');
  });

  it('a failing job with invalid bytes goes to retry and leaves the private list (settled by its bytes)', async () => {
    const kiq = await server();
    await redis.client.lpush('queue:work', Buffer.from(invalidJob('fails').toString('latin1').replace('"Bytes"', '"BytesBoom"'), 'latin1'));
    await until(async () => (await redis.client.zcard('retry')) === 1, 5_000, 'the retry entry');
    await until(async () => (await redis.client.llen(`queue:sq|${kiq.identity}|work`)) === 0, 5_000, 'out of the private list');
    const [entry] = await redis.client.zrange('retry', '0', '-1');
    // written from the decoded text, with Sidekiq's failure fields
    expect(JSON.parse(entry!)).to.deep.include({ class: 'BytesBoom', jid: 'fails', retry_count: 0, error_message: 'boom', args: ['caf\ufffd\ufffd'] });
  });
});
