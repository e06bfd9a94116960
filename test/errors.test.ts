import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import * as kiq from '../src/index.js';
import { ERROR_CLASSES, KiqError, describe as describeValue, type KiqErrorCode } from '../src/errors.js';

/** Rows of the README's error table: code → class name. */
function readmeErrors(): Map<string, string> {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const section = readme.split('## Errors')[1]?.split('\n## ')[0] ?? '';
  const rows = new Map<string, string>();
  for (const match of section.matchAll(/^\| `(KIQ_ERR_[A-Z_]+)` \| `(\w+)` \|/gm)) rows.set(match[1]!, match[2]!);
  return rows;
}

describe('The error catalogue', () => {
  it('has one README row per code, naming the same class, and no row for a code that does not exist', () => {
    expect(Object.fromEntries(readmeErrors())).to.deep.equal({ ...ERROR_CLASSES });
  });

  it('exports every error class from the package, each carrying its own code', () => {
    for (const [code, name] of Object.entries(ERROR_CLASSES) as [KiqErrorCode, string][]) {
      const ctor = (kiq as Record<string, unknown>)[name];
      expect(ctor, `${name} is exported`).to.be.a('function');
      expect((ctor as { prototype: unknown }).prototype).to.be.instanceOf(KiqError);
      const sample = instantiate(name);
      expect(sample.code, name).to.equal(code);
      expect(sample.name).to.equal(name);
    }
  });

  it('renders values in messages without losing what they were', () => {
    expect(describeValue(0)).to.equal('0');
    expect(describeValue('x')).to.equal('"x"');
    expect(describeValue(undefined)).to.equal('undefined');
    expect(describeValue(() => 1)).to.match(/^function/);
    expect(describeValue(Number.NaN)).to.equal('NaN');
    expect(describeValue(Infinity)).to.equal('Infinity');
    expect(describeValue(new Map([['a', 1]]))).to.equal("Map(1) { 'a' => 1 }");
  });
});

function instantiate(name: string): KiqError {
  switch (name) {
    case 'KiqConfigError':
      return new kiq.KiqConfigError('poolSize', 'a positive integer', 0);
    case 'InvalidJobError':
      return new kiq.InvalidJobError('bad', 'raw');
    case 'BufferFullError':
      return new kiq.BufferFullError(1);
    case 'KiqNotRunningError':
      return new kiq.KiqNotRunningError('enqueue', 'stopped');
    case 'UnknownWorkerError':
      return new kiq.UnknownWorkerError('X');
    case 'ScriptError':
      return new kiq.ScriptError('push', 'WRONGTYPE');
    case 'EscalationError':
      return new kiq.EscalationError('gave up');
    case 'UnflushedJobsError':
      return new kiq.UnflushedJobsError(['{}']);
    case 'ReporterDisabledError':
      return new kiq.ReporterDisabledError('reporter:0', 5, 60_000, new Error('boom'));
    case 'AdminError':
      return new kiq.AdminError('not-found', "no queue named 'x'");
    default:
      throw new Error(`no sample for ${name}: add one`);
  }
}
