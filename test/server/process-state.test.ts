import { expect } from 'chai';
import { ManualClock } from '../../src/clock.js';
import { InvalidJobError } from '../../src/errors.js';
import type { JobPayload } from '../../src/job/payload.js';
import { ProcessState } from '../../src/server/process-state.js';
import type { JobOutcome } from '../../src/job-events.js';

const START_MS = Date.UTC(2026, 10, 27, 19, 32, 0, 700);

function job(n: number): { job: JobPayload; raw: string } {
  const payload: JobPayload = { class: 'Echo', args: [n], jid: `${'0'.repeat(22)}${String(n).padStart(2, '0')}`, queue: 'default' };
  return { job: payload, raw: JSON.stringify(payload) };
}

/** An outcome of `kind` for `raw` (fields the state does not read are filled loosely). */
function outcome(kind: JobOutcome['kind'], raw: string, extra: Record<string, unknown> = {}): JobOutcome {
  if (kind === 'invalid') return { raw, queue: 'default', kind, error: new InvalidJobError('bad', raw) };
  const base = { raw, queue: 'default', job: JSON.parse(raw) as JobPayload };
  switch (kind) {
    case 'success':
      return { ...base, kind, durationMs: 1 };
    case 'retry':
      return { ...base, kind, error: new Error('x'), json: raw, retryAtSec: 1 };
    case 'dead':
      return { ...base, kind, error: new Error('x'), json: raw };
    case 'discard':
      return { ...base, kind, error: new Error('x'), reason: 'retry-false' };
    case 'aborted':
      return { ...base, kind, reason: 'shutdown', ...extra } as JobOutcome;
  }
}

describe('ProcessState (heartbeat state)', () => {
  let clock: ManualClock;
  let state: ProcessState;

  beforeEach(() => {
    clock = new ManualClock(START_MS);
    state = new ProcessState(clock);
  });

  it('holds a started job until it finishes: queue, the raw payload, run_at in whole seconds', () => {
    const { job: payload, raw } = job(1);
    state.started({ job: payload, raw, queue: 'default' });
    expect(state.busy).to.equal(1);
    const [running] = state.running();
    expect(running).to.deep.include({ queue: 'default', payload: raw, runAtSec: Math.floor(START_MS / 1000) });
    expect(running!.id).to.match(/^[0-9a-z]+$/);
    state.finished(outcome('success', raw));
    expect(state.busy).to.equal(0);
    expect(state.running()).to.deep.equal([]);
  });

  it('gives each execution its own id, stable across beats', () => {
    const a = job(1);
    const b = job(2);
    state.started({ ...a, queue: 'default' });
    state.started({ ...b, queue: 'default' });
    const first = state.running().map((r) => r.id);
    const second = state.running().map((r) => r.id);
    expect(new Set(first).size).to.equal(2);
    expect(second).to.deep.equal(first);
  });

  it('tracks byte-identical payloads running at once as two executions', () => {
    const { job: payload, raw } = job(1);
    state.started({ job: payload, raw, queue: 'default' });
    state.started({ job: payload, raw, queue: 'default' });
    expect(state.busy).to.equal(2);
    expect(new Set(state.running().map((r) => r.id)).size).to.equal(2);
    state.finished(outcome('success', raw));
    expect(state.running()).to.have.length(1);
    state.finished(outcome('retry', raw));
    expect(state.busy).to.equal(0);
    expect(state.running()).to.deep.equal([]);
  });

  it('counts as Sidekiq: every execution processed, every failure failed (contract §4)', () => {
    const kinds = ['success', 'success', 'retry', 'dead', 'discard'] as const;
    kinds.forEach((kind, i) => {
      const { job: payload, raw } = job(i);
      state.started({ job: payload, raw, queue: 'default' });
      state.finished(outcome(kind, raw));
    });
    expect(state.pending).to.deep.equal({ processed: 5, failed: 3 });
    expect(state.busy).to.equal(0);
  });

  it('counts a job interrupted by shutdown after it started as processed and failed', () => {
    const { job: payload, raw } = job(1);
    state.started({ job: payload, raw, queue: 'default' });
    state.finished(outcome('aborted', raw, { error: new Error('aborted') }));
    expect(state.pending).to.deep.equal({ processed: 1, failed: 1 });
    expect(state.busy).to.equal(0);
  });

  it('does not count expired, invalid and never-started shutdown jobs, nor touch running ones', () => {
    const { job: payload, raw } = job(1);
    state.started({ job: payload, raw, queue: 'default' });
    // the same bytes fetched again but not started: the running one stays
    state.finished(outcome('aborted', raw));
    state.finished(outcome('aborted', raw, { reason: 'expired' }));
    state.finished(outcome('invalid', 'not json'));
    expect(state.pending).to.deep.equal({ processed: 0, failed: 0 });
    expect(state.busy).to.equal(1);
  });

  it('drops a started job that ends invalid (runner bug) from the running jobs, uncounted', () => {
    const { job: payload, raw } = job(1);
    state.started({ job: payload, raw, queue: 'default' });
    state.finished(outcome('invalid', raw));
    expect(state.busy).to.equal(0);
    expect(state.pending).to.deep.equal({ processed: 0, failed: 0 });
  });

  it('hands counters out once and takes them back after a failed write', () => {
    for (const kind of ['success', 'retry'] as const) {
      const { job: payload, raw } = job(kind.length);
      state.started({ job: payload, raw, queue: 'default' });
      state.finished(outcome(kind, raw));
    }
    const taken = state.takeCounts();
    expect(taken).to.deep.equal({ processed: 2, failed: 1 });
    expect(state.takeCounts()).to.deep.equal({ processed: 0, failed: 0 });
    const { job: payload, raw } = job(9);
    state.started({ job: payload, raw, queue: 'default' });
    state.finished(outcome('success', raw)); // during the failed write
    state.restoreCounts(taken);
    expect(state.takeCounts()).to.deep.equal({ processed: 3, failed: 1 });
  });
});
