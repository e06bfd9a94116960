import { expect } from 'chai';
import { systemClock } from '../../src/clock.js';
import { DEFAULTS, resolveConfig, type KiqOptions } from '../../src/config/index.js';
import { KiqConfigError } from '../../src/errors.js';
import { defineWorker } from '../../src/worker.js';

const Mailer = defineWorker({ class: 'Mailer', async perform() {} });
const IDENTITY = /^[^:|]+:\d+:[0-9a-f]{12}$/;

describe('resolveConfig', () => {
  it("fills every option with Kiq's defaults (item 29)", () => {
    const { identity, ...config } = resolveConfig({}, {});
    expect(identity).to.match(IDENTITY);
    expect(config).to.deep.equal({
      queues: { default: 25 },
      workers: [],
      periodics: [],
      extraReporters: [],
      middleware: [],
      fetchInterval: 500,
      prefetch: true,
      flushInterval: 10,
      flushMaxInterval: 5_000,
      bufferLimit: 100_000,
      spool: undefined,
      poolSize: 5,
      deadLimit: 10_000,
      deadTimeout: 15_552_000_000,
      schedulers: ['retry', 'schedule'],
      pollInterval: 5_000,
      leaderTtl: 30_000,
      livenessTtl: 10_000,
      server: true,
      testMode: 'disabled',
      timestamps: 'seconds',
      metrics: true,
      health: { port: undefined, prometheus: false, host: '127.0.0.1', fetchStaleMs: 30_000, redisDownMs: 10_000, redisSlowMs: 1_000, pingTimeoutMs: 2_000, bufferAgeMs: 10_000, sampleMs: 5_000 },
      quiet: false,
      tag: '',
      shutdownTimeout: 25_000,
      maxRestarts: 3,
      restartWindow: 5000,
      redis: {},
      redisUrl: 'redis://127.0.0.1:6379',
      clock: systemClock,
      inspect: undefined,
      logger: console,
    });
  });

  it('fills the spool option with its defaults, and takes what is given', () => {
    expect(resolveConfig({ spool: { dir: '/var/spool/kiq' } }, {}).spool).to.deep.equal({
      dir: '/var/spool/kiq',
      mode: 'outage',
      maxBytes: 1024 ** 3,
      after: 1_000,
      segmentBytes: 16 * 1024 ** 2,
    });
    expect(resolveConfig({ spool: { dir: 'd', mode: 'always', maxBytes: 10 } }, {}).spool).to.include({ mode: 'always', maxBytes: 10 });
  });

  it('rejects a bad spool option, naming the field', () => {
    expect(() => resolveConfig({ spool: { dir: '' } }, {})).to.throw(KiqConfigError, 'expected option "spool.dir" to be a non-empty directory path, got: ""');
    expect(() => resolveConfig({ spool: { dir: 'd', mode: 'sometimes' as 'always' } }, {})).to.throw(KiqConfigError, '"spool.mode"');
    expect(() => resolveConfig({ spool: { dir: 'd', maxBytes: 0 } }, {})).to.throw(KiqConfigError, '"spool.maxBytes" to be a positive integer of bytes');
    expect(() => resolveConfig({ spool: { dir: 'd', dirs: 'x' } as unknown as { dir: string } }, {})).to.throw(KiqConfigError, '"spool.dirs"');
    expect(() => resolveConfig({ spool: '/tmp' as unknown as { dir: string } }, {})).to.throw(KiqConfigError, '"spool" to be an object');
  });

  it('runs the TSDoc example', () => {
    const config = resolveConfig({ queues: { default: 10, mailers: 2 } }, { REDIS_URL: 'redis://cache:6379/1' });
    expect(config.poolSize).to.equal(5);
    expect(config.redisUrl).to.equal('redis://cache:6379/1');
  });

  it('returns a frozen config whose lists and queues are frozen copies', () => {
    const workers = [Mailer];
    const queues = { default: 3 };
    const config = resolveConfig({ workers, queues }, {});
    workers.push(defineWorker({ class: 'Other', perform() {} }));
    queues.default = 4;
    expect(config.workers).to.deep.equal([Mailer]);
    expect(config.queues).to.deep.equal({ default: 3 });
    for (const value of [config, config.workers, config.queues, config.schedulers, config.periodics, config.extraReporters]) {
      expect(Object.isFrozen(value)).to.equal(true);
    }
    expect(DEFAULTS.queues).to.deep.equal({ default: 25 });
  });

  describe('Redis', () => {
    it('defaults redisUrl to REDIS_URL', () => {
      expect(resolveConfig({}, { REDIS_URL: 'redis://redis.internal:6390/3' }).redisUrl).to.equal('redis://redis.internal:6390/3');
    });

    it('treats an empty REDIS_URL as unset', () => {
      expect(resolveConfig({}, { REDIS_URL: '' }).redisUrl).to.equal('redis://127.0.0.1:6379');
    });

    it('prefers the redisUrl option to REDIS_URL', () => {
      expect(resolveConfig({ redisUrl: 'rediss://a:6380' }, { REDIS_URL: 'redis://b:6379' }).redisUrl).to.equal('rediss://a:6380');
    });

    it('rejects a bad REDIS_URL, saying where it came from', () => {
      expect(() => resolveConfig({}, { REDIS_URL: 'localhost:6379' })).to.throw(
        KiqConfigError,
        'expected option "redisUrl" to be a redis:// or rediss:// URL (taken from the REDIS_URL environment variable), got: "localhost:6379"',
      );
    });

    it('passes rediss:// and ioredis options (tls, sentinels, name) through unchanged', () => {
      const redis = {
        sentinels: [
          { host: 'sentinel-1', port: 26379 },
          { host: 'sentinel-2', port: 26379 },
        ],
        name: 'mymaster',
        sentinelPassword: 'x',
        tls: { servername: 'cache.example' },
        db: 2,
      };
      const before = structuredClone(redis);
      const config = resolveConfig({ redis, redisUrl: 'rediss://cache.example:6380' }, {});
      expect(config.redis).to.equal(redis);
      expect(redis).to.deep.equal(before);
      expect(Object.isFrozen(redis)).to.equal(false);
      expect(config.redisUrl).to.equal('rediss://cache.example:6380');
    });
  });

  describe('identity', () => {
    it('is generated as hostname:pid:12-hex when absent (item 36)', () => {
      const { identity } = resolveConfig({}, { DYNO: 'web.1' });
      expect(identity).to.match(new RegExp(`^web\\.1:${process.pid}:[0-9a-f]{12}$`));
    });

    it('differs between instances of one process', () => {
      expect(resolveConfig({}, {}).identity).not.to.equal(resolveConfig({}, {}).identity);
    });

    it('keeps a given identity unchanged (item 36)', () => {
      expect(resolveConfig({ identity: 'ident:1234' }, { DYNO: 'web.1' }).identity).to.equal('ident:1234');
    });
  });

  it('normalises cron expressions to single spaces', () => {
    const config = resolveConfig({ periodics: [['  */5   *  * * *  ', Mailer]] }, {});
    expect(config.periodics[0]!.expression).to.equal('*/5 * * * *');
  });

  it('does not run init at construction', () => {
    let calls = 0;
    const options: KiqOptions = {
      init: (o) => {
        calls += 1;
        return o;
      },
    };
    resolveConfig(options, {});
    expect(calls).to.equal(0);
  });
});
