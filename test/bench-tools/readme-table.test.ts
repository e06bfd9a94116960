/** The README's comparison table is made from a bench run's JSON lines, and written only between its markers. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { BEGIN_MARK, END_MARK, readmeTable, writeReadmeTable } from '../bench/lib/readme-table.js';

const LINES = [
  { bench: 'enqueue', kiq: 100_000, bullmq: 20_000, bee: 50_000, sidekiq: 40_000 },
  { bench: 'process', kiq: 30_000, bullmq: 10_000, bee: 15_000, sidekiq: 5_000, kiq_node_us: 25.25 },
  { bench: 'latency', kiq_p50_ms: 0.5, kiq_p99_ms: 4, bullmq_p50_ms: 1, bullmq_p99_ms: 8, bee_p50_ms: 0.25, bee_p99_ms: 2, sidekiq_p50_ms: 1, sidekiq_p99_ms: 2 },
  { bench: 'scale', cases: [{ case: 'queues: 100 queues × 1', jobs_s: 3408.4, worker_us: 345.59, redis_us: 78.85, cmds: 8.06 }] },
  { bench: 'memory', kiq_redis_b: 211.1, kiq_client_b: 448.5, bullmq_redis_b: 322.7 },
];

describe('bench README table (test/bench/lib/readme-table.ts)', () => {
  it('has a row per suite in the run, with its figures and the ratios against each peer', () => {
    const table = readmeTable(LINES, '2026-12-03', '1');
    expect(table).to.include('Measured 2026-12-03 with `npm run bench` on');
    expect(table).to.include('| enqueue in bulk (kiq: `enqueue` ×N + `flush()`) | 100,000/s | 20,000/s | 50,000/s | 40,000/s | 5.00× BullMQ, 2.00× bee-queue, 2.50× Sidekiq |');
    expect(table).to.include('(kiq Node CPU 25.3 µs/job) | 30,000/s | 10,000/s | 15,000/s | 5,000/s | 3.00× BullMQ, 2.00× bee-queue, 6.00× Sidekiq |');
    // latency: lower is better, so the ratio is the peer's over Kiq's
    expect(table).to.include('| 0.50 / 4.00 ms | 1.00 / 8.00 ms | 0.25 / 2.00 ms | 1.00 / 2.00 ms | p50 2.00× BullMQ, 0.50× bee-queue, 2.00× Sidekiq |');
    expect(table).to.include('| queues: 100 queues × 1 | 3,408/s | 345.6 | 78.9 | 8.06 |');
    expect(table).to.include('| Redis B/job | 211 | 323 | n/a | n/a | n/a |');
    expect(table).not.to.include('awaited single enqueue'); // no enqueue_one line in this run
  });

  it('writes the table between the markers and leaves the rest of the file as it was', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiq-readme-'));
    try {
      const file = join(dir, 'README.md');
      writeFileSync(file, `# before\n${BEGIN_MARK}\nold table\n${END_MARK}\nafter\n`);
      writeReadmeTable(file, 'new table');
      expect(readFileSync(file, 'utf8')).to.equal(`# before\n${BEGIN_MARK}\nnew table\n${END_MARK}\nafter\n`);
      writeFileSync(file, 'no markers\n');
      expect(() => writeReadmeTable(file, 'x')).to.throw(/markers/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
