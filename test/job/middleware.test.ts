/**
 * The `middleware` option (src/job/middleware.ts), on a real Redis: client
 * hooks add payload keys that reach Redis, a throwing one rejects the
 * enqueue; server hooks wrap perform outermost first, see its failure and
 * can turn it into one, in sandbox drains too; bad middleware is a
 * KiqConfigError.
 */
import { expect } from 'chai';
import { Kiq, KiqConfigError, defineWorker, type JobMiddleware, type KiqOptions, type Worker } from '../../src/index.js';
import { Testing } from '../../src/testing/index.js';
import { silent } from '../support/logger.js';
import { useRedis } from '../support/redis.js';
import { deferred, until } from '../support/wait.js';

describe('middleware option', () => {
  const redis = useRedis();
  let kiq: Kiq | undefined;
  afterEach(async () => {
    await kiq?.stop();
    kiq = undefined;
  });

  const calls: string[] = [];
  beforeEach(() => calls.splice(0));
  const Work = defineWorker({ class: 'MwWork', async perform([n]: [number]) { calls.push(`perform ${n}`); } });
  const Fails = defineWorker({ class: 'MwFails', retry: 2, perform() { throw new Error('sync throw'); } });

  function named(name: string): JobMiddleware {
    return {
      client(job) {
        job[`seen_by_${name}`] = true;
      },
      async server(ctx, next) {
        // the key its client hook added, read back from Redis by the worker's side
        calls.push(`${name} before ${ctx.queue} ${String(ctx.job[`seen_by_${name}`])}`);
        try {
          return await next();
        } catch (error) {
          calls.push(`${name} saw ${(error as Error).message}`);
          throw error;
        } finally {
          calls.push(`${name} after`);
        }
      },
    };
  }

  async function start(options: KiqOptions): Promise<Kiq> {
    kiq = new Kiq({ redisUrl: redis.url, queues: { default: 1 }, workers: [Work, Fails] as Worker[], fetchInterval: 50, logger: silent(), ...options });
    await kiq.start();
    return kiq;
  }

  it('client hooks add keys that are pushed; server hooks wrap perform, the first outermost', async () => {
    const k = await start({ middleware: [named('a'), named('b')] });
    const job = await k.enqueue(Work, [1]);
    expect(job).to.include({ seen_by_a: true, seen_by_b: true });
    await until(() => calls.includes('a after'), 5_000, 'the job to run');
    expect(calls).to.deep.equal(['a before default true', 'b before default true', 'perform 1', 'b after', 'a after']);
  });

  it("a perform's failure (a synchronous throw too) reaches every server hook and still fails the job", async () => {
    const k = await start({ middleware: [named('a')] });
    await k.enqueue(Fails, []);
    await until(async () => (await redis.client.zcard('retry')) === 1, 5_000, 'the retry');
    expect(calls).to.deep.equal(['a before default true', 'a saw sync throw', 'a after']);
  });

  it('a server hook can fail a job that performed fine', async () => {
    const failure = deferred<string>(5_000, 'job:failure');
    const k = await start({ middleware: [{ server: async (_ctx, next) => { await next(); throw new Error('vetoed'); } }] });
    k.on('job:failure', ({ error }) => failure.resolve(error.message));
    await k.enqueue(Work, [2]);
    expect(await failure.promise).to.equal('vetoed');
    expect(calls).to.deep.equal(['perform 2']);
  });

  it('a throwing client hook rejects the enqueue and pushes nothing', async () => {
    const k = await start({ server: false, middleware: [{ client() { throw new Error('no jobs today'); } }] });
    let rejected: unknown;
    await k.enqueue(Work, [3]).catch((error: unknown) => (rejected = error));
    expect((rejected as Error).message).to.equal('no jobs today');
    await k.flush();
    expect(await redis.client.llen('queue:default')).to.equal(0);
  });

  it('sandbox mode: Testing.drain performs through the server hooks, as the runner does', async () => {
    kiq = new Kiq({ testMode: 'sandbox', workers: [Work] as Worker[], middleware: [named('a')] });
    await kiq.start();
    await kiq.enqueue(Work, [4]);
    expect(await Testing.drain(kiq)).to.equal(1);
    expect(calls).to.deep.equal(['a before default true', 'perform 4', 'a after']);
  });

  it('bad middleware is a KiqConfigError naming it', () => {
    const bad: [unknown, RegExp][] = [
      [{}, /middleware\[0\]" to be a middleware: an object with a client and\/or a server function/],
      [{ server: 'x' }, /middleware\[0\]" to be a middleware/],
      [{ client() {}, server: 1 }, /middleware\[0\]\.server" to be a function/],
    ];
    for (const [value, message] of bad) {
      expect(() => new Kiq({ middleware: [value as JobMiddleware] })).to.throw(KiqConfigError, message);
    }
    expect(() => new Kiq({ middleware: {} as never })).to.throw(KiqConfigError, /an array of middleware/);
  });
});
