import { expect } from 'chai';
import { Kiq, SpoolLockedError } from '../../src/index.js';
import { silent } from '../support/logger.js';
import { useStoppableRedis } from '../support/stoppable-redis.js';
import { spoolFiles } from '../support/spool-files.js';
import { startSpoolChild, type SpoolChild } from '../support/spool-child.js';
import { useTempDir } from '../support/temp-dir.js';

const JOBS = 10_000;
const startChild = (redisUrl: string, dir: string) => startSpoolChild({ redisUrl, dir, jobs: JOBS });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Spool on real processes: kill -9 during an outage and during replay', function () {
  this.timeout(180_000);
  const children: SpoolChild[] = [];
  afterEach(async () => {
    for (const child of children.splice(0)) await child.kill();
  });
  // after the hook above: children shut down while Redis still runs and their spool still exists
  const dir = useTempDir('kiq-spool-crash-');
  const redis = useStoppableRedis();

  /** A child enqueues JOBS jobs with Redis stopped and is SIGKILLed `delayMs` after the last enqueue resolved. */
  async function enqueueThenKill(delayMs: number): Promise<void> {
    const child = startChild(redis.server.url, dir());
    children.push(child);
    await child.line(/^ready$/);
    await redis.stop();
    child.process.stdin!.write('enqueue\n');
    await child.line(/^enqueued /, 60_000);
    await sleep(delayMs);
    await child.kill();
    expect(child.lines).to.include('outage');
    expect(spoolFiles(dir()).length).to.be.greaterThan(0);
  }

  async function storedArgs(): Promise<number[]> {
    await redis.client.ping();
    return (await redis.client.lrange('queue:default', 0, -1)).map((raw) => JSON.parse(raw).args[0] as number);
  }

  function expectEachOnce(args: number[]): void {
    const counts = new Map<number, number>();
    for (const arg of args) counts.set(arg, (counts.get(arg) ?? 0) + 1);
    const missing = Array.from({ length: JOBS }, (_, i) => i).filter((i) => !counts.has(i));
    const twice = [...counts].filter(([, n]) => n > 1).map(([i]) => i);
    expect({ missing: missing.length, twice: twice.length, total: args.length }).to.deep.equal({ missing: 0, twice: 0, total: JOBS });
  }

  it('refuses a second process on the same spool directory with SpoolLockedError naming the holder, and takes over after a kill -9', async () => {
    const holder = startChild(redis.server.url, dir());
    children.push(holder);
    await holder.line(/^ready$/);
    const second = new Kiq({ redisUrl: redis.server.url, server: false, logger: silent(), spool: { dir: dir() } });
    const error = await second.start().catch((e: unknown) => e);
    expect(error).to.be.instanceOf(SpoolLockedError);
    expect((error as SpoolLockedError).holder).to.equal(holder.process.pid);
    await holder.kill();
    const third = new Kiq({ redisUrl: redis.server.url, server: false, logger: silent(), spool: { dir: dir() } });
    await third.start();
    await third.stop();
  });

  it(`writes all ${JOBS.toLocaleString('en')} jobs to Redis exactly once after a kill -9 a few ms after the last enqueue`, async () => {
    await enqueueThenKill(Math.floor(Math.random() * 5));
    await redis.restart();
    const replay = startChild(redis.server.url, dir());
    children.push(replay);
    await replay.line(/^drained$/, 60_000);
    expectEachOnce(await storedArgs());
    expect(replay.lines.filter((line) => line.startsWith('error '))).to.deep.equal([]);
  });

  it('repeats no job when replay is killed at random moments (progress key in the same MULTI as the push)', async () => {
    await enqueueThenKill(2);
    await redis.restart();
    let kills = 0;
    // replay starts as start() resolves: kill at a random moment of it, again and again
    for (let attempt = 0; attempt < 20; attempt++) {
      const replay = startChild(redis.server.url, dir());
      children.push(replay);
      await replay.line(/^ready$/, 30_000);
      await sleep(Math.floor(Math.random() * 25));
      const finished = replay.lines.includes('drained');
      await replay.kill();
      if (finished) break;
      kills++;
    }
    const last = startChild(redis.server.url, dir());
    children.push(last);
    await last.line(/^drained$/, 60_000);
    const args = await storedArgs();
    console.log(`      kill-during-replay: ${kills} kills, ${args.length - new Set(args).size} repeated jobs of ${JOBS}`);
    expect(kills).to.be.greaterThan(0);
    expectEachOnce(args);
  });
});
