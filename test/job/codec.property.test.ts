/** Property tests for the codec as a whole: build → encode → decode. */
import { expect } from 'chai';
import fc from 'fast-check';
import { ManualClock } from '../../src/clock.js';
import { InvalidJobError } from '../../src/errors.js';
import { buildJob } from '../../src/job/build.js';
import { decodeJob } from '../../src/job/decode.js';
import { encodeJob } from '../../src/job/encode.js';
import type { JobPayload } from '../../src/job/payload.js';

const RUNS = { numRuns: 300 };

/** JSON values as JSON.parse returns them (JSON has no -0). */
const json = fc.jsonValue({ maxDepth: 4, stringUnit: 'binary' }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);
const text = fc.string({ unit: 'binary', maxLength: 40 });
const queueName = fc.oneof(fc.stringMatching(/^[\w\-.:]{1,30}$/), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }));
/** Float epoch seconds as Sidekiq 6.4/7.x write them (below the ms threshold). */
const seconds = fc.oneof(
  fc.double({ min: 1_000_000_000, max: 4_000_000_000, noNaN: true }),
  fc.integer({ min: 0, max: 4_000_000_000 }),
);
const jid = fc.stringMatching(/^[0-9a-f]{24}$/);

const job: fc.Arbitrary<JobPayload> = fc.record(
  {
    retry: fc.oneof(fc.boolean(), fc.nat(30)),
    queue: queueName,
    class: fc.oneof(fc.stringMatching(/^[A-Z]\w*(::[A-Z]\w*)*$/), fc.string({ unit: 'grapheme', minLength: 1 })),
    args: fc.array(json, { maxLength: 5 }),
    jid,
    created_at: seconds,
    enqueued_at: seconds,
    failed_at: seconds,
    retried_at: seconds,
    expires_at: seconds,
    retry_count: fc.nat(25),
    error_message: text,
    error_class: text,
    unique_for: fc.double({ min: 0.001, max: 1e6, noNaN: true }),
    unique_until: fc.constantFrom('start', 'success'),
    tags: fc.array(text, { maxLength: 3 }),
    bid: text,
    cattr: fc.dictionary(text, json, { maxKeys: 3 }),
  },
  { requiredKeys: ['class', 'args', 'queue', 'jid'] },
) as fc.Arbitrary<JobPayload>;

describe('job codec properties', () => {
  it('decode(encode(job)) deep-equals job, for any valid job', () => {
    fc.assert(
      fc.property(job, (payload) => {
        const decoded = decodeJob(encodeJob(payload));
        expect(decoded).to.deep.equal(payload);
        expect(Object.keys(decoded)).to.deep.equal(Object.keys(payload));
      }),
      RUNS,
    );
  });

  it('round-trips what buildJob makes, for any args and queue', () => {
    const clock = new ManualClock();
    fc.assert(
      fc.property(fc.array(json, { maxLength: 5 }), queueName, (args, queue) => {
        const { payload } = buildJob({ class: 'W', args, queue }, clock);
        expect(decodeJob(encodeJob(payload))).to.deep.equal(payload);
      }),
      RUNS,
    );
  });

  it('whatever args buildJob accepts encode and read back unchanged; the rest it refuses with InvalidJobError', () => {
    const clock = new ManualClock();
    const anything = fc.anything({
      maxDepth: 3,
      withBigInt: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withNullPrototype: true,
      withSparseArray: true,
      withBoxedValues: true,
      withTypedArray: true,
      stringUnit: 'binary',
    });
    fc.assert(
      fc.property(fc.array(anything, { maxLength: 4 }), (args) => {
        let payload: JobPayload;
        try {
          payload = buildJob({ class: 'W', args }, clock).payload;
        } catch (error) {
          expect(error).to.be.instanceOf(InvalidJobError);
          return;
        }
        expect(decodeJob(encodeJob(payload)).args).to.deep.equal(JSON.parse(JSON.stringify(args)));
      }),
      RUNS,
    );
  });

  it('always writes timestamps with a "." and no exponent, for any finite number', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom('created_at', 'enqueued_at', 'failed_at', 'retried_at', 'expires_at'), (sec, key) => {
        const encoded = encodeJob({ class: 'W', args: [], jid: 'j', queue: 'q', [key]: sec });
        expect(encoded).to.match(new RegExp(`"${key}":-?\\d+\\.\\d+}$`));
      }),
      RUNS,
    );
  });

  describe('decodeJob never throws anything but InvalidJobError', () => {
    function decodesOrRefuses(raw: string): void {
      try {
        decodeJob(raw);
      } catch (error) {
        expect(error).to.be.instanceOf(InvalidJobError);
        expect((error as InvalidJobError).payload).to.equal(raw);
      }
    }

    it('on any string', () => {
      fc.assert(fc.property(fc.string({ unit: 'binary' }), decodesOrRefuses), RUNS);
    });

    it('on any JSON text', () => {
      fc.assert(fc.property(fc.json({ maxDepth: 5 }), decodesOrRefuses), RUNS);
    });

    it('on objects shaped almost like a job', () => {
      const almost = fc.record(
        {
          class: fc.oneof(text, json),
          args: fc.oneof(fc.array(json), json),
          jid: fc.oneof(jid, json),
          queue: fc.oneof(queueName, json),
          created_at: fc.oneof(seconds, fc.integer({ min: 1e11, max: 1e14 }), fc.double(), json),
          ['__proto__']: json, // computed: an own key, as JSON.parse makes it
        },
        { requiredKeys: [] },
      );
      fc.assert(fc.property(almost, (value) => decodesOrRefuses(JSON.stringify(value))), RUNS);
    });
  });
});
