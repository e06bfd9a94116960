/**
 * Ruby Sidekiq 6.4 (Debian's ruby-sidekiq) as a peer in the benchmarks: the
 * client side as a `ruby sidekiq/client.rb` child that reports its own wall
 * and CPU seconds, and the server as a real `sidekiq` process loading
 * sidekiq/workers.rb. Both reach Redis through REDIS_URL (Sidekiq's lookup).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { VerificationError } from './common.js';

const CLIENT_SCRIPT = fileURLToPath(new URL('../sidekiq/client.rb', import.meta.url));
const WORKERS_SCRIPT = fileURLToPath(new URL('../sidekiq/workers.rb', import.meta.url));
/** USER_HZ: /proc/<pid>/stat counts CPU in clock ticks of 1/100 s on Linux. */
const TICKS_PER_SECOND = 100;

/** "Sidekiq 6.4.1 (ruby 3.1.2)", or `undefined` when Ruby or the gem is missing. */
export const sidekiqVersion: string | undefined = (() => {
  const probe = spawnSync('ruby', ['-e', 'require "sidekiq"; print "Sidekiq #{Sidekiq::VERSION} (ruby #{RUBY_VERSION})"'], { encoding: 'utf8' });
  return probe.status === 0 ? probe.stdout : undefined;
})();

/** `systems` without 'sidekiq' (said once per call) when Ruby or the gem does not load here. */
export function runnable<S extends string>(systems: readonly S[]): readonly S[] {
  if (sidekiqVersion !== undefined || !systems.includes('sidekiq' as S)) return systems;
  console.log('  (Sidekiq left out: `ruby -e \'require "sidekiq"\'` fails on this host)');
  return systems.filter((s) => s !== 'sidekiq');
}

/** utime + stime of a live process in seconds (NaN once it is gone or without /proc). */
export function pidCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

/** What client.rb reports for its timed section. */
export interface RubyTiming {
  readonly seconds: number;
  readonly cpu: number;
}

/** A booted client.rb waiting for `go`. */
export interface RubyClient {
  readonly pid: number;
  /** Start the timed section; resolves with the child's own timing once it exited 0. */
  go(): Promise<RubyTiming>;
  kill(): void;
}

/** Spawn `client.rb <mode> <args…>` and wait until it is connected and ready. */
export async function rubyClient(url: string, mode: 'push_bulk' | 'push' | 'latency', args: readonly (string | number)[]): Promise<RubyClient> {
  const child = spawn('ruby', [CLIENT_SCRIPT, mode, ...args.map(String)], { env: { ...process.env, REDIS_URL: url }, stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const nextLine = async (what: string) => {
    const line = await lines.next();
    if (line.done) throw new VerificationError(`sidekiq client.rb ${mode}: exited (code ${await exited}) before ${what}`);
    return line.value;
  };
  try {
    const ready = await nextLine('"ready"');
    if (ready !== 'ready') throw new VerificationError(`sidekiq client.rb ${mode}: expected "ready", got ${JSON.stringify(ready)}`);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    pid: child.pid!,
    async go() {
      child.stdin!.end('go\n');
      const timing = JSON.parse(await nextLine('its timing')) as RubyTiming;
      const code = await exited;
      if (code !== 0) throw new VerificationError(`sidekiq client.rb ${mode}: exit code ${code}`);
      return timing;
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** A running `sidekiq` server process. */
export interface SidekiqServer {
  readonly pid: number;
  /** TERM (Sidekiq's graceful stop) and wait for the exit; rejects on a non-zero exit. */
  stop(): Promise<void>;
  kill(): void;
}

/** Start `sidekiq -r workers.rb -c <concurrency> -q <queue>…` against `url`; its log goes to stderr only on failure. */
export function spawnSidekiq(url: string, concurrency: number, queues: readonly string[]): SidekiqServer {
  const args = ['-r', WORKERS_SCRIPT, '-c', String(concurrency), ...queues.flatMap((q) => ['-q', q])];
  const child: ChildProcess = spawn('sidekiq', args, { env: { ...process.env, REDIS_URL: url }, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    pid: child.pid!,
    async stop() {
      child.kill('SIGTERM');
      const code = await exited;
      if (code !== 0) throw new VerificationError(`sidekiq server exited with code ${code}:\n${log}`);
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
