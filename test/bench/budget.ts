/**
 * `npm run bench:budget`: where Kiq's processing CPU goes, per job. Runs the
 * process suite for kiq alone (one run, concurrency 50 by default) under
 * `node --cpu-prof`, then prints cpuprofile-top.ts's budget table (self time
 * by category, µs per job) for the samples inside the timed window, with the
 * run's measured CPU per job beside it (process.cpuUsage, which also counts
 * V8's helper threads, so it is higher than the profile's main thread).
 *
 *   npm run bench:budget
 *   BENCH_PROCESS_JOBS=50000 BENCH_CONCURRENCY=10 npm run bench:budget   # other sizes
 *   BENCH_BUDGET_TOP=30 …                                               # longer function lists
 *
 * The profile is kept in a temporary directory whose path is printed, for
 * `cpuprofile-top.ts <file> --window A:B --focus TEXT`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = fileURLToPath(new URL('.', import.meta.url));

/** Run node with `args`, echoing its stdout; resolves with that stdout. */
function node(args: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      process.stdout.write(chunk);
    });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`node ${args.join(' ')} exited with code ${code}`))));
  });
}

async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kiq-budget-'));
  const env = { ...process.env, BENCH_ONLY: 'kiq', BENCH_REPS: '1', BENCH_CONCURRENCY: process.env.BENCH_CONCURRENCY ?? '50' };
  const out = await node(['--cpu-prof', `--cpu-prof-dir=${dir}`, '--import', 'tsx', join(HERE, 'process.bench.ts')], env);
  const window = /cpu-prof window kiq: (--window \d+:\d+ --per-job \d+)/.exec(out)?.[1];
  if (!window) throw new Error('bench:budget: the process bench printed no cpu-prof window');
  // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile: thread 0 is the main thread, where Kiq runs
  const main = readdirSync(dir).find((name) => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(name));
  if (!main) throw new Error(`bench:budget: no main-thread profile in ${dir}`);
  const file = join(dir, main);
  console.log(`\nprofile: ${file}`);
  const top = process.env.BENCH_BUDGET_TOP ?? '15';
  await node(['--import', 'tsx', join(HERE, 'cpuprofile-top.ts'), file, ...window.split(' '), '--top', top], process.env);
}

run().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
