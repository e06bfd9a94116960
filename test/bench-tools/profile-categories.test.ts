import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { stackCategory, type FrameInfo } from '../bench/lib/profile-categories.js';

const run = promisify(execFile);
const TOP = fileURLToPath(new URL('../bench/cpuprofile-top.ts', import.meta.url));
const ROOT = new URL('../../', import.meta.url).href;

/** A stack innermost first, from "name@place" strings. */
const stack = (...frames: string[]): FrameInfo[] =>
  frames.map((f) => {
    const [functionName = '', place = ''] = f.split('@');
    return { functionName, place };
  });

describe('bench tools: per-job budget categories (test/bench/lib/profile-categories.ts)', () => {
  it('charges a native builtin to the code that called it', () => {
    expect(stackCategory(stack('parse@', 'decodeJob@src/job/decode.ts', 'run@src/server/runner/run-job.ts'))).to.equal('decode (job JSON → Job)');
  });

  it('charges socket writes under ioredis to socket I/O, and ioredis itself to its commands', () => {
    expect(stackCategory(stack('writeUtf8String@', 'handleWriteReq@node:internal/stream_base_commons', 'write@pkg:ioredis'))).to.equal('socket I/O (node:net, streams)');
    expect(stackCategory(stack('Command@pkg:ioredis', 'ack@src/server/ops/ack.ts'))).to.equal('ioredis commands (build, queue, callbacks)');
    expect(stackCategory(stack('execute@pkg:redis-parser', 'x@pkg:ioredis'))).to.equal('ioredis reply parsing');
  });

  it('knows xstate, acks, reporters, microtasks, GC and V8 pseudo-frames; anything else is "other"', () => {
    expect(stackCategory(stack('macrostep@pkg:xstate', 'x@src/server/queue-logic.ts'))).to.equal('xstate events');
    expect(stackCategory(stack('flush@src/server/acker.ts'))).to.equal('ack batching');
    expect(stackCategory(stack('record@src/server/metrics/execution-metrics.ts'))).to.equal('heartbeat / metrics / telemetry');
    expect(stackCategory(stack('formatJobLine@src/reporters/logger-reporter.ts'))).to.equal('reporters / logging (event formatting)');
    expect(stackCategory(stack('runMicrotasks@'))).to.equal('promise / hook bookkeeping');
    expect(stackCategory(stack('(garbage collector)@'))).to.equal('GC');
    expect(stackCategory(stack('(program)@'))).to.equal('V8 / program (unattributed)');
    expect(stackCategory(stack('f@pkg:left-pad'))).to.equal('other');
  });

  it('cpuprofile-top --per-job prints µs per job by category for the samples in the window', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiq-prof-'));
    try {
      // root → decodeJob (src/job/decode.ts) → parse (native); root → macrostep (xstate); samples 1 ms apart
      const profile = {
        nodes: [
          { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 }, children: [2, 4] },
          { id: 2, callFrame: { functionName: 'decodeJob', url: `${ROOT}src/job/decode.ts`, lineNumber: 0 }, children: [3] },
          { id: 3, callFrame: { functionName: 'parse', url: '', lineNumber: -1 } },
          { id: 4, callFrame: { functionName: 'macrostep', url: 'file:///x/node_modules/xstate/dist/x.js', lineNumber: 0 } },
        ],
        startTime: 0,
        samples: [3, 3, 3, 4, 4, 3],
        timeDeltas: [1000, 1000, 1000, 1000, 1000, 1000],
      };
      const file = join(dir, 'p.cpuprofile');
      writeFileSync(file, JSON.stringify(profile));
      // window 1000..5000 µs keeps samples 0–4 (each charged the 1 ms to the next sample): 3 ms decode, 2 ms xstate
      const { stdout } = await run(process.execPath, ['--import', 'tsx', TOP, file, '--window', '1000:5000', '--per-job', '10']);
      expect(stdout).to.match(/\| decode \(job JSON → Job\) \| 3 \| 60\.0 \| 300\.00 \|/);
      expect(stdout).to.match(/\| xstate events \| 2 \| 40\.0 \| 200\.00 \|/);
      expect(stdout).to.match(/\| \*\*total\*\* \| 5 \| 100\.0 \| 500\.00 \|/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
