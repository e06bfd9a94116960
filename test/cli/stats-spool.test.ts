import { expect } from 'chai';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { markerPath, writeMarker } from '../../src/client/spool/marker.js';
import { useRedis } from '../support/redis.js';
import { buildSegment, plainJob, writeSegment } from '../support/spool-files.js';
import { useTempDir } from '../support/temp-dir.js';
import { runKiq } from './support.js';

describe('kiq stats --spool-dir', function () {
  this.timeout(30_000);
  const redis = useRedis();
  const dir = useTempDir('kiq-stats-spool-');

  it('shows what the local spool holds that Redis does not have yet, and its owner', async () => {
    const { bytes, offsets } = buildSegment([plainJob(0), plainJob(1), plainJob(2)]);
    const name = await writeSegment(dir(), 1, bytes);
    await writeMarker(markerPath(join(dir(), name)), offsets[1]!); // job 0 pushed
    await writeFile(join(dir(), 'kiq.lock'), '4242\n');
    const json = await runKiq(['stats', '--json', '--spool-dir', dir()], { redisUrl: redis.url });
    expect(json.code, json.stderr).to.equal(0);
    expect(JSON.parse(json.stdout).spool).to.deep.equal({ dir: dir(), segments: 1, bytes: bytes.length, unpushedBytes: bytes.length - offsets[1]!, corrupt: 0, holder: 4242 });
    const text = await runKiq(['stats', '--spool-dir', dir()], { redisUrl: redis.url });
    expect(text.stdout).to.include(`spool            ${bytes.length - offsets[1]!} bytes not in Redis, 1 segment(s), ${bytes.length} bytes on disk (pid 4242)`);
  });

  it('exits 3 naming the directory when it does not exist', async () => {
    const result = await runKiq(['stats', '--spool-dir', join(dir(), 'nope')], { redisUrl: redis.url });
    expect(result.code).to.equal(3);
    expect(result.stderr).to.include('ENOENT');
  });
});
