/**
 * `kiq demo` end to end: the real CLI in a child process (not a TTY), with a
 * throwaway redis-server it starts and stops itself, with REDIS_URL, and
 * with no Redis at all.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { demoCommand } from '../../src/cli/commands/demo.js';
import { UsageError, type CliIo } from '../../src/cli/command.js';
import { hasRedisServer } from '../support/redis-server.js';
import { useRedis } from '../support/redis.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const main = join(root, 'src/cli/main.ts');

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** The environment without REDIS_URL (the root hooks may have it set). */
function envWithoutRedis(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.REDIS_URL;
  return env;
}

/** `node --import tsx src/cli/main.ts <args>`; `onStdout` sees the output as it comes. */
function kiq(args: string[], env: NodeJS.ProcessEnv, options: { timeoutMs?: number; onStdout?: (soFar: string, child: ReturnType<typeof spawn>) => void } = {}): Promise<Run> {
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', main, ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    options.onStdout?.(stdout, child);
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 40_000);
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** Whether a process with this pid exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A number printed after `label` in the final stats. */
function stat(stdout: string, label: string): number {
  const match = new RegExp(`^  ${label}\\s+(\\d+)`, 'm').exec(stdout);
  if (!match) throw new Error(`no "${label}" in the final stats:\n${stdout}`);
  return Number(match[1]);
}

/** The throwaway redis-server's pid, from the banner. */
function throwawayPid(stdout: string): number {
  const match = /started a throwaway redis-server \S+ on 127\.0\.0\.1:\d+ \(pid (\d+)\)/.exec(stdout);
  if (!match) throw new Error(`no throwaway redis-server banner:\n${stdout}`);
  return Number(match[1]);
}

describe('kiq demo', function () {
  this.timeout(60_000);
  const redis = useRedis();

  it('without REDIS_URL starts a throwaway redis-server, runs 50 jobs with retries, prints plain progress and the stats, stops it and exits 0', async function () {
    if (!hasRedisServer()) this.skip();
    const run = await kiq(['demo', '--jobs', '50'], envWithoutRedis());
    expect(run.code, run.stderr + run.stdout).to.equal(0);
    expect(run.ms).to.be.below(20_000);
    // not a TTY: plain lines, nothing rewritten in place
    expect(run.stdout).not.to.include('\r');
    expect(run.stdout).to.match(/^ {2}\[ *\d+\.\d s\] processed \d+ · failed \d+ · retries \d+ · \d+ jobs\/s$/m);
    expect(run.stdout).to.match(/^Done in \d+\.\d s: all 50 jobs, 3 scheduled jobs and \d+ periodic tick\(s\) ran\.$/m);
    expect(stat(run.stdout, 'processed')).to.be.at.least(50);
    // every failure was retried and the retry succeeded; nothing left over
    const failed = /^ {2}failed\s+(\d+)\s+runs that threw; retried and succeeded since: (\d+)$/m.exec(run.stdout);
    expect(failed, run.stdout).to.not.equal(null);
    expect(failed![2]).to.equal(failed![1]);
    expect(stat(run.stdout, 'retries left')).to.equal(0);
    expect(stat(run.stdout, 'dead')).to.equal(0);
    expect(run.stdout).to.match(/Demo::Tick #2/);
    expect(run.stdout).to.include('Where to look next:');
    const pid = throwawayPid(run.stdout);
    expect(run.stdout).to.include(`Stopped the throwaway redis-server (pid ${pid}).`);
    expect(alive(pid), `redis-server pid ${pid} still alive`).to.equal(false);
    expect(run.stderr).to.equal('');
  });

  it('with REDIS_URL uses that Redis as given and clears only its own queues and jobs', async () => {
    const client = redis.client;
    await client.sadd('queues', 'other', 'demo');
    await client.lpush('queue:other', '{"class":"Other","args":[],"jid":"000000000000000000000001","queue":"other"}');
    // a leftover from an interrupted demo, and a job of someone else's in the retry set
    const leftover = '{"class":"Demo::Flaky","args":[1],"jid":"000000000000000000000002","queue":"demo-flaky","retry_count":0}';
    const foreign = '{"class":"Other","args":[],"jid":"000000000000000000000003","queue":"other","retry_count":0}';
    await client.zadd('retry', '4000000000', leftover, '4000000000', foreign);

    const run = await kiq(['demo', '--jobs', '20'], { ...process.env, REDIS_URL: redis.url });
    expect(run.code, run.stderr + run.stdout).to.equal(0);
    expect(run.stdout).to.include(`Redis: ${redis.url} (as given`);
    expect(run.stdout).not.to.include('throwaway');
    expect(stat(run.stdout, 'retries left')).to.equal(0);
    // the demo ran here: its counters and empty queues are in this database
    expect(Number(await client.get('stat:processed'))).to.be.at.least(20);
    expect(await client.llen('queue:demo')).to.equal(0);
    // and nothing of anyone else's was touched
    expect(await client.lrange('queue:other', 0, -1)).to.have.length(1);
    expect(await client.sismember('queues', 'other')).to.equal(1);
    expect(await client.zrange('retry', '0', '-1')).to.deep.equal([foreign]);
  });

  it('without REDIS_URL and without redis-server on PATH exits 1 with the install hint', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'kiq-no-redis-'));
    try {
      const run = await kiq(['demo'], envWithoutRedis({ PATH: empty }));
      expect(run.code).to.equal(1);
      expect(run.stdout).to.equal('');
      expect(run.stderr.trimEnd().split('\n')).to.have.length(1);
      expect(run.stderr).to.include('install redis-server (apt-get install redis-server / brew install redis)');
      expect(run.stderr).to.include('REDIS_URL');
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('stops gracefully on SIGINT: exit 130, the stats so far, the throwaway redis-server gone', async function () {
    if (!hasRedisServer()) this.skip();
    let sent = false;
    const run = await kiq(['demo', '--jobs', '2000'], envWithoutRedis(), {
      onStdout: (soFar, child) => {
        if (!sent && /processed \d+/.test(soFar)) {
          sent = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(run.code, run.stderr + run.stdout).to.equal(130);
    expect(run.stdout).to.match(/SIGINT: stopping; waiting for running jobs/);
    expect(run.stdout).to.match(/^Stopped after \d+\.\d s: \d+ of 2003 jobs not done\.$/m);
    expect(run.stdout).not.to.include('Where to look next');
    const pid = throwawayPid(run.stdout);
    expect(alive(pid)).to.equal(false);
  });

  describe('arguments', () => {
    const io: CliIo = { out: () => undefined, err: () => undefined, env: {}, cwd: root };

    it('refuses --jobs 0, a non-number and more than 100000 (usage errors, exit 2)', async () => {
      for (const jobs of ['0', 'many', '100001']) {
        const error = await demoCommand.run(['--jobs', jobs], io).then(
          () => undefined,
          (thrown: unknown) => thrown,
        );
        expect(error, `--jobs ${jobs}`).to.be.instanceOf(UsageError);
        expect((error as UsageError).exitCode).to.equal(2);
      }
    });

    it('refuses a bad --redis-url before starting anything', async () => {
      const error = await demoCommand.run(['--redis-url', 'http://x'], io).catch((thrown: unknown) => thrown);
      expect(error).to.be.instanceOf(UsageError);
    });
  });
});
