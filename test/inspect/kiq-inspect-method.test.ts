import { expect } from 'chai';
import type { InspectionEvent } from 'xstate';
import { Kiq, KiqNotRunningError, createJsonlRecorder } from '../../src/index.js';
import { silent } from '../support/logger.js';
import { useRedis } from '../support/redis.js';

describe('kiq.inspect(observer)', () => {
  const redis = useRedis();
  it('re-announces the running tree, then streams; throws before start, in sandbox and after stop', async () => {
    const kiq = new Kiq({ redisUrl: redis.url, queues: { a: 1, b: 1 }, logger: silent() });
    expect(() => kiq.inspect(() => {})).to.throw(KiqNotRunningError, 'cannot inspect: kiq is new');
    await kiq.start();
    const seen: InspectionEvent[] = [];
    const sub = kiq.inspect((e) => seen.push(e));
    const ids = seen.filter((e) => e.type === '@xstate.actor').map((e) => (e.actorRef as unknown as { id: string }).id);
    expect(ids).to.include.members(['kiq', 'flusher', 'queue:a', 'queue:b', 'fetcher', 'poller:retry']);
    const chunks: string[] = [];
    const rec = createJsonlRecorder({ write: (c: string) => chunks.push(c) });
    const sub2 = kiq.inspect(rec);
    kiq.configure({ quiet: true });
    sub.unsubscribe(); sub2.unsubscribe(); await rec.close();
    expect(chunks.join('')).to.contain('"type":"configure"');
    await kiq.stop();
    expect(() => kiq.inspect(() => {})).to.throw(KiqNotRunningError, 'cannot inspect: kiq is stopped');
    const sandbox = new Kiq({ testMode: 'sandbox' });
    await sandbox.start();
    expect(() => sandbox.inspect(() => {})).to.throw(KiqNotRunningError, 'sandbox mode');
  });
});
