import { expect } from 'chai';
import { InvalidJobError } from '../../src/errors.js';
import { decodeJob } from '../../src/job/decode.js';
import { encodeJob } from '../../src/job/encode.js';

function rejects(raw: string, message: RegExp): void {
  try {
    decodeJob(raw);
  } catch (error) {
    expect(error, raw.slice(0, 80)).to.be.instanceOf(InvalidJobError);
    expect((error as Error).message).to.match(message);
    expect((error as InvalidJobError).payload).to.equal(raw);
    return;
  }
  expect.fail(`expected InvalidJobError for ${raw.slice(0, 80)}`);
}

describe('decodeJob', () => {
  it('decodes the minimal payload (Kiq docs/kiq-elixir.md check 5)', () => {
    const job = decodeJob('{"class":"MyWorker","args":[1,2]}');
    expect(job.class).to.equal('MyWorker');
    expect(job.args).to.deep.equal([1, 2]);
  });

  it('keeps object keys inside args as strings (Kiq docs/kiq-elixir.md check 6)', () => {
    expect(decodeJob('{"class":"W","args":[{"a":1}]}').args).to.deep.equal([{ a: 1 }]);
  });

  it('invents nothing: no jid, queue or created_at is added', () => {
    const job = decodeJob('{"class":"W","args":[]}');
    expect(Object.keys(job)).to.deep.equal(['class', 'args']);
    expect(job).to.not.have.property('jid');
    expect(job).to.not.have.property('queue');
  });

  it('reads Sidekiq 8 integer-millisecond timestamps as float seconds', () => {
    const job = decodeJob(
      '{"class":"W","args":[],"created_at":1795807920704,"enqueued_at":1795807920705,"failed_at":1795807921124,"retried_at":1795807965147}',
    );
    expect(job).to.include({ created_at: 1795807920.704, enqueued_at: 1795807920.705, failed_at: 1795807921.124, retried_at: 1795807965.147 });
  });

  it('keeps float seconds (6.4/7.x) as they are', () => {
    expect(decodeJob('{"class":"W","args":[],"created_at":1795807920.7045317}').created_at).to.equal(1795807920.7045317);
  });

  it('keeps a timestamp key that is not a number untouched', () => {
    expect(decodeJob('{"class":"W","args":[],"created_at":"yesterday"}').created_at).to.equal('yesterday');
  });

  it('keeps unknown keys and their order', () => {
    const job = decodeJob('{"bid":"b1","class":"W","tags":["x"],"args":[],"cattr":{"u":1},"display_class":"D"}');
    expect(Object.keys(job)).to.deep.equal(['bid', 'class', 'tags', 'args', 'cattr', 'display_class']);
  });

  describe('invalid input', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /not JSON/],
      ['this is not json', /not JSON/],
      ['{"class":"W","args":[]', /not JSON/],
      ['null', /expected a JSON object, got null/],
      ['[]', /expected a JSON object, got an array/],
      ['"W"', /expected a JSON object, got string/],
      ['42', /expected a JSON object, got number/],
      ['{}', /"class" must be a non-empty string/],
      ['{"class":"","args":[]}', /"class"/],
      ['{"class":["W"],"args":[]}', /"class"/],
      ['{"class":"W"}', /"args" must be an array/],
      ['{"class":"W","args":{"0":1}}', /"args" must be an array/],
      ['{"class":"W","args":[],"jid":123}', /"jid" must be a string/],
      ['{"class":"W","args":[],"queue":null}', /"queue" must be a string/],
    ];
    for (const [raw, message] of cases) {
      it(`refuses ${JSON.stringify(raw)} with InvalidJobError carrying the raw string`, () => rejects(raw, message));
    }

    it('refuses a non-string argument without throwing anything else', () => {
      expect(() => decodeJob(Buffer.from('{}') as never)).to.throw(InvalidJobError, /expected a JSON string/);
    });

    it('survives very deep nesting: decodes it or throws InvalidJobError', () => {
      const depth = 200_000;
      const raw = `{"class":"W","args":${'['.repeat(depth)}${']'.repeat(depth)}}`;
      try {
        expect(decodeJob(raw).class).to.equal('W');
      } catch (error) {
        expect(error).to.be.instanceOf(InvalidJobError);
      }
    });

    it('reads huge numbers as Infinity instead of failing', () => {
      expect(decodeJob('{"class":"W","args":[1e400],"created_at":1e400}').args).to.deep.equal([Infinity]);
    });
  });

  describe('prototype pollution', () => {
    it('keeps a "__proto__" key as an own property and changes no prototype', () => {
      const job = decodeJob('{"class":"W","args":[{"__proto__":{"x":1}}],"__proto__":{"polluted":true,"class":"Evil"}}');
      expect(Object.getPrototypeOf(job)).to.equal(Object.prototype);
      expect(job.class).to.equal('W');
      expect(Object.hasOwn(job, '__proto__')).to.equal(true);
      expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
      expect(Object.getPrototypeOf(job.args[0])).to.equal(Object.prototype);
    });

    it('never takes class or args from a "__proto__" key', () => {
      rejects('{"__proto__":{"class":"Evil","args":[]}}', /"class"/);
    });

    it('writes the "__proto__" key back when re-encoded', () => {
      const raw = '{"class":"W","args":[],"__proto__":{"a":1}}';
      expect(encodeJob(decodeJob(raw))).to.equal(raw);
    });
  });
});
