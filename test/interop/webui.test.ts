/**
 * Interop, the README's "Sidekiq's Web UI as your dashboard": the `config.ru`
 * given there, taken from README.md as it is, mounted with the real Ruby
 * Sidekiq 6.4 (Debian `ruby-sidekiq`) on the Redis a Kiq server uses, and
 * rendered in-process (fixtures/render-rack.rb, Rack::MockRequest) while the
 * server holds a running job and has a retry and a scheduled job: every page
 * answers 200, Busy lists the Kiq process with its threads, busy count, Quiet
 * and Stop buttons and the running job, and Queues, Retries and Scheduled
 * list Kiq's jobs. The execution metrics keys Kiq writes are there too, and
 * 6.4 renders all of this regardless (they do it no harm).
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineWorker, Kiq, type JobContext, type Worker } from '../../src/index.js';
import { kBeat } from '../../src/server/heartbeat.js';
import { silent } from '../support/logger.js';
import { useRedis } from '../support/redis.js';
import { until } from '../support/wait.js';
import { htmlToText, requireSidekiqOrSkip, RubyJob } from './sidekiq.js';

const RENDER_RACK = fileURLToPath(new URL('./fixtures/render-rack.rb', import.meta.url));
const README = fileURLToPath(new URL('../../README.md', import.meta.url));
const PAGES = ['/', '/busy', '/queues', '/queues/default', '/retries', '/scheduled', '/morgue'] as const;

/** The README's config.ru: the ```ruby block right under its "Sidekiq's Web UI as your dashboard" heading. */
function readmeConfigRu(): string {
  const text = readFileSync(README, 'utf8');
  const section = text.slice(text.indexOf("## Sidekiq's Web UI as your dashboard"));
  const block = /```ruby\n([\s\S]*?)\n```/.exec(section);
  if (!block || !block[1]!.startsWith('# config.ru')) throw new Error("README.md: no config.ru block under \"Sidekiq's Web UI as your dashboard\"");
  return block[1]!;
}

/** Every page's status and body, as the Web UI mounted by `config` serves them. */
async function render(redisUrl: string, config: string): Promise<{ code: number | null; pages: Record<string, { status: number; body: string }>; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'kiq-webui-'));
  try {
    const file = join(dir, 'config.ru');
    writeFileSync(file, `${config}\n`);
    return await new Promise((resolve, reject) => {
      const child = spawn('ruby', [RENDER_RACK, file, ...PAGES], { env: { ...process.env, REDIS_URL: redisUrl }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => {
        try {
          resolve({ code, pages: JSON.parse(stdout) as Record<string, { status: number; body: string }>, stderr });
        } catch (error) {
          reject(new Error(`render-rack.rb printed no JSON (exit ${code}): ${stderr}`, { cause: error }));
        }
      });
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("Interop: the README's config.ru, Sidekiq 6.4's Web UI over a running Kiq", function () {
  this.timeout(60_000);
  const redis = useRedis();
  let release: (() => void) | undefined;

  const Echo = defineWorker({ class: RubyJob.Echo, perform() {} });
  const Failing = defineWorker({
    class: RubyJob.Failing,
    retryIn: () => 3_600_000,
    perform(): never {
      throw new Error('webui boom');
    },
  });
  const Slow = defineWorker({
    class: RubyJob.Slow,
    perform(_args: unknown[], ctx: JobContext): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        release = resolve;
        ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true });
      });
    },
  });

  before(function () {
    requireSidekiqOrSkip(this);
  });

  it('serves every page with 200 and shows the Kiq process, its running job and its jobs', async () => {
    const kiq = new Kiq({
      redisUrl: redis.url,
      queues: { default: 3, low: 2 },
      workers: [Echo, Failing, Slow] as Worker[],
      fetchInterval: 50,
      pollInterval: 60_000,
      shutdownTimeout: 500,
      logger: silent(),
    });
    await kiq.start();
    try {
      await kiq.enqueue(Echo, [1], { confirm: true });
      await kiq.enqueue(Failing, ['will-retry'], { confirm: true });
      const slow = await kiq.enqueue(Slow, [30], { confirm: true });
      await kiq.enqueue(Echo, ['later'], { in: 3_600_000, confirm: true });
      await until(async () => release !== undefined && (await redis.client.zcard('retry')) === 1, 10_000, 'slow running, failure retried');
      // the failed job's retry lands before its slot is given back: beat until only the slow job is busy
      await until(
        async () => {
          await kiq[kBeat]();
          return (await redis.client.hget(kiq.identity, 'busy')) === '1';
        },
        10_000,
        'a heartbeat with only the slow job busy',
      );
      expect(await redis.client.keys('j|*'), 'metrics keys present for 6.4 to ignore').to.have.length.of.at.least(3);

      const { code, pages, stderr } = await render(redis.url, readmeConfigRu());
      for (const path of PAGES) expect(pages[path]?.status, `${path}: ${pages[path]?.body.slice(0, 300)}\n${stderr.slice(0, 500)}`).to.equal(200);
      expect(code).to.equal(0);

      const busy = pages['/busy']!.body;
      const processes = /<table class="processes[\s\S]*?<\/table>/.exec(busy)?.[0] ?? '';
      const text = htmlToText(processes);
      // the name shown is hostname:pid; threads = the sum of the queue limits, busy = the running job
      expect(text).to.include(`${hostname()}:${process.pid}`);
      expect(text, `the process row: ${text}`).to.match(/ 5 1 /);
      expect(processes).to.include('name="quiet"').and.to.include('name="stop"');
      const workers = /<table class="workers[\s\S]*?<\/table>/.exec(busy)?.[0] ?? '';
      expect(workers).to.include(slow.job.jid);
      expect(htmlToText(pages['/retries']!.body)).to.include('webui boom');
      expect(htmlToText(pages['/scheduled']!.body)).to.include(RubyJob.Echo);
      expect(htmlToText(pages['/queues']!.body)).to.match(/default|low/);
    } finally {
      release?.();
      await kiq.stop();
    }
  });
});
