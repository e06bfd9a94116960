/** test/examples/worker-module.ts under a real `kiq work` child: performs a job, then SIGTERM exits 0. */
import type { ChildProcess } from 'node:child_process';
import { expect } from 'chai';
import { spawnKiq } from '../cli/support.js';
import { useRedis } from '../support/redis.js';

async function until(what: string, check: () => boolean, log: () => string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${log()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('example: worker module for `kiq work`', function () {
  this.timeout(40_000);
  const redis = useRedis();
  let child: ChildProcess | undefined;
  afterEach(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  it('`kiq work -r test/examples/worker-module.ts -q default` performs a Greeter job; SIGTERM exits 0', async () => {
    child = spawnKiq(['work', '-r', 'test/examples/worker-module.ts', '-q', 'default'], { redisUrl: redis.url });
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)));
    await until('start', () => out.includes('started:'), () => out);
    expect(out).to.include('Greeter');

    const job = { class: 'Greeter', queue: 'default', args: ['Ada'], jid: 'a0000000000000000000000a', retry: 3, created_at: Date.now() / 1000, enqueued_at: Date.now() / 1000 };
    await redis.client.multi().sadd('queues', 'default').lpush('queue:default', JSON.stringify(job)).exec();
    await until('the job', () => out.includes('greeted Ada'), () => out);

    child.kill('SIGTERM');
    expect(await exited).to.equal(0);
    expect(await redis.client.llen('queue:default')).to.equal(0);
    expect(await redis.client.get('stat:processed')).to.equal('1');
  });
});
