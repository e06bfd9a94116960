import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { kiqVersion } from '../src/version.js';

describe('kiqVersion (src/version.ts)', () => {
  it("is the version in Kiq's package.json", () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(pkg.version).to.match(/^\d+\.\d+\.\d+/);
    expect(kiqVersion()).to.equal(pkg.version);
  });
});
