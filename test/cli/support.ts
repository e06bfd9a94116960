/**
 * Runs the `kiq` CLI as a child process, as a user would:
 * `node --import tsx src/cli/main.ts <args>` from the repository root, with
 * REDIS_URL set to the test's database unless overridden.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root (cwd of every run). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

/** What a finished run printed and returned. */
export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall time, ms. */
  readonly ms: number;
}

/** Options of a run. */
export interface RunOptions {
  /** REDIS_URL of the child; `null` removes it. */
  readonly redisUrl?: string | null;
  readonly env?: Readonly<Record<string, string>>;
  /** Kill (SIGKILL) and fail after this many ms. @defaultValue 20_000 */
  readonly timeoutMs?: number;
}

function childEnv(options: RunOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  delete env.KIQ_DEBUG;
  if (options.redisUrl === null) delete env.REDIS_URL;
  else if (options.redisUrl !== undefined) env.REDIS_URL = options.redisUrl;
  return env;
}

/** Start `kiq <args>` and return the child (stdout/stderr piped). */
export function spawnKiq(args: readonly string[], options: RunOptions = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: ROOT, env: childEnv(options), stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Run `kiq <args>` to completion. */
export function runKiq(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  const started = Date.now();
  const child = spawnKiq(args, options);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kiq ${args.join(' ')} did not finish within ${options.timeoutMs ?? 20_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** Run several invocations, at most `parallel` at once; results in order. */
export async function runKiqMany(runs: readonly (readonly string[])[], options: RunOptions = {}, parallel = 4): Promise<CliResult[]> {
  const results: CliResult[] = new Array(runs.length);
  let next = 0;
  const lane = async () => {
    while (next < runs.length) {
      const i = next++;
      results[i] = await runKiq(runs[i]!, options);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, runs.length) }, lane));
  return results;
}

/** A readable assertion message for a run. */
export function describeRun(result: CliResult): string {
  return `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`;
}

/**
 * Run `kiq <args>` inside this process through the same `runCli` the
 * executable uses (for cases where only the text matters: help, argument
 * checks), with REDIS_URL as given.
 */
export async function runInProcess(args: readonly string[], options: { redisUrl?: string } = {}): Promise<CliResult> {
  const { runCli } = await import('../../src/cli/cli.js');
  const started = Date.now();
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    out: (text) => void (stdout += text),
    err: (text) => void (stderr += text),
    env: options.redisUrl === undefined ? {} : { REDIS_URL: options.redisUrl },
    cwd: ROOT,
  });
  return { code, stdout, stderr, ms: Date.now() - started };
}

/** Collects a child's output and waits for patterns in it. */
export function watch(child: ChildProcess) {
  const out = { stdout: '', stderr: '' };
  child.stdout!.on('data', (chunk: Buffer) => (out.stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (out.stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const until = async (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\nstdout: ${out.stdout}\nstderr: ${out.stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { out, exited, until };
}
