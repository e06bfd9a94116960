/**
 * The README's comparison table, made from one `npm run bench` run's final
 * JSON lines (`npm run bench -- --readme`): printed, and written between the
 * markers below in README.md, with the run's date, so the table always
 * says which run it comes from. Suites left out of the run (BENCH_SUITES)
 * leave their rows out.
 */
import { readFileSync, writeFileSync } from 'node:fs';

/** README.md lines that bound the generated table (kept on regeneration). */
export const BEGIN_MARK = '<!-- bench-table:begin (npm run bench -- --readme) -->';
export const END_MARK = '<!-- bench-table:end -->';

/** One suite's JSON line, as parsed. */
export type BenchJson = Record<string, unknown>;

const PEERS = ['bullmq', 'bee', 'sidekiq'] as const;

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function rate(value: unknown): string {
  const n = num(value);
  return n === null ? 'n/a' : `${Math.round(n).toLocaleString('en-US')}/s`;
}

function ms(p50: unknown, p99: unknown): string {
  const a = num(p50);
  const b = num(p99);
  return a === null || b === null ? 'n/a' : `${a.toFixed(2)} / ${b.toFixed(2)} ms`;
}

/** "4.2× BullMQ, 1.3× bee-queue …" for a higher-is-better row, or for a lower-is-better one. */
function ratios(line: BenchJson, kiqKey: string, peerKey: (peer: string) => string, lowerIsBetter = false): string {
  const kiq = num(line[kiqKey]);
  const names: Record<string, string> = { bullmq: 'BullMQ', bee: 'bee-queue', sidekiq: 'Sidekiq' };
  const parts: string[] = [];
  for (const peer of PEERS) {
    const other = num(line[peerKey(peer)]);
    if (kiq === null || other === null || kiq === 0 || other === 0) continue;
    parts.push(`${(lowerIsBetter ? other / kiq : kiq / other).toFixed(2)}× ${names[peer]}`);
  }
  return parts.length ? parts.join(', ') : 'n/a';
}

/** The Markdown table (and its heading line) for `lines`, dated `date` (YYYY-MM-DD). */
export function readmeTable(lines: readonly BenchJson[], date: string, scale: string): string {
  const by = new Map(lines.map((line) => [String(line.bench), line]));
  const rows: string[][] = [];
  const enqueue = by.get('enqueue');
  if (enqueue) rows.push(['enqueue in bulk (kiq: `enqueue` ×N + `flush()`)', ...['kiq', ...PEERS].map((k) => rate(enqueue[k])), ratios(enqueue, 'kiq', (p) => p)]);
  const one = by.get('enqueue_one');
  if (one) rows.push(['awaited single enqueue (kiq: `confirm: true`)', ...['kiq', ...PEERS].map((k) => rate(one[k])), ratios(one, 'kiq', (p) => p)]);
  const processing = by.get('process');
  if (processing) {
    const nodeUs = num(processing.kiq_node_us);
    rows.push([
      `process no-op jobs, c=50, one process (kiq Node CPU ${nodeUs === null ? 'n/a' : `${nodeUs.toFixed(1)} µs`}/job)`,
      ...['kiq', ...PEERS].map((k) => rate(processing[k])),
      ratios(processing, 'kiq', (p) => p),
    ]);
  }
  const latency = by.get('latency');
  if (latency) {
    const cells = ['kiq', ...PEERS].map((k) => ms(latency[`${k}_p50_ms`], latency[`${k}_p99_ms`]));
    rows.push(['enqueue → start latency p50 / p99 (200 jobs/s, c=10)', ...cells, `p50 ${ratios(latency, 'kiq_p50_ms', (p) => `${p}_p50_ms`, true)}`]);
  }
  const out = [
    `Measured ${date} with \`npm run bench\`${scale === '1' ? '' : ` (BENCH_SCALE=${scale})`} on this project's 2-core machine, all systems in one run against one \`redis-server\` (ratios > 1: Kiq ahead).`,
    '',
    '| | Kiq | BullMQ 6.7 | bee-queue 2.0 | Sidekiq 6.4 | Kiq vs each |',
    '|---|---:|---:|---:|---:|---|',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ];
  const metrics = by.get('metrics_cost');
  if (metrics && num(metrics.delta_us) !== null) {
    out.push('', `Prometheus metrics on cost ${num(metrics.delta_us)!.toFixed(3)} µs per job more than off (${num(metrics.on_us)!.toFixed(3)} vs ${num(metrics.off_us)!.toFixed(3)} µs of job observers).`);
  }
  const scale_ = by.get('scale');
  const cases = Array.isArray(scale_?.cases) ? (scale_.cases as BenchJson[]) : [];
  if (cases.length > 0) {
    out.push(
      '',
      "Kiq's cost curve (`scale` suite: same total concurrency, no-op jobs; Node and Redis CPU per job):",
      '',
      '| case | jobs/s | Node CPU µs/job | Redis CPU µs/job | Redis cmds/job |',
      '|---|---:|---:|---:|---:|',
      ...cases.map((c) => `| ${String(c.case)} | ${rate(c.jobs_s)} | ${fixed(c.worker_us, 1)} | ${fixed(c.redis_us, 1)} | ${fixed(c.cmds, 2)} |`),
    );
  }
  const memory = by.get('memory');
  if (memory) {
    const systems: [string, string][] = [['Kiq', 'kiq'], ['BullMQ', 'bullmq'], ['bee-queue', 'bee'], ['Sidekiq', 'sidekiq'], ['raw LPUSH', 'raw']];
    out.push(
      '',
      'Memory per job (`memory` suite): bytes a queued job takes in Redis, and a buffered (not yet written) job in the client process:',
      '',
      '| | ' + systems.map(([name]) => name).join(' | ') + ' |',
      '|---|' + systems.map(() => '---:').join('|') + '|',
      '| Redis B/job | ' + systems.map(([, key]) => fixed(memory[`${key}_redis_b`], 0)).join(' | ') + ' |',
      '| client B/job | ' + systems.map(([, key]) => fixed(memory[`${key}_client_b`], 0)).join(' | ') + ' |',
    );
  }
  return out.join('\n');
}

function fixed(value: unknown, digits: number): string {
  const n = num(value);
  return n === null ? 'n/a' : n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Replace what lies between the markers in `path` by `table`; throws when the markers are missing. */
export function writeReadmeTable(path: string, table: string): void {
  const text = readFileSync(path, 'utf8');
  const begin = text.indexOf(BEGIN_MARK);
  const end = text.indexOf(END_MARK);
  if (begin < 0 || end < begin) throw new Error(`${path}: no "${BEGIN_MARK}" … "${END_MARK}" markers to write the bench table between`);
  writeFileSync(path, `${text.slice(0, begin + BEGIN_MARK.length)}\n${table}\n${text.slice(end)}`);
}
