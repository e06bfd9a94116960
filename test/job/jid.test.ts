import { expect } from 'chai';
import { isSidekiqJid, newJid } from '../../src/job/jid.js';

describe('newJid', () => {
  it('is 24 lowercase hex characters, as Sidekiq writes (12 random bytes)', () => {
    expect(newJid()).to.match(/^[0-9a-f]{24}$/);
  });

  it('stays well-formed and unique across many pool refills', () => {
    const jids = Array.from({ length: 20_000 }, newJid); // ~58 refills of the pool
    expect(jids.every((jid) => /^[0-9a-f]{24}$/.test(jid))).to.equal(true);
    expect(new Set(jids).size).to.equal(20_000);
  });

  it('uses every hex digit over a sample (the bytes are not constant)', () => {
    const digits = new Set(Array.from({ length: 50 }, newJid).join(''));
    expect(digits.size).to.equal(16);
  });
});

describe('isSidekiqJid', () => {
  it('accepts 24 lowercase hex and nothing else', () => {
    expect(isSidekiqJid('a319acf4a129c1d6e0eec6db')).to.equal(true);
    expect(isSidekiqJid('A319ACF4A129C1D6E0EEC6DB')).to.equal(false);
    expect(isSidekiqJid('a319acf4a129c1d6e0eec6d')).to.equal(false);
    expect(isSidekiqJid(42)).to.equal(false);
  });
});
