import { expect } from 'chai';
import { applyInit, resolveConfig, type KiqOptions } from '../../src/config/index.js';
import { KiqConfigError } from '../../src/errors.js';

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('expected a rejection'),
    (error: unknown) => error,
  );
}

describe('applyInit (defaults → constructor options → init hook)', () => {
  it('returns the config as is when there is no hook', async () => {
    const options: KiqOptions = { poolSize: 2 };
    const config = resolveConfig(options, {});
    expect(await applyInit(config, options, {})).to.equal(config);
  });

  it('runs the TSDoc example', async () => {
    const options: KiqOptions = { queues: { default: 5 }, init: async (o) => ({ ...o, poolSize: 2 }) };
    const config = await applyInit(resolveConfig(options, {}), options, {});
    expect(config.poolSize).to.equal(2);
  });

  it('shows the hook the constructor options, and its result wins', async () => {
    let seen: KiqOptions | undefined;
    const options: KiqOptions = {
      queues: { default: 5 },
      poolSize: 3,
      init: async (o) => {
        seen = o;
        return { ...o, poolSize: 7, redisUrl: 'redis://vault-said:6379' };
      },
    };
    const config = await applyInit(resolveConfig(options, {}), options, {});
    expect(seen).to.deep.equal(options);
    expect(config.poolSize).to.equal(7);
    expect(config.queues).to.deep.equal({ default: 5 });
    expect(config.redisUrl).to.equal('redis://vault-said:6379');
  });

  it('lays a partial result over the constructor options; undefined falls back to the default', async () => {
    const options: KiqOptions = { queues: { mailers: 2 }, poolSize: 3, init: () => ({ poolSize: undefined, deadLimit: 10 }) };
    const config = await applyInit(resolveConfig(options, {}), options, {});
    expect(config.queues).to.deep.equal({ mailers: 2 });
    expect(config.poolSize).to.equal(5);
    expect(config.deadLimit).to.equal(10);
  });

  it('hands the hook a copy: mutating it leaves the constructor options alone', async () => {
    const options: KiqOptions = {
      poolSize: 3,
      init: (o) => {
        o.poolSize = 9;
        return o;
      },
    };
    const config = await applyInit(resolveConfig(options, {}), options, {});
    expect(config.poolSize).to.equal(9);
    expect(options.poolSize).to.equal(3);
  });

  it('keeps the generated identity unless the hook sets one', async () => {
    const options: KiqOptions = { init: (o) => o };
    const config = resolveConfig(options, {});
    expect((await applyInit(config, options, {})).identity).to.equal(config.identity);
    const named: KiqOptions = { init: (o) => ({ ...o, identity: 'from-init:1' }) };
    expect((await applyInit(resolveConfig(named, {}), named, {})).identity).to.equal('from-init:1');
  });

  it('reads REDIS_URL from the env it is given', async () => {
    const options: KiqOptions = { init: (o) => o };
    const config = await applyInit(resolveConfig(options, {}), options, { REDIS_URL: 'redis://env:6379' });
    expect(config.redisUrl).to.equal('redis://env:6379');
  });

  it('rejects with the error a throwing hook throws', async () => {
    const boom = new Error('vault unreachable');
    const options: KiqOptions = {
      init: () => {
        throw boom;
      },
    };
    expect(await rejection(applyInit(resolveConfig(options, {}), options, {}))).to.equal(boom);
    const rejecting: KiqOptions = { init: async () => Promise.reject(boom) };
    expect(await rejection(applyInit(resolveConfig(rejecting, {}), rejecting, {}))).to.equal(boom);
  });

  for (const result of [undefined, null, 'ok', [], 42]) {
    it(`rejects a hook that returns ${JSON.stringify(result) ?? 'undefined'}`, async () => {
      const options = { init: () => result } as unknown as KiqOptions;
      const error = await rejection(applyInit(resolveConfig(options, {}), options, {}));
      expect(error).to.be.instanceOf(KiqConfigError);
      expect((error as KiqConfigError).option).to.equal('init');
      expect((error as KiqConfigError).message).to.match(/^expected option "init" to be a function returning an options object, got: /);
    });
  }

  it('rejects an unknown key the hook returns', async () => {
    const options: KiqOptions = { init: (o) => ({ ...o, poolsize: 2 }) as KiqOptions };
    const error = await rejection(applyInit(resolveConfig(options, {}), options, {}));
    expect((error as KiqConfigError).message).to.include('expected option "poolsize" to be a known option (did you mean poolSize?)');
  });
});
