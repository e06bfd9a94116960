import { expect } from 'chai';
import { InvalidJobError } from '../../src/errors.js';
import { encodeJob } from '../../src/job/encode.js';
import type { JobPayload } from '../../src/job/payload.js';

const JID = 'a319acf4a129c1d6e0eec6db';

function job(extra: Record<string, unknown> = {}): JobPayload {
  return { retry: true, queue: 'default', class: 'W', args: [1], jid: JID, created_at: 1795807920.7045317, ...extra };
}

describe('encodeJob', () => {
  it('writes compact JSON with keys in insertion order', () => {
    expect(encodeJob(job())).to.equal(
      `{"retry":true,"queue":"default","class":"W","args":[1],"jid":"${JID}","created_at":1795807920.7045317}`,
    );
  });

  it('writes every timestamp key with a fractional part, other numbers as they are', () => {
    const text = encodeJob(
      job({
        created_at: 1795807920, enqueued_at: 1795807921, failed_at: 1795807922, retried_at: 1795807923,
        expires_at: 1795807924, retry_count: 0, unique_for: 60, expires_in: 3600, retry: 3,
      }),
    );
    for (const key of ['created_at', 'enqueued_at', 'failed_at', 'retried_at', 'expires_at']) {
      expect(text).to.match(new RegExp(`"${key}":\\d+\\.0[,}]`), key);
    }
    expect(text).to.include('"retry_count":0,').and.include('"unique_for":60,').and.include('"expires_in":3600').and.include('"retry":3,');
  });

  it('never writes a timestamp in exponent form, however small or large; a fractional one as JSON.stringify does', () => {
    expect(encodeJob(job({ created_at: 1.5e-7 }))).to.include('"created_at":0.00000015}');
    expect(encodeJob(job({ created_at: 1e21 }))).to.include('"created_at":1000000000000000000000.0}');
    expect(encodeJob(job({ created_at: -1.25 }))).to.include('"created_at":-1.25}');
    const built = job({ enqueued_at: 1795807921.5, tags: ['a'], expires_at: 1795807930.25 });
    expect(encodeJob(built)).to.equal(JSON.stringify(built));
    expect(encodeJob(job({ created_at: 1e-6 }))).to.include('"created_at":0.000001}');
  });

  it('leaves out keys whose value is undefined (Kiq docs/kiq-elixir.md check 8)', () => {
    const text = encodeJob(job({ failed_at: undefined, error_class: undefined, bid: undefined }));
    expect(JSON.parse(text)).to.have.all.keys('retry', 'queue', 'class', 'args', 'jid', 'created_at');
  });

  it('has no retry_count on a never-failed job and keeps it from 0 on (Sidekiq, unlike Kiq, writes 0)', () => {
    expect(encodeJob(job())).to.not.include('retry_count');
    expect(encodeJob(job({ retry_count: 0 }))).to.include('"retry_count":0');
    expect(encodeJob(job({ retry_count: 1 }))).to.include('"retry_count":1');
  });

  it('writes unknown keys as JSON.stringify would', () => {
    const extra = { tags: ['a', 'é"\\'], cattr: { u: { id: 1 } }, wrapped: 'MyJob', bid: null, '__weird key': [[], {}] };
    const text = encodeJob(job(extra));
    for (const [key, value] of Object.entries(extra)) expect(text).to.include(`${JSON.stringify(key)}:${JSON.stringify(value)}`);
  });

  it('writes non-finite numbers as null, as JSON.stringify does, timestamps included', () => {
    expect(JSON.parse(encodeJob(job({ created_at: Number.NaN, x: Infinity })))).to.include({ created_at: null, x: null });
  });

  it('honours toJSON on values, as JSON.stringify does', () => {
    expect(encodeJob(job({ when: new Date(0) }))).to.include('"when":"1970-01-01T00:00:00.000Z"');
  });

  describe('enqueuedAtSec', () => {
    it('appends enqueued_at with a fractional part when the payload has none (push to a queue)', () => {
      expect(encodeJob(job(), { enqueuedAtSec: 1795807921 })).to.match(/"created_at":1795807920\.7045317,"enqueued_at":1795807921\.0}$/);
    });

    it('replaces an existing enqueued_at in place (re-push of a retried job)', () => {
      const text = encodeJob(job({ enqueued_at: 1, error_class: 'E' }), { enqueuedAtSec: 1795807999.5 });
      expect(text).to.include('"enqueued_at":1795807999.5,"error_class":"E"');
      expect(text.match(/enqueued_at/g)).to.have.length(1);
    });

    it('leaves enqueued_at out when null (a member of the schedule set, contract §3)', () => {
      expect(encodeJob(job({ enqueued_at: 1795807921 }), { enqueuedAtSec: null })).to.not.include('enqueued_at');
      expect(encodeJob(job(), { enqueuedAtSec: null })).to.not.include('enqueued_at');
    });

    it("keeps the payload's own enqueued_at when not given", () => {
      expect(encodeJob(job({ enqueued_at: 1795807921 }))).to.include('"enqueued_at":1795807921.0');
    });
  });

  it('throws InvalidJobError, never a bare TypeError or RangeError, for values with no JSON form', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    const deep = JSON.parse(`${'['.repeat(200_000)}${']'.repeat(200_000)}`) as unknown;
    for (const value of [cycle, 10n, deep]) {
      expect(() => encodeJob(job({ x: value }))).to.throw(InvalidJobError, /cannot encode as JSON/);
    }
    expect(() => encodeJob(job(), { enqueuedAtSec: Number.NaN })).to.throw(InvalidJobError, /^invalid job: timestamp must be a finite number/);
  });

  it('does not modify the payload', () => {
    const payload = job({ enqueued_at: 5 });
    const before = structuredClone(payload);
    encodeJob(payload, { enqueuedAtSec: 9 });
    expect(payload).to.deep.equal(before);
  });
});

describe("encodeJob with timestamps: 'ms'", () => {
  it('writes created_at, enqueued_at, failed_at and retried_at as integer epoch ms (Sidekiq 8), expires_at as seconds', () => {
    const json = encodeJob(job({ failed_at: 1795807921.1244085, retried_at: 1795807922.5, expires_at: 1795811520.5 }), { enqueuedAtSec: 1795807920.70468, timestamps: 'ms' });
    expect(json).to.equal(
      `{"retry":true,"queue":"default","class":"W","args":[1],"jid":"${JID}","created_at":1795807920705,"failed_at":1795807921124,"retried_at":1795807922500,"expires_at":1795811520.5,"enqueued_at":1795807920705}`,
    );
  });
});
