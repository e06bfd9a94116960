/**
 * The payloads Sidekiq 6.4.1 wrote on this project's interop run, copied
 * verbatim from docs/sidekiq-contract.md §14, and a Sidekiq 8 style payload.
 */
import { expect } from 'chai';
import { InvalidJobError } from '../../src/errors.js';
import { decodeJob } from '../../src/job/decode.js';
import { encodeJob } from '../../src/job/encode.js';
import { TIMESTAMP_KEYS } from '../../src/job/payload.js';

const SIDEKIQ_64: Array<[string, string]> = [
  ['queue: Interop::Slow', String.raw`{"retry":true,"queue":"default","class":"Interop::Slow","args":[7],"jid":"a319acf4a129c1d6e0eec6db","created_at":1795807920.7045317,"enqueued_at":1795807920.70468}`],
  ['queue: Interop::Failing (retry 0)', String.raw`{"retry":0,"queue":"default","class":"Interop::Failing","args":["will-die"],"jid":"5262ea9efab9f716fcfe5f84","created_at":1795807920.5801983,"enqueued_at":1795807920.580353}`],
  ['queue: Interop::Echo bulk', String.raw`{"retry":true,"queue":"default","class":"Interop::Echo","args":["bulk",2],"jid":"462a24ee01ebf0017e718943","created_at":1795807920.2287326,"enqueued_at":1795807920.228908}`],
  ['queue: Interop::Echo mixed args', String.raw`{"retry":true,"queue":"default","class":"Interop::Echo","args":[1,"two",{"three":3},0],"jid":"a5b346a82f5b833b78a7b73e","created_at":1795807920.0006094,"enqueued_at":1795807920.0007358}`],
  ['schedule member', String.raw`{"retry":true,"queue":"default","class":"Interop::Echo","args":["scheduled"],"jid":"00f12dc7ec95bbfbf35a2f53","created_at":1795807920.346013}`],
  ['retry set, first failure', String.raw`{"retry":true,"queue":"default","class":"Interop::Failing","args":["will-retry"],"jid":"6064a61eb96b581e3304bc9c","created_at":1795807920.4649706,"enqueued_at":1795807920.4651282,"error_message":"interop failure 6064a61eb96b581e3304bc9c","error_class":"Interop::Error","failed_at":1795807921.1244085,"retry_count":0}`],
  ['dead set', String.raw`{"retry":0,"queue":"default","class":"Interop::Failing","args":["will-die"],"jid":"5262ea9efab9f716fcfe5f84","created_at":1795807920.5801983,"enqueued_at":1795807920.580353,"error_message":"interop failure 5262ea9efab9f716fcfe5f84","error_class":"Interop::Error","failed_at":1795807921.1271062,"retry_count":0}`],
  ['retry set, second failure with backtrace', String.raw`{"retry":2,"queue":"default","class":"Interop::Failing","backtrace":3,"args":["bt"],"jid":"786e2134348d6e17d5443930","created_at":1795807960.770726,"enqueued_at":1795807965.146928,"error_message":"interop failure 786e2134348d6e17d5443930","error_class":"Interop::Error","failed_at":1795807961.0699272,"retry_count":1,"error_backtrace":"eJy1zVsOgjAQheGtNH1BE+kEQ0hgK8YoxRErpYMzxcvulUaX4Oufc/LtNDyI\nB5CIyC704EJEpilVZMO2qYvGBXWckM/EY6Y3GmZhkEvLCDzbV4+j5Muv5zY6\nCtB6D0sEcScc3C2vTGkK8M7+CkxMHYpQEoq6SgQ+sZsjHq5k/8JUZWKsp25Q\nq63yeEcva/WJ32Gm92/9r2Fe\n","retried_at":1795807965.1478739}`],
];

/** `HGETALL <identity>:workers` entry while Interop::Slow ran (§14). */
const WORKERS_ENTRY = String.raw`{"queue":"default","payload":"{\"retry\":true,\"queue\":\"default\",\"class\":\"Interop::Slow\",\"args\":[7],\"jid\":\"a319acf4a129c1d6e0eec6db\",\"created_at\":1795807920.7045317,\"enqueued_at\":1795807920.70468}","run_at":1795807921}`;

function timestampTexts(json: string): string[] {
  return [...json.matchAll(/"(created_at|enqueued_at|failed_at|retried_at|expires_at)":([^,}]+)/g)].map((m) => m[2] ?? '');
}

describe('Sidekiq 6.4 payloads (docs/sidekiq-contract.md §14)', () => {
  for (const [name, raw] of SIDEKIQ_64) {
    it(`re-encodes the ${name} byte for byte`, () => {
      expect(encodeJob(decodeJob(raw))).to.equal(raw);
    });

    it(`decodes the ${name} to the same values JSON.parse gives, timestamps keeping a fractional part`, () => {
      const job = decodeJob(raw);
      expect(job).to.deep.equal(JSON.parse(raw));
      const text = encodeJob(job);
      expect(JSON.parse(text)).to.deep.equal(JSON.parse(raw));
      const stamps = timestampTexts(text);
      expect(stamps).to.not.be.empty;
      for (const stamp of stamps) expect(stamp).to.match(/^\d+\.\d+$/);
    });
  }

  it('finds no enqueued_at in a schedule member and adds none when re-scheduled', () => {
    const raw = SIDEKIQ_64[4]![1];
    expect(decodeJob(raw)).to.not.have.property('enqueued_at');
    expect(encodeJob(decodeJob(raw), { enqueuedAtSec: null })).to.equal(raw);
  });

  it('keeps retry_count 0 after the first failure, as Sidekiq wrote it', () => {
    expect(decodeJob(SIDEKIQ_64[5]![1]).retry_count).to.equal(0);
  });

  it('keeps error_backtrace (base64 with newlines, 6.4) and backtrace exactly', () => {
    const raw = SIDEKIQ_64[7]![1];
    const job = decodeJob(raw);
    expect(job.backtrace).to.equal(3);
    expect(job.error_backtrace).to.be.a('string').and.include('\n');
    expect(encodeJob(job)).to.include(`"error_backtrace":${JSON.stringify(job.error_backtrace)}`);
  });

  it('decodes the payload string kept in a running-jobs entry', () => {
    const entry = JSON.parse(WORKERS_ENTRY) as { payload: string };
    const job = decodeJob(entry.payload);
    expect(job).to.include({ class: 'Interop::Slow', jid: 'a319acf4a129c1d6e0eec6db', created_at: 1795807920.7045317 });
    expect(encodeJob(job)).to.equal(entry.payload);
  });

  it('refuses the invalid element Sidekiq sent to dead verbatim, keeping the raw text', () => {
    expect(() => decodeJob('this is not json')).to.throw(InvalidJobError).with.property('payload', 'this is not json');
  });
});

describe('Sidekiq 8 payloads (integer millisecond timestamps)', () => {
  const raw =
    '{"retry":true,"queue":"default","class":"Interop::Failing","args":["x"],"jid":"6064a61eb96b581e3304bc9c",' +
    '"created_at":1795807920464,"enqueued_at":1795807920465,"error_message":"boom","error_class":"Interop::Error",' +
    '"failed_at":1795807921124,"retry_count":1,"retried_at":1795807965147,"discarded_at":1795807970000}';

  it('decodes every timestamp key to float seconds', () => {
    const job = decodeJob(raw);
    expect(job).to.include({
      created_at: 1795807920.464, enqueued_at: 1795807920.465, failed_at: 1795807921.124, retried_at: 1795807965.147,
    });
  });

  it('writes them back as float seconds with a fractional part (what 7.x writes and 8.x reads)', () => {
    const text = encodeJob(decodeJob(raw));
    expect(text).to.include('"created_at":1795807920.464,"enqueued_at":1795807920.465');
    for (const stamp of timestampTexts(text)) expect(stamp).to.match(/^\d{10}\.\d+$/);
  });

  it('leaves discarded_at, which is not a timestamp key here, as it was', () => {
    expect(TIMESTAMP_KEYS.has('discarded_at')).to.equal(false);
    expect(decodeJob(raw).discarded_at).to.equal(1795807970000);
  });
});

describe('keys Kiq does not model', () => {
  const extras = {
    bid: 'rJt3W8Dx1mHeKQ',
    tags: ['alpha', 'βeta'],
    wrapped: 'ActiveJob::MyJob',
    error_backtrace: 'eJy1zVsOgjAQheGtNH1BE+kEQ0hgK8YoxRErpYMzxcvulUaX4Oufc/LtNDyI\nB5CIyC704EJEpilVZMO2qYvGBXWckM/EY6Y3GmZhkEvLCDzbV4+j5Muv5zY6\n',
    cattr: { 'Current.user_id': 42, locale: 'fr', nested: { a: [1, { b: null }] } },
    display_class: 'Mailer#deliver',
    encrypt: true,
    retry_for: 3600,
  };
  const raw = JSON.stringify({ retry: true, queue: 'default', class: 'W', args: [], jid: 'a319acf4a129c1d6e0eec6db', ...extras });

  it('survive decode → encode with byte-identical values', () => {
    const text = encodeJob(decodeJob(raw));
    expect(text).to.equal(raw);
    for (const [key, value] of Object.entries(extras)) expect(text).to.include(`"${key}":${JSON.stringify(value)}`);
  });
});
