import { expect } from 'chai';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { BufferFullError, Kiq, SpoolError, SpoolLockedError, type KiqOptions } from '../../src/index.js';
import { progressKey, segmentName } from '../../src/client/spool/segment-name.js';
import { silent, type MemoryLogger } from '../support/logger.js';
import { useStoppableRedis } from '../support/stoppable-redis.js';
import { useRedis } from '../support/redis.js';
import { buildSegment, plainJob, spoolFiles, writeSegment } from '../support/spool-files.js';
import { until } from '../support/wait.js';
import { useTempDir } from '../support/temp-dir.js';

async function jidsIn(client: Redis, key = 'queue:default'): Promise<string[]> {
  return (await client.lrange(key, 0, -1)).map((raw) => JSON.parse(raw).jid as string);
}

function errorsOf(kiq: Kiq): Error[] {
  const errors: Error[] = [];
  kiq.on('error', (error) => errors.push(error));
  return errors;
}

describe('Spool: reliable push through a Redis outage, on disk', function () {
  this.timeout(30_000);
  let kiq: Kiq | undefined;
  let logger: MemoryLogger;

  const options = (extra: Partial<KiqOptions> = {}): KiqOptions => ({
    redisUrl: redis.server.url,
    server: false,
    flushMaxInterval: 200,
    logger,
    spool: { dir: dir() },
    ...extra,
  });

  beforeEach(() => {
    logger = silent();
  });
  afterEach(async () => {
    await kiq?.stop().catch(() => undefined);
    kiq = undefined;
  });
  // after the hooks above: Kiq and children shut down while Redis still runs and its spool still exists
  const dir = useTempDir('kiq-spool-');
  const redis = useStoppableRedis();

  it('writes nothing to disk while Redis takes the writes (outage mode)', async () => {
    kiq = new Kiq(options());
    let spooled = 0;
    kiq.on('push.spooled', ({ count }) => (spooled += count));
    await kiq.start();
    for (let i = 0; i < 2000; i++) await kiq.enqueue({ class: 'Up', args: [i] });
    await kiq.flush();
    expect(await redis.client.llen('queue:default')).to.equal(2000);
    expect(spooled).to.equal(0);
    expect(spoolFiles(dir())).to.deep.equal([]);
  });

  it('puts jobs enqueued during an outage on disk, then writes each to Redis once and removes the segment', async () => {
    kiq = new Kiq(options());
    let spooled = 0;
    let replayed = 0;
    kiq.on('push.spooled', ({ count }) => (spooled += count));
    kiq.on('push.replayed', ({ count }) => (replayed += count));
    await kiq.start();
    await redis.stop();
    const jobs = await Promise.all(Array.from({ length: 1000 }, (_, i) => kiq!.enqueue({ class: 'Survivor', args: [i] })));
    await until(() => spooled === 1000, 10_000, 'all 1,000 jobs on disk');
    expect(kiq.buffered).to.equal(0);
    expect(spoolFiles(dir())).to.have.length(1);
    await redis.restart();
    await kiq.flush();
    expect(replayed).to.equal(1000);
    await redis.client.ping();
    const stored = await jidsIn(redis.client);
    expect(stored).to.have.length(1000);
    expect(new Set(stored)).to.deep.equal(new Set(jobs.map((job) => job.jid)));
    // oldest first, as LPUSH/BRPOP order expects: the first enqueued is at the right end
    expect(stored.at(-1)).to.equal(jobs[0]!.jid);
    await until(() => spoolFiles(dir()).length === 0, 5_000, 'the replayed segment removed');
    // logged when the replaying flush call ends, which flush() (the spool drained) need not wait for
    await until(() => logger.lines.some((line) => line.includes('"event":"enqueueing_restored"') && line.includes('"spooled":1000')), 2_000, 'enqueueing_restored with spooled 1000');
  });

  it('sends the jobs waiting behind a hung write to disk after spool.after, and writes each once when Redis answers again', async () => {
    kiq = new Kiq(options({ spool: { dir: dir(), after: 200 } }));
    let spooled = 0;
    kiq.on('push.spooled', ({ count }) => (spooled += count));
    await kiq.start();
    await kiq.enqueue({ class: 'Warm', args: [] }, { confirm: true });
    process.kill(redis.server.pid, 'SIGSTOP'); // a hung Redis: the connection stays open, nothing answers
    try {
      const jobs = [await kiq.enqueue({ class: 'Hung', args: [0] })];
      await new Promise((resolve) => setImmediate(resolve)); // the Flusher's write of job 0 is in flight
      for (let i = 1; i <= 20; i++) jobs.push(await kiq.enqueue({ class: 'Hung', args: [i] }));
      await until(() => spooled === 20, 5_000, 'the 20 jobs behind the hung write on disk');
      process.kill(redis.server.pid, 'SIGCONT');
      await kiq.flush();
      const stored = await jidsIn(redis.client);
      expect(stored).to.have.length(22);
      expect(new Set(stored).size).to.equal(22);
    } finally {
      process.kill(redis.server.pid, 'SIGCONT');
    }
  });

  it('replays from disk once the outage outgrew the in-memory copy (bufferLimit records)', async () => {
    kiq = new Kiq(options({ bufferLimit: 100 }));
    let spooled = 0;
    kiq.on('push.spooled', ({ count }) => (spooled += count));
    await kiq.start();
    await redis.stop();
    const jobs = [];
    for (let i = 0; i < 1000; i++) {
      jobs.push(await kiq.enqueue({ class: 'Long', args: [i] }));
      if (i % 50 === 49) await new Promise((resolve) => setImmediate(resolve));
    }
    await until(() => spooled === 1000, 10_000, 'all 1,000 on disk');
    await redis.restart();
    await kiq.flush();
    await redis.client.ping();
    const stored = await jidsIn(redis.client);
    expect(stored).to.have.length(1000);
    expect(stored.reverse()).to.deep.equal(jobs.map((job) => job.jid));
  });

  it('stop() during an outage keeps what Redis did not take on disk, and the next start writes it', async () => {
    kiq = new Kiq(options());
    await kiq.start();
    await redis.stop();
    const jobs = await Promise.all(Array.from({ length: 50 }, (_, i) => kiq!.enqueue({ class: 'Kept', args: [i] })));
    await kiq.stop({ timeout: 200 });
    expect(logger.lines.some((line) => line.includes('"event":"spool_kept"'))).to.equal(true);
    await redis.restart();
    kiq = new Kiq(options());
    await kiq.start();
    await kiq.flush();
    await redis.client.ping();
    expect((await jidsIn(redis.client)).sort()).to.deep.equal(jobs.map((job) => job.jid).sort());
  });

  it('in always mode spools every job before pushing it, and confirm: true resolves once Redis has it', async () => {
    kiq = new Kiq(options({ spool: { dir: dir(), mode: 'always' } }));
    let spooled = 0;
    kiq.on('push.spooled', ({ count }) => (spooled += count));
    await kiq.start();
    const plain = await Promise.all(Array.from({ length: 500 }, (_, i) => kiq!.enqueue({ class: 'Wal', args: [i] })));
    const receipt = await kiq.enqueue({ class: 'Wal', args: ['confirmed'] }, { confirm: true });
    expect(receipt.status).to.equal('enqueued');
    await kiq.flush();
    expect(spooled).to.equal(501);
    const stored = await jidsIn(redis.client);
    expect(new Set(stored)).to.deep.equal(new Set([...plain.map((job) => job.jid), receipt.job.jid]));
    expect(stored).to.have.length(501);
  });

  it('flush() waits for spooled jobs whose fdatasync is still under way', async () => {
    kiq = new Kiq(options({ spool: { dir: dir(), mode: 'always' } }));
    await kiq.start();
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 1000; i++) void kiq.enqueue({ class: 'Wal', args: [round, i] });
      await kiq.flush();
      expect(await redis.client.llen('queue:default')).to.equal((round + 1) * 1000);
    }
  });

  it('in always mode stop() right after enqueue pushes every job, leaving nothing on disk', async () => {
    kiq = new Kiq(options({ spool: { dir: dir(), mode: 'always' } }));
    await kiq.start();
    await kiq.enqueue({ class: 'Wal', args: ['warm'] }, { confirm: true });
    for (let i = 0; i < 1000; i++) void kiq.enqueue({ class: 'Wal', args: [i] });
    await kiq.stop();
    expect(await redis.client.llen('queue:default')).to.equal(1001);
    expect(logger.lines.some((line) => line.includes('"event":"spool_kept"'))).to.equal(false);
    // the segment kept for more writes is pushed in full: the next start removes it
    expect(spoolFiles(dir()).filter((name) => name.endsWith('.kiq'))).to.have.length(1);
    kiq = new Kiq(options({ spool: { dir: dir(), mode: 'always' } }));
    await kiq.start();
    expect(spoolFiles(dir())).to.deep.equal([]);
    await kiq.flush();
    expect(await redis.client.llen('queue:default')).to.equal(1001);
  });

  it('replays a unique job once: its lock refuses a duplicate spooled after it', async () => {
    kiq = new Kiq(options());
    await kiq.start();
    await redis.stop();
    await kiq.enqueue({ class: 'Once', args: [1] }, { uniqueFor: 60_000 });
    await kiq.enqueue({ class: 'Once', args: [1] }, { uniqueFor: 60_000 });
    await until(() => spoolFiles(dir()).length === 1 && kiq!.buffered === 0, 10_000, 'both on disk');
    await redis.restart();
    await kiq.flush();
    await redis.client.ping();
    expect(await redis.client.llen('queue:default')).to.equal(1);
  });

  it('rejects enqueue with BufferFullError past spool.maxBytes, and loses none it accepted', async () => {
    kiq = new Kiq(options({ spool: { dir: dir(), maxBytes: 4096 } }));
    await kiq.start();
    await redis.stop();
    const accepted: string[] = [];
    let error: unknown;
    for (let i = 0; i < 1000 && !error; i++) {
      try {
        accepted.push((await kiq.enqueue({ class: 'Bounded', args: [i] })).jid);
      } catch (e) {
        error = e;
      }
      // let the pump write, so the spool's size is what bounds
      if (i % 10 === 9) await new Promise((resolve) => setImmediate(resolve));
      if (!error && i % 10 === 9) await until(() => kiq!.buffered === 0, 5_000, 'group on disk');
    }
    expect(error).to.be.instanceOf(BufferFullError);
    expect((error as Error).message).to.match(/spool\.maxBytes/);
    await redis.restart();
    await kiq.flush();
    await redis.client.ping();
    expect((await jidsIn(redis.client)).sort()).to.deep.equal(accepted.sort());
  });

  it('refuses a second instance on the same directory with SpoolLockedError at start', async () => {
    kiq = new Kiq(options());
    await kiq.start();
    const second = new Kiq(options());
    const error = await second.start().catch((e: unknown) => e);
    expect(error).to.be.instanceOf(SpoolLockedError);
    expect((error as SpoolLockedError).holder).to.equal(process.pid);
    expect((error as Error).message).to.include(dir());
    // the first one is unharmed
    await kiq.enqueue({ class: 'Still', args: [] }, { confirm: true });
    expect(await redis.client.llen('queue:default')).to.equal(1);
  });

  it('runs without a spool, saying so, when the directory cannot be used', async () => {
    const notADir = join(dir(), 'file');
    await writeFile(notADir, 'x');
    kiq = new Kiq(options({ spool: { dir: notADir } }));
    const errors = errorsOf(kiq);
    await kiq.start();
    expect(errors.some((e) => e instanceof SpoolError && e.message.includes('running without a spool'))).to.equal(true);
    expect(logger.lines.some((line) => line.includes('"event":"spool_error"'))).to.equal(true);
    const receipt = await kiq.enqueue({ class: 'Memory', args: [] }, { confirm: true });
    expect(receipt.status).to.equal('enqueued');
  });
});

describe('Spool: replay of what a crashed or damaged process left', function () {
  this.timeout(30_000);
  const redis = useRedis();
  const dir = useTempDir('kiq-spool-');

  async function replay(): Promise<{ errors: Error[]; logger: MemoryLogger }> {
    const logger = silent();
    const kiq = new Kiq({ redisUrl: redis.url, server: false, logger, spool: { dir: dir() } });
    const errors = errorsOf(kiq);
    await kiq.start();
    try {
      await kiq.flush();
    } finally {
      await kiq.stop();
    }
    return { errors, logger };
  }

  it('skips a torn last record (the process died mid-write), pushes the others and removes the segment', async () => {
    const jobs = Array.from({ length: 4 }, (_, i) => plainJob(i));
    const { bytes, offsets } = buildSegment(jobs);
    await writeSegment(dir(), 1, bytes.subarray(0, offsets[3]! + 7));
    const { errors } = await replay();
    expect((await jidsIn(redis.client)).sort()).to.deep.equal(jobs.slice(0, 3).map((job) => job.jid).sort());
    expect(errors.map((e) => e.message).join()).to.match(/torn last record at offset \d+/);
    expect(spoolFiles(dir())).to.deep.equal([]);
  });

  it('skips a record with a corrupted byte, pushes every other one, and keeps the file as .corrupt', async () => {
    const jobs = Array.from({ length: 5 }, (_, i) => plainJob(i));
    const { bytes, offsets } = buildSegment(jobs);
    bytes[offsets[2]! + 20]! ^= 0x01;
    const name = await writeSegment(dir(), 1, bytes);
    const { errors } = await replay();
    expect((await jidsIn(redis.client)).sort()).to.deep.equal([0, 1, 3, 4].map((i) => jobs[i]!.jid).sort());
    expect(errors.map((e) => e.message).join()).to.match(/corrupt record at offset \d+/);
    expect(spoolFiles(dir())).to.deep.equal([`${name}.corrupt`]);
  });

  it('finds the next record after a corrupted length byte', async () => {
    const jobs = Array.from({ length: 3 }, (_, i) => plainJob(i));
    const { bytes, offsets } = buildSegment(jobs);
    bytes[offsets[0]! + 9] = 0x7f; // top byte of the first record's length
    await writeSegment(dir(), 1, bytes);
    await replay();
    expect((await jidsIn(redis.client)).sort()).to.deep.equal(jobs.slice(1).map((job) => job.jid).sort());
  });

  it('leaves a segment from a newer format untouched, says so, and replays the others', async () => {
    const newer = buildSegment([plainJob(0)]).bytes;
    newer.writeUInt16LE(2, 8);
    const newerName = await writeSegment(dir(), 1, newer);
    await writeSegment(dir(), 2, buildSegment([plainJob(1)]).bytes);
    const { errors } = await replay();
    expect(await jidsIn(redis.client)).to.deep.equal([plainJob(1).jid]);
    expect(errors.map((e) => e.message).join()).to.match(/format 2, this Kiq reads format 1; left untouched/);
    expect(spoolFiles(dir())).to.deep.equal([newerName]);
    expect(await readFile(join(dir(), newerName))).to.deep.equal(newer);
  });

  it('skips records whose push Redis already recorded (a crash between EXEC and the local marker)', async () => {
    const jobs = Array.from({ length: 10 }, (_, i) => plainJob(i));
    const { bytes, offsets } = buildSegment(jobs);
    const name = await writeSegment(dir(), 1, bytes);
    // what the EXEC of the first batch left in Redis: jobs 0-5 and the progress key
    for (const job of jobs.slice(0, 6)) await redis.client.lpush('queue:default', job.json);
    await redis.client.set(progressKey(name), String(offsets[6]));
    await replay();
    const stored = await jidsIn(redis.client);
    expect(stored).to.have.length(10);
    expect(new Set(stored).size).to.equal(10);
    expect(await redis.client.exists(progressKey(name))).to.equal(0);
  });

  it('reports an entry it cannot read as a segment, leaves it, and replays the others', async () => {
    const odd = segmentName(1);
    await mkdir(join(dir(), odd));
    await writeSegment(dir(), 2, buildSegment([plainJob(1)]).bytes);
    const { errors } = await replay();
    expect(await jidsIn(redis.client)).to.deep.equal([plainJob(1).jid]);
    expect(errors.map((e) => e.message).join()).to.match(/unreadable \(EISDIR\); left untouched/);
    expect(spoolFiles(dir())).to.deep.equal([odd]);
  });

  it('replays segments oldest first, across several of them', async () => {
    await writeSegment(dir(), 7, buildSegment([plainJob(0), plainJob(1)]).bytes);
    await writeSegment(dir(), 8, buildSegment([plainJob(2)]).bytes);
    await replay();
    expect((await jidsIn(redis.client)).reverse()).to.deep.equal([0, 1, 2].map((i) => plainJob(i).jid));
  });
});
