import { expect } from 'chai';
import type { JobEvent } from '../../machines/reporter.js';
import { formatJobLine, loggerReporter } from '../../src/reporters/logger-reporter.js';
import { silent } from '../support/logger.js';
import { job } from './support.js';

/** A logger recording the level of each line. */
function leveled(enabled?: (level: string) => boolean) {
  const lines: { level: string; line: string }[] = [];
  const logger = {
    info: (line: string) => void lines.push({ level: 'info', line }),
    warn: (line: string) => void lines.push({ level: 'warn', line }),
    error: (line: string) => void lines.push({ level: 'error', line }),
    ...(enabled ? { isLevelEnabled: enabled } : {}),
  };
  return { logger, lines };
}

const payload = job(7, { retry_count: 4 });
const all: JobEvent[] = [
  { type: 'started', job: payload, queue: 'work' },
  { type: 'success', job: payload, queue: 'work', durationMs: 12.3456789 },
  { type: 'aborted', job: payload, queue: 'work', reason: 'shutdown' },
  { type: 'failure', job: payload, queue: 'work', error: new RangeError('too far'), outcome: 'retry', durationMs: 1 },
  { type: 'stopped', job: payload, queue: 'work' },
];

describe('Logger reporter (src/reporters/logger-reporter.ts)', () => {
  it('writes one JSON line per event with source "kiq": info for started, success and aborted, warn for failures, nothing for stopped', () => {
    const { logger, lines } = leveled();
    const reporter = loggerReporter(logger);
    reporter.begin();
    for (const event of all) reporter.handle(event);
    expect(lines.map((l) => l.level)).to.deep.equal(['info', 'info', 'info', 'warn']);
    const parsed = lines.map((l) => JSON.parse(l.line));
    const backtrace = parsed[3].backtrace as string[];
    delete parsed[3].backtrace;
    const common = { source: 'kiq', class: 'Echo', queue: 'work', jid: 'jid-7' };
    expect(parsed).to.deep.equal([
      { ...common, event: 'job_started' },
      { ...common, event: 'job_success', duration_ms: 12.346 },
      { ...common, event: 'job_aborted', reason: 'shutdown' },
      { ...common, event: 'job_failure', duration_ms: 1, error: 'too far', error_class: 'RangeError', retry_count: 4, outcome: 'retry' },
    ]);
    // the first frames of the stack: where it failed (this test file)
    expect(backtrace).to.have.length.within(1, 5);
    expect(backtrace[0]).to.match(/^at .*logger-reporter\.test\.ts:\d+:\d+/);
    // keys in a fixed order, source first
    expect(Object.keys(parsed[1])).to.deep.equal(['source', 'event', 'class', 'queue', 'jid', 'duration_ms']);
  });

  it('writes retry_count 0 for a first failure and leaves out what the job lacks', () => {
    const bare = job(8);
    delete (bare as { jid?: string }).jid;
    const stackless = Object.assign(new Error('x'), { stack: undefined });
    const line = JSON.parse(formatJobLine({ type: 'failure', job: bare, queue: 'work', error: stackless, outcome: 'dead' })!);
    expect(line).to.deep.equal({ source: 'kiq', event: 'job_failure', class: 'Echo', queue: 'work', error: 'x', error_class: 'Error', retry_count: 0, outcome: 'dead' });
    expect(formatJobLine(all[4]!)).to.equal(undefined);
  });

  it('logs at most the first 5 frames of a failure, and none for an error without a stack', () => {
    const deep = new Error('deep');
    deep.stack = ['Error: deep', ...Array.from({ length: 9 }, (_, i) => `    at frame${i} (file:///app/w.js:${i + 1}:1)`)].join('\n');
    const line = JSON.parse(formatJobLine({ type: 'failure', job: job(9), queue: 'work', error: deep, outcome: 'retry' })!);
    expect(line.backtrace).to.deep.equal([0, 1, 2, 3, 4].map((i) => `at frame${i} (file:///app/w.js:${i + 1}:1)`));
  });

  it('builds nothing for a level the logger has turned off (isLevelEnabled, read once per batch)', () => {
    const asked: string[] = [];
    const { logger, lines } = leveled((level) => {
      asked.push(level);
      return level === 'warn';
    });
    const reporter = loggerReporter(logger);
    reporter.begin();
    // `class` throws if anybody builds a line for this job
    const trap = Object.defineProperty(job(9), 'class', {
      get() {
        throw new Error('line was built');
      },
    });
    for (const event of all.slice(0, 3)) reporter.handle({ ...event, job: trap });
    reporter.handle(all[3]!);
    expect(lines.map((l) => l.level)).to.deep.equal(['warn']);
    expect(asked).to.deep.equal(['info', 'warn']);
  });

  it('is wanted by the bus for what it would log at the levels now on: failures at warn, the rest at info, never stopped; a logger without isLevelEnabled is always wanted', () => {
    let on = new Set(['info', 'warn']);
    const reporter = loggerReporter(leveled((level) => on.has(level)).logger);
    const types = ['started', 'success', 'aborted', 'failure', 'stopped'] as const;
    const wanted = () => types.filter((type) => reporter.wanted!(type));
    expect(wanted()).to.deep.equal(['started', 'success', 'aborted', 'failure']);
    on = new Set(['warn']);
    expect(wanted()).to.deep.equal(['failure']);
    on = new Set(['error']);
    expect(wanted()).to.deep.equal([]);
    on = new Set(['info']);
    expect(wanted()).to.deep.equal(['started', 'success', 'aborted']);
    expect(loggerReporter(leveled().logger).wanted).to.equal(undefined);
  });

  it('logs through the configured logger as is (the MemoryLogger of the tests, console in production)', () => {
    const logger = silent();
    const reporter = loggerReporter(logger);
    reporter.begin();
    reporter.handle(all[0]!);
    expect(JSON.parse(logger.lines[0]!)).to.include({ source: 'kiq', event: 'job_started' });
  });
});
