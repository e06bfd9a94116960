import { expect } from 'chai';
import { hostname } from 'node:os';
import { newIdentity } from '../../src/config/index.js';

describe('newIdentity', () => {
  it('is hostname:pid:12 lowercase hex characters', () => {
    const [host, pid, nonce, ...rest] = newIdentity({}).split(':');
    expect(host).to.equal(hostname());
    expect(pid).to.equal(String(process.pid));
    expect(nonce).to.match(/^[0-9a-f]{12}$/);
    expect(rest).to.deep.equal([]);
  });

  it('takes the hostname from DYNO when set', () => {
    expect(newIdentity({ DYNO: 'worker.3' })).to.match(new RegExp(`^worker\\.3:${process.pid}:[0-9a-f]{12}$`));
  });

  it('never contains "|", which separates private-queue name parts', () => {
    expect(newIdentity({ DYNO: 'a|b' })).to.match(/^a-b:/);
  });

  it('is new on every call', () => {
    const identities = new Set(Array.from({ length: 100 }, () => newIdentity({})));
    expect(identities.size).to.equal(100);
  });
});
