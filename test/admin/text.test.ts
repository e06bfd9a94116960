import { expect } from 'chai';
import { prettyJson, rawValue } from '../../src/admin/text.js';

describe('JSON text as stored (src/admin/text.ts)', () => {
  it('prettyJson indents without parsing: digits, escapes and empty containers stay as written', () => {
    expect(prettyJson('{"args":[1.0,12345678901234567],"e":"a\\"b, {c}","o":{ },"l":[]}')).to.equal(
      '{\n  "args": [\n    1.0,\n    12345678901234567\n  ],\n  "e": "a\\"b, {c}",\n  "o": {},\n  "l": []\n}',
    );
    expect(prettyJson('not json {')).to.equal('not json {');
  });

  it('rawValue reads one top-level value as stored, compacted; undefined when absent or not an object', () => {
    const text = '{"class":"W", "args" : [1.0, {"args":2}, "x , y"], "n":{"args":3}}';
    expect(rawValue(text, 'args')).to.equal('[1.0,{"args":2},"x , y"]');
    expect(rawValue(text, 'class')).to.equal('"W"');
    expect(rawValue(text, 'n')).to.equal('{"args":3}');
    expect(rawValue(text, 'missing')).to.equal(undefined);
    expect(rawValue('[{"args":1}]', 'args')).to.equal(undefined);
  });
});
