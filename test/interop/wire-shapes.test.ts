/**
 * What Kiq writes, held field by field against what the real Sidekiq 6.4.1,
 * 7.3.10 and 8.1.7 write (fixtures/sidekiq-wire/: excerpts of their raw
 * Redis dumps). Needs no Ruby: the shapes are data. Types count: an integer
 * string is not a float string, a hash field is not an `info` key, and TTLs
 * are compared to Sidekiq's.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { ManualClock } from '../../src/clock.js';
import { defineWorker, Kiq, type KiqOptions, type Worker } from '../../src/index.js';
import type { JobPayload } from '../../src/job/payload.js';
import { Heartbeat } from '../../src/server/heartbeat.js';
import { ProcessState } from '../../src/server/process-state.js';
import { silent } from '../support/logger.js';
import { useRedis } from '../support/redis.js';
import { until } from '../support/wait.js';

/** A raw key of the fixtures: `rawdump.rb`'s type, TTL and value. */
interface RawKey {
  readonly type: string;
  readonly ttl: number;
  readonly value: unknown;
}

/** One Sidekiq version's excerpt. */
interface VersionExcerpt {
  readonly process: Record<string, RawKey>;
  readonly work: Record<string, RawKey>;
  readonly metrics_after_stop: Record<string, RawKey>;
  /** The oldest `queue:default` entry, as that version's client pushed it. */
  readonly queued_job: string;
  /** `[member, score]` of a `retry` entry after one failure. */
  readonly retry_entry: readonly [string, string];
}

const FIXTURES = JSON.parse(readFileSync(new URL('./fixtures/sidekiq-wire/selftest-excerpts.json', import.meta.url), 'utf8')) as Record<
  '6.4.1' | '7.3.10' | '8.1.7',
  VersionExcerpt
>;
const VERSIONS = ['6.4.1', '7.3.10', '8.1.7'] as const;

/** The one process hash of a version's excerpt. */
function processHash(version: (typeof VERSIONS)[number]): Record<string, string> {
  const [entry] = Object.values(FIXTURES[version].process);
  return entry!.value as Record<string, string>;
}

/** What a Redis string holds, as a Ruby reader would take it. */
function kindOf(text: string): string {
  if (/^-?\d+$/.test(text)) return 'integer';
  if (/^-?\d+\.\d+$/.test(text)) return 'float';
  if (text === 'true' || text === 'false') return 'boolean';
  if (text.startsWith('{')) return 'json';
  return 'string';
}

/** The JSON type of a value, integer and float told apart by the raw text around `key`. */
function jsonKinds(json: string): Record<string, string> {
  const parsed = JSON.parse(json) as Record<string, unknown>;
  const kinds: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value === 'number') {
      const raw = new RegExp(`"${key}":(-?[\\d.]+)`).exec(json)![1]!;
      kinds[key] = raw.includes('.') ? 'float' : 'integer';
    } else kinds[key] = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  }
  return kinds;
}

describe('Wire shapes against real Sidekiq 6.4.1 / 7.3.10 / 8.1.7 (fixtures)', () => {
  const redis = useRedis();
  const IDENTITY = 'vm:12479:7a254f54ce0b';

  async function kiqBeat(): Promise<{ hash: Record<string, string>; ttl: number }> {
    const clock = new ManualClock(1_796_286_257_987.3204);
    const state = new ProcessState(clock);
    const job: JobPayload = { class: 'Interop::Slow', args: [1], jid: 'a319acf4a129c1d6e0eec601', queue: 'default' };
    state.started({ job, raw: JSON.stringify(job), queue: 'default' });
    const heartbeat = new Heartbeat({
      redis: () => redis.client,
      identity: IDENTITY,
      queues: { default: 5, low: 2 },
      clock,
      logger: silent(),
      state,
      onSignal: () => undefined,
    });
    await heartbeat.beat();
    return { hash: await redis.client.hgetall(IDENTITY), ttl: await redis.client.ttl(IDENTITY) };
  }

  describe('the <identity> hash', () => {
    for (const version of VERSIONS) {
      it(`has every field ${version} writes, each of the same kind, TTL 60 s`, async () => {
        const { hash, ttl } = await kiqBeat();
        const theirs = processHash(version);
        for (const [field, value] of Object.entries(theirs)) {
          expect(hash, `field ${field}`).to.have.property(field);
          expect(kindOf(hash[field]!), `kind of ${field}: ${hash[field]} vs ${value}`).to.equal(kindOf(value));
        }
        expect(ttl).to.be.within(58, 60);
        const [theirKey] = Object.values(FIXTURES[version].process);
        expect(theirKey!.ttl).to.be.within(55, 60);
      });

      it(`has every info key ${version} writes, each of the same JSON type`, async () => {
        const { hash } = await kiqBeat();
        const ours = jsonKinds(hash.info!);
        const theirs = jsonKinds(processHash(version).info!);
        for (const [key, kind] of Object.entries(theirs)) expect(ours[key], `info.${key}`).to.equal(kind);
      });
    }

    it('writes concurrency both as 8.1 does (a field) and as 6.4/7.3 do (in info), with the same total', async () => {
      const { hash } = await kiqBeat();
      const info = JSON.parse(hash.info!) as Record<string, unknown>;
      expect(hash.concurrency).to.equal('7');
      expect(info.concurrency).to.equal(7);
      // 8.1 has it only as a field, 7.3 only in info: Kiq has both, which every version reads right
      expect(processHash('8.1.7')).to.have.property('concurrency');
      expect(JSON.parse(processHash('8.1.7').info!)).not.to.have.property('concurrency');
      expect(JSON.parse(processHash('7.3.10').info!)).to.have.property('concurrency');
    });

    it('writes capsules in 8.1 shape: name → {concurrency, mode, weights}, summing to the concurrency', async () => {
      const { hash } = await kiqBeat();
      type Capsule = { concurrency: number; mode: string; weights: Record<string, number> };
      const ours = (JSON.parse(hash.info!) as { capsules: Record<string, Capsule> }).capsules;
      const theirs = (JSON.parse(processHash('8.1.7').info!) as { capsules: Record<string, Capsule> }).capsules;
      const theirShape = Object.values(theirs)[0]!;
      for (const capsule of Object.values(ours)) {
        expect(Object.keys(capsule)).to.have.members(Object.keys(theirShape));
        expect(capsule.mode).to.equal(theirShape.mode); // unweighted: strict
        expect(Object.values(capsule.weights).every((w) => w === 0)).to.equal(true);
      }
      expect(Object.values(ours).reduce((sum, c) => sum + c.concurrency, 0)).to.equal(7);
      // 8.1 Process#queues: the capsules' weight keys
      expect(Object.values(ours).flatMap((c) => Object.keys(c.weights))).to.deep.equal(['default', 'low']);
    });

    it('is not embedded, as a Sidekiq server that obeys TSTP/TERM', async () => {
      const { hash } = await kiqBeat();
      expect(JSON.parse(hash.info!)).to.include({ embedded: false });
      expect(JSON.parse(processHash('7.3.10').info!)).to.include({ embedded: false });
      expect(JSON.parse(processHash('8.1.7').info!)).to.include({ embedded: false });
    });

    it('writes the running job to :workers (6.4) and :work (7.x/8.x), each value shaped as theirs', async () => {
      await kiqBeat();
      for (const version of VERSIONS) {
        const [theirKey, their] = Object.entries(FIXTURES[version].work)[0]!;
        const suffix = theirKey.slice(theirKey.lastIndexOf(':'));
        const ours = await redis.client.hgetall(`${IDENTITY}${suffix}`);
        const [theirValue] = Object.values(their.value as Record<string, string>);
        const [ourValue] = Object.values(ours);
        expect(ourValue, `${version} ${suffix}`).to.be.a('string');
        expect(jsonKinds(ourValue!)).to.deep.equal(jsonKinds(theirValue!));
        expect(await redis.client.ttl(`${IDENTITY}${suffix}`)).to.be.within(58, 60);
      }
    });
  });

  describe('job times: float seconds by default (6.4/7.3 shape), integer ms with timestamps: "ms" (8.1 shape)', () => {
    const Failing = defineWorker({
      class: 'Interop::Failing',
      retryIn: () => 3_600_000,
      perform(): never {
        throw new Error('interop failure');
      },
    });
    /** The raw text of each time key of a payload: `float` or `integer`. */
    const timeKinds = (json: string): Record<string, string> => {
      const kinds = jsonKinds(json);
      return Object.fromEntries(['created_at', 'enqueued_at', 'failed_at', 'retried_at'].filter((key) => key in kinds).map((key) => [key, kinds[key]!]));
    };

    async function run(options: KiqOptions): Promise<{ queued: string; retried: [string, string]; promoted: string }> {
      const kiq = new Kiq({ redisUrl: redis.url, queues: { work: 1 }, workers: [Failing] as Worker[], fetchInterval: 50, pollInterval: 100, logger: silent(), ...options });
      await kiq.start();
      try {
        // a job on a queue Kiq does not work, then a failing one, then a scheduled one promoted by the poller
        await kiq.enqueue({ class: 'Interop::Echo', args: [1], queue: 'default' }, { confirm: true });
        const queued = (await redis.client.lrange('queue:default', -1, -1))[0]!;
        await kiq.enqueue(Failing, [], { queue: 'work', confirm: true });
        await until(async () => (await redis.client.zcard('retry')) === 1, 10_000, 'the failure in retry');
        const retried = (await redis.client.zrange('retry', '0', '0', 'WITHSCORES')) as [string, string];
        await kiq.enqueue({ class: 'Interop::Echo', args: [2], queue: 'later' }, { in: 50, confirm: true });
        await until(async () => (await redis.client.llen('queue:later')) === 1, 10_000, 'the scheduled job promoted');
        const promoted = (await redis.client.lrange('queue:later', 0, 0))[0]!;
        return { queued, retried, promoted };
      } finally {
        await kiq.stop();
      }
    }

    it('default: every time as 6.4 and 7.3 write them (float seconds with a fraction)', async () => {
      const { queued, retried, promoted } = await run({});
      for (const version of ['6.4.1', '7.3.10'] as const) {
        expect(timeKinds(queued), version).to.deep.equal(timeKinds(FIXTURES[version].queued_job));
        expect(timeKinds(retried[0]), version).to.deep.equal(timeKinds(FIXTURES[version].retry_entry[0]));
      }
      expect(timeKinds(promoted)).to.deep.equal({ created_at: 'float', enqueued_at: 'float' });
      expect(kindOf(retried[1])).to.equal(kindOf(FIXTURES['7.3.10'].retry_entry[1]));
    });

    it('timestamps: "ms": every time as 8.1 writes them (integer epoch ms); scores stay float seconds as in 8.1', async () => {
      const before = Date.now();
      const { queued, retried, promoted } = await run({ timestamps: 'ms' });
      expect(timeKinds(queued)).to.deep.equal(timeKinds(FIXTURES['8.1.7'].queued_job));
      expect(timeKinds(retried[0])).to.deep.equal(timeKinds(FIXTURES['8.1.7'].retry_entry[0]));
      expect(timeKinds(promoted)).to.deep.equal({ created_at: 'integer', enqueued_at: 'integer' });
      for (const json of [queued, retried[0], promoted]) {
        const job = JSON.parse(json) as Record<string, number>;
        for (const key of Object.keys(timeKinds(json))) expect(job[key], key).to.be.within(before - 1, Date.now() + 1);
      }
      expect(kindOf(retried[1])).to.equal('float');
      expect(kindOf(FIXTURES['8.1.7'].retry_entry[1])).to.equal('float');
    });
  });
});
