/** patchJob: lossless edits of a payload's top-level keys in its raw text. */
import { expect } from 'chai';
import fc from 'fast-check';
import { InvalidJobError } from '../../src/errors.js';
import { patchJob } from '../../src/job/patch.js';
import { TIMESTAMP_KEYS } from '../../src/job/payload.js';

const RUNS = { numRuns: 400 };

/** The §14 first-failure retry entry, and the queue payload it was made from. */
const RETRY_ENTRY = String.raw`{"retry":true,"queue":"default","class":"Interop::Failing","args":["will-retry"],"jid":"6064a61eb96b581e3304bc9c","created_at":1795807920.4649706,"enqueued_at":1795807920.4651282,"error_message":"interop failure 6064a61eb96b581e3304bc9c","error_class":"Interop::Error","failed_at":1795807921.1244085,"retry_count":0}`;
const QUEUED = String.raw`{"retry":true,"queue":"default","class":"Interop::Failing","args":["will-retry"],"jid":"6064a61eb96b581e3304bc9c","created_at":1795807920.4649706,"enqueued_at":1795807920.4651282}`;

function isJsonObject(text: string): boolean {
  try {
    const value = JSON.parse(text) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value);
  } catch {
    return false;
  }
}

function invalid(raw: string, changes: Record<string, unknown> = {}): InvalidJobError {
  try {
    patchJob(raw, changes);
  } catch (error) {
    expect(error).to.be.instanceOf(InvalidJobError);
    return error as InvalidJobError;
  }
  expect.fail(`patchJob accepted ${JSON.stringify(raw)}`);
}

describe('patchJob', () => {
  it('writes the §14 first-failure retry entry byte for byte from the queued payload', () => {
    const patched = patchJob(QUEUED, {
      queue: 'default',
      error_message: 'interop failure 6064a61eb96b581e3304bc9c',
      error_class: 'Interop::Error',
      failed_at: 1795807921.1244085,
      retry_count: 0,
    });
    expect(patched).to.equal(RETRY_ENTRY);
  });

  it('replaces a value in place and keeps every other byte (empty containers, 17-digit integers, 1.0, escapes, spacing)', () => {
    const raw = '{ "class" : "W" ,\n  "args" : [ [], {}, 12345678901234567, 1.0, "\\u00e9\\/", {"retry_count": 9, "queue": "x"} ],\n  "retry_count" : 0 , "tags":["a"] }';
    expect(patchJob(raw, { retry_count: 1 })).to.equal(raw.replace('"retry_count" : 0', '"retry_count" : 1'));
    expect(patchJob(raw, { queue: 'q' })).to.equal(raw.replace('"tags":["a"]', '"tags":["a"],"queue":"q"'));
  });

  it('leaves keys of the same name nested inside args alone', () => {
    const raw = '{"args":[{"retry_count":3,"queue":"inner","args":[]}],"class":"W"}';
    const patched = patchJob(raw, { retry_count: 0, queue: 'outer', args: undefined });
    expect(patched).to.equal('{"class":"W","retry_count":0,"queue":"outer"}');
    const kept = patchJob(raw, { retry_count: 0, queue: 'outer' });
    expect(kept).to.equal('{"args":[{"retry_count":3,"queue":"inner","args":[]}],"class":"W","retry_count":0,"queue":"outer"}');
  });

  it('writes timestamp keys with a fractional part and other numbers as JSON.stringify does', () => {
    const patched = patchJob('{"class":"W","args":[]}', { failed_at: 1700000000, retried_at: 1700000000.25, retry_count: 2, n: 1e21 });
    expect(patched).to.equal('{"class":"W","args":[],"failed_at":1700000000.0,"retried_at":1700000000.25,"retry_count":2,"n":1e+21}');
    for (const key of TIMESTAMP_KEYS) expect(patchJob('{}', { [key]: 5 })).to.equal(`{"${key}":5.0}`);
    // A non-number under a timestamp key is written as JSON.
    expect(patchJob('{}', { failed_at: null })).to.equal('{"failed_at":null}');
  });

  it('removes the first, a middle, the last and the only key, keeping the separators around the others', () => {
    const raw = '{ "a": 1,  "b": [2] ,\n"c": {"d": 3} }';
    expect(patchJob(raw, { a: undefined })).to.equal('{ "b": [2] ,\n"c": {"d": 3} }');
    expect(patchJob(raw, { b: undefined })).to.equal('{ "a": 1,  "c": {"d": 3} }');
    expect(patchJob(raw, { c: undefined })).to.equal('{ "a": 1,  "b": [2] }');
    expect(patchJob(raw, { a: undefined, b: undefined, c: undefined })).to.equal('{  }');
    expect(patchJob(raw, { a: undefined, b: undefined, c: undefined, e: 5 })).to.equal('{ "e":5 }');
    expect(patchJob(raw, { c: undefined, e: 5 })).to.equal('{ "a": 1,  "b": [2],"e":5 }');
    expect(patchJob(raw, { zz: undefined })).to.equal(raw);
  });

  it('appends to an empty object', () => {
    expect(patchJob('{}', { a: 1, b: 'x' })).to.equal('{"a":1,"b":"x"}');
    expect(patchJob(' {\n} \n', { a: [] })).to.equal(' {"a":[]\n} \n');
  });

  it('changes every occurrence of a duplicated key, so JSON.parse (which keeps the last) sees the change', () => {
    expect(patchJob('{"a":1,"b":2,"a":3}', { a: 4 })).to.equal('{"a":4,"b":2,"a":4}');
    expect(patchJob('{"a":1,"b":2,"a":3}', { a: undefined })).to.equal('{"b":2}');
  });

  it('matches keys written with escapes, and keeps their spelling', () => {
    expect(patchJob('{"retry\\u005fcount":0}', { retry_count: 1 })).to.equal('{"retry\\u005fcount":1}');
  });

  it('keeps a "__proto__" key as an ordinary key', () => {
    const patched = patchJob('{"__proto__":{"x":1},"args":[]}', { a: 1 });
    expect(patched).to.equal('{"__proto__":{"x":1},"args":[],"a":1}');
    const changes = JSON.parse('{"__proto__":7}') as Record<string, unknown>;
    expect(patchJob('{"__proto__":{"x":1}}', changes)).to.equal('{"__proto__":7}');
  });

  it('returns the same text for no changes, and drops keys whose value has no JSON form', () => {
    const raw = '{"a" : 1.0}';
    expect(patchJob(raw, {})).to.equal(raw);
    expect(patchJob(raw, { a: () => 1 })).to.equal('{}');
    expect(patchJob(raw, { a: Symbol('s') })).to.equal('{}');
  });

  it('throws InvalidJobError for values that cannot be encoded', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(invalid('{}', { a: 1n }).message).to.match(/cannot encode "a"/);
    expect(invalid('{}', { a: cyclic }).payload).to.equal('{}');
  });

  it('throws InvalidJobError (payload = the text) for text that is not a JSON object', () => {
    const texts = [
      '', ' ', 'this is not json', 'null', '[]', '[{}]', '"{}"', '1', 'true', '{', '}', '{"a":1', '{"a":1}}', '{"a":1}x', '{} {}',
      '{"a" 1}', '{a:1}', "{'a':1}", '{"a":1,}', '{,"a":1}', '{"a":1 "b":2}', '{"a":tru}', '{"a":truex}', '{"a":nul}', '{"a":01}',
      '{"a":1.}', '{"a":.5}', '{"a":1e}', '{"a":+1}', '{"a":-}', '{"a":0x10}', '{"a":NaN}', '{"a":Infinity}', '{"a":[1,]}',
      '{"a":[1 2]}', '{"a":{"b"}}', '{"a":{"b":1,}}', '{"a":[}', '{"a":"\u0001"}', '{"a":"\\x41"}', '{"a":"\\u12G4"}', '{"a":"abc}',
      '\ufeff{}', '{"a":1}\u00a0', '{"a":undefined}', '{"a":[1]]}', '{"a":{"b":1]}',
    ];
    for (const text of texts) {
      expect(isJsonObject(text), `fixture ${JSON.stringify(text)} is a JSON object`).to.equal(false);
      expect(invalid(text).payload, JSON.stringify(text)).to.equal(text);
    }
  });

  it('handles nesting deeper than the call stack allows recursion for', () => {
    const deep = `{"args":[${'['.repeat(200_000)}${']'.repeat(200_000)}],"class":"W"}`;
    expect(patchJob(deep, { retry_count: 0 })).to.equal(`${deep.slice(0, -1)},"retry_count":0}`);
    invalid(`{"args":[${'['.repeat(1000)}${']'.repeat(999)}}`);
  });
});

// ---------------------------------------------------------------------------
// Properties. Raw texts are generated as text, in the forms a re-encoder
// would lose: spacing, escapes, 1.0, -0, 17-digit integers, empty containers.

const space = fc.constantFrom('', '', '', ' ', '  ', '\n', '\t', '\r\n  ');
const numberText = fc.oneof(
  fc.constantFrom('0', '-0', '1.0', '-1.50', '1e3', '1E+3', '2.5e-3', '12345678901234567', '9007199254740993', '3.141592653589793238462643', '1e400'),
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
);
/** Every code unit as \uXXXX. */
const escapeAll = (s: string): string => `"${[...s].map((_, i) => `\\u${s.charCodeAt(i).toString(16).padStart(4, '0')}`).join('')}"`;
const stringText = (s: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc.tuple(s, fc.boolean()).map(([text, escaped]) => (escaped ? escapeAll(text) : JSON.stringify(text)));
/** Keys excluding "args" (added once, at a random place) and "__proto__" (chai and spread treat it specially). */
const plainKey = fc
  .oneof(
    fc.constantFrom('retry_count', 'queue', 'class', 'jid', 'failed_at', 'retried_at', 'error_message', 'retry', 'a', 'b'),
    fc.string({ unit: 'binary', maxLength: 8 }),
  )
  .filter((k) => k !== 'args' && k !== '__proto__');
const nestedKey = fc.oneof(fc.constantFrom('retry_count', 'queue', 'args', 'class'), fc.string({ unit: 'binary', maxLength: 6 }));

const { value: valueText } = fc.letrec<{ value: string; array: string; object: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 4 },
    numberText,
    stringText(fc.string({ unit: 'binary', maxLength: 10 })),
    fc.constantFrom('true', 'false', 'null'),
    tie('array'),
    tie('object'),
  ),
  array: fc
    .tuple(fc.array(fc.tuple(space, tie('value'), space), { maxLength: 4 }), space)
    .map(([items, w]) => (items.length === 0 ? `[${w}]` : `[${items.map(([a, v, b]) => a + v + b).join(',')}]`)),
  object: fc
    .tuple(fc.array(fc.tuple(space, stringText(nestedKey), space, space, tie('value'), space), { maxLength: 4 }), space)
    .map(([members, w]) =>
      members.length === 0 ? `{${w}}` : `{${members.map(([a, k, b, c, v, d]) => `${a}${k}${b}:${c}${v}${d}`).join(',')}}`,
    ),
}));

interface RawJob {
  raw: string;
  /** Text of the top-level `args` value. */
  argsText: string;
  /** Text of each top-level member, `"key" : value`, with its key. */
  members: Array<{ key: string; text: string }>;
}

const argsText = fc
  .tuple(fc.array(fc.tuple(space, valueText, space), { maxLength: 5 }), space)
  .map(([items, w]) => (items.length === 0 ? `[${w}]` : `[${items.map(([a, v, b]) => a + v + b).join(',')}]`));

const rawJob: fc.Arbitrary<RawJob> = fc
  .record({
    others: fc.array(fc.tuple(plainKey, fc.boolean(), space, valueText), { maxLength: 6 }),
    args: argsText,
    at: fc.nat(),
    gaps: fc.array(fc.tuple(space, space), { minLength: 8, maxLength: 8 }),
    edges: fc.tuple(space, space, space, space),
  })
  .map(({ others, args, at, gaps, edges }) => {
    const members = others.map(([key, escaped, w, value]) => ({ key, text: `${escaped ? escapeAll(key) : JSON.stringify(key)}${w}:${w}${value}` }));
    members.splice(at % (members.length + 1), 0, { key: 'args', text: `"args":${args}` });
    const body = members.map((m, i) => (i === 0 ? m.text : `${gaps[i % 8]![0]},${gaps[i % 8]![1]}${m.text}`)).join('');
    return { raw: `${edges[0]}{${edges[1]}${body}${edges[2]}}${edges[3]}`, argsText: args, members };
  });

const jsonValue = fc.jsonValue({ maxDepth: 3, stringUnit: 'binary' }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);
const seconds = fc.oneof(fc.double({ min: 0, max: 4e9, noNaN: true }), fc.integer({ min: 0, max: 4_000_000_000 }));
const changes = fc.dictionary(
  fc.oneof(plainKey, fc.constantFrom(...TIMESTAMP_KEYS)),
  fc.option(fc.oneof(jsonValue, seconds), { nil: undefined }),
  { maxKeys: 6 },
);

function expectedOf(raw: string, change: Record<string, unknown>): Record<string, unknown> {
  const expected = { ...(JSON.parse(raw) as Record<string, unknown>) };
  for (const key of Object.keys(change)) {
    if (change[key] === undefined) delete expected[key];
    else expected[key] = JSON.parse(JSON.stringify(change[key])) as unknown;
  }
  return expected;
}

describe('patchJob properties', () => {
  it('parse(patchJob(raw, c)) equals {...parse(raw), ...c}; args and every untouched member keep their bytes', () => {
    fc.assert(
      fc.property(rawJob, changes, ({ raw, argsText: args, members }, change) => {
        const patched = patchJob(raw, change);
        expect(JSON.parse(patched)).to.deep.equal(expectedOf(raw, change));
        expect(patched).to.include(`"args":${args}`);
        for (const member of members) if (!Object.hasOwn(change, member.key)) expect(patched).to.include(member.text);
      }),
      RUNS,
    );
  });

  it('with no changes returns the text unchanged', () => {
    fc.assert(
      fc.property(rawJob, ({ raw }) => {
        expect(patchJob(raw, {})).to.equal(raw);
      }),
      RUNS,
    );
  });

  it('accepts exactly the texts JSON.parse reads as an object (random text and mutated payloads)', () => {
    const mutated = fc.tuple(rawJob, fc.nat(), fc.constantFrom('del', 'cut', ...'{}[]",:\\ 0.-e\u0001a\n'.split(''))).map(([{ raw }, at, op]) => {
      const i = at % (raw.length + 1);
      if (op === 'del') return raw.slice(0, i) + raw.slice(i + 1);
      if (op === 'cut') return raw.slice(0, i);
      return raw.slice(0, i) + op + raw.slice(i);
    });
    const text = fc.oneof(mutated, fc.string({ unit: 'binary', maxLength: 20 }), fc.string({ unit: fc.constantFrom(...'{}[]":,1 tn'.split('')), maxLength: 12 }));
    fc.assert(
      fc.property(text, (raw) => {
        const isObject = isJsonObject(raw);
        if (isObject) expect(patchJob(raw, {})).to.equal(raw);
        else expect(() => patchJob(raw, {})).to.throw(InvalidJobError);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("patchJob with timestamps: 'ms'", () => {
  it('writes the failure times as integer epoch ms, keeps every other byte', () => {
    const raw = '{"class":"W","args":[12345678901234567,1.0],"created_at":1795807920704,"retry_count":0}';
    expect(patchJob(raw, { retry_count: 1, retried_at: 1795807922.5 }, 'ms')).to.equal(
      '{"class":"W","args":[12345678901234567,1.0],"created_at":1795807920704,"retry_count":1,"retried_at":1795807922500}',
    );
  });
});
