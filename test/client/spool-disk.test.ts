import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { useStoppableRedis } from '../support/stoppable-redis.js';
import { startSpoolChild, type SpoolChild } from '../support/spool-child.js';
import { useTempDir } from '../support/temp-dir.js';

/**
 * `unshare -rm`: a private mount namespace where the child can mount a
 * tmpfs of its own (tiny: ENOSPC; remounted read-only: EROFS) over its
 * spool directory, with no privilege on the host and nothing left behind.
 */
function unshareWorks(): boolean {
  return spawnSync('unshare', ['-rm', 'sh', '-c', 'd=$(mktemp -d) && mount -t tmpfs -o size=64k tmpfs "$d" && umount "$d" && rmdir "$d"'], { stdio: 'ignore' }).status === 0;
}

/** The child under unshare, `setup` run first (it sees $MNT, a tmpfs). */
function wrapped(mnt: string, setup: string): string[] {
  return ['unshare', '-rm', 'sh', '-c', `MNT='${mnt}'; ${setup} && exec "$@"`, 'sh'];
}

describe('Spool on a full or read-only disk (real processes, unshare + tmpfs)', function () {
  this.timeout(120_000);
  const children: SpoolChild[] = [];

  before(function () {
    if (!unshareWorks()) this.skip();
  });
  afterEach(async () => {
    for (const child of children.splice(0)) await child.kill();
  });
  // after the hook above: children shut down while Redis still runs and their mount point still exists
  const mnt = useTempDir('kiq-spool-mnt-');
  const redis = useStoppableRedis();

  async function storedArgs(): Promise<number[]> {
    await redis.client.ping();
    return (await redis.client.lrange('queue:default', 0, -1)).map((raw) => JSON.parse(raw).args[0] as number).sort((a, b) => a - b);
  }

  it('ENOSPC: the jobs the disk cannot take stay in memory (logged once), and every job reaches Redis once', async () => {
    const JOBS = 3000; // ~150 bytes a record: about 450 KB against a 64 KB tmpfs
    const child = startSpoolChild({ redisUrl: redis.server.url, dir: `${mnt()}/spool`, jobs: JOBS, wrap: wrapped(mnt(), 'mount -t tmpfs -o size=64k tmpfs "$MNT"') });
    children.push(child);
    await child.line(/^ready$/);
    await redis.stop();
    child.process.stdin!.write('enqueue\n');
    await child.line(/^enqueued /, 60_000);
    const failed = child.lines.filter((line) => line.includes('"event":"spool_write_failed"'));
    expect(failed).to.have.length(1);
    expect(failed[0]).to.include('"code":"ENOSPC"');
    expect(child.lines.some((line) => line.startsWith('error spool') && line.includes('ENOSPC'))).to.equal(true);
    await redis.restart();
    child.process.stdin!.write('flush\n');
    expect(await child.line(/^flushed /, 60_000)).to.equal('flushed 0');
    expect(await storedArgs()).to.deep.equal(Array.from({ length: JOBS }, (_, i) => i));
  });

  it('EROFS: a read-only spool directory is reported at start, and Kiq runs without a spool', async () => {
    const JOBS = 500;
    const child = startSpoolChild({
      redisUrl: redis.server.url,
      dir: `${mnt()}/spool`,
      jobs: JOBS,
      wrap: wrapped(mnt(), 'mount -t tmpfs tmpfs "$MNT" && mkdir "$MNT/spool" && mount -o remount,ro "$MNT"'),
    });
    children.push(child);
    await child.line(/^ready$/);
    expect(child.lines.some((line) => line.startsWith('error spool') && line.includes('EROFS') && line.includes('running without a spool'))).to.equal(true);
    child.process.stdin!.write('enqueue\n');
    await child.line(/^enqueued /, 60_000);
    child.process.stdin!.write('flush\n');
    await child.line(/^flushed /, 60_000);
    expect(await storedArgs()).to.deep.equal(Array.from({ length: JOBS }, (_, i) => i));
  });
});
