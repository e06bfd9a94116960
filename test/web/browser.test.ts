/**
 * The dashboard in a real browser: Debian's headless Chromium driven by
 * playwright-core (no browser download), one browser for the whole file.
 * Opens every page (a screenshot of each into test-output/web/), checks an
 * XSS payload in every Redis value stays inert, clicks the actions and
 * checks Redis changed, and watches the live parts update: the dashboard
 * numbers (at most one poll per 2 s) and the actor tree of the Kiq process
 * the dashboard is mounted in.
 *
 * Needs /usr/bin/chromium (`apt-get install chromium`); skipped without it
 * unless KIQ_REQUIRE_BROWSER=1 (CI), which makes a missing browser a failure.
 * KIQ_UPDATE_SCREENSHOTS=1 also writes docs/dashboard.png for the README.
 */
import { existsSync, mkdirSync, mkdtempSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { Kiq, defineWorker, type Worker } from '../../src/index.js';
import { silent } from '../support/logger.js';
import { useRedis } from '../support/redis.js';
import { until } from '../support/wait.js';
import { XSS, serve, sidekiqJob, writeProcess, type Served } from './support.js';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OUT = join(ROOT, 'test-output', 'web');

/** A payload that would set a global if it ever ran. */
const MARK = `${XSS}<img src=y onerror="window.__xss=1"><svg onload="window.__xss=2">`;

describe('dashboard in headless Chromium', function () {
  this.timeout(120_000);
  const redis = useRedis();
  let context: BrowserContext | undefined;
  let profile: string | undefined;
  let web: Served | undefined;
  let kiq: Kiq | undefined;
  /** Console errors and uncaught page errors: a CSP violation by our own files shows here. */
  const problems: string[] = [];
  const dialogs: string[] = [];

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      if (process.env.KIQ_REQUIRE_BROWSER) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);
      this.skip();
    }
    mkdirSync(OUT, { recursive: true });
    profile = mkdtempSync(join(tmpdir(), 'kiq-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 800 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  after(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  afterEach(async () => {
    await web?.close();
    web = undefined;
    await kiq?.stop().catch(() => undefined);
    kiq = undefined;
    for (const page of context?.pages() ?? []) await page.close();
  });

  async function open(path: string): Promise<Page> {
    const page = await context!.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`${path}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`${path}: ${e.message}`));
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.accept();
    });
    const res = await page.goto(`${web!.base}${path}`);
    expect(res?.status(), path).to.equal(200);
    return page;
  }

  const Hello = defineWorker({ class: 'HelloWorker', queue: 'default', async perform() {} });

  async function startKiq(): Promise<Kiq> {
    kiq = new Kiq({ redisUrl: redis.url, queues: { default: 2, mailers: 1 }, workers: [Hello] as Worker[], fetchInterval: 50, logger: silent(), periodics: [['*/5 * * * *', 'ReportJob', { queue: 'mailers', args: [MARK] }]] });
    await kiq.start();
    return kiq;
  }

  it('renders every page with the payload inert, and screenshots each', async () => {
    const job = sidekiqJob({ class: MARK, args: [MARK], queue: MARK, jid: 'xss1', error_class: MARK, error_message: MARK });
    const member = JSON.stringify(job);
    await redis.client.sadd('queues', MARK, 'backlog'); // no Kiq queue: nothing runs them
    await redis.client.lpush(`queue:${MARK}`, member);
    for (let i = 0; i < 40; i++) await redis.client.lpush('queue:backlog', JSON.stringify(sidekiqJob({ queue: 'backlog', jid: `q${i}`, args: [i, 'mail@example.com'] })));
    await redis.client.zadd('retry', String(Date.now() / 1000 + 60), member);
    await redis.client.zadd('schedule', String(Date.now() / 1000 + 3600), member);
    await redis.client.zadd('dead', String(Date.now() / 1000 - 60), member);
    await writeProcess(redis.client, 'rubyhost:4242:0123456789ab', { tag: MARK, labels: [MARK] }, [job]);
    const t = new Date();
    const pad = (n: number) => String(n).padStart(2, '0');
    await redis.client.hset(`j|${pad(t.getUTCFullYear() % 100)}${pad(t.getUTCMonth() + 1)}${pad(t.getUTCDate())}|${t.getUTCHours()}:${pad(t.getUTCMinutes())}`, { [`${MARK}|p`]: '5', [`${MARK}|ms`]: '50', 'HardWorker|p': '20', 'HardWorker|f': '1', 'HardWorker|ms': '1900' });
    await startKiq();
    web = await serve({ redis: redis.client, kiq });
    const q = encodeURIComponent(MARK);
    const key = encodeURIComponent(`${(await redis.client.zrange('retry', '0', '0', 'WITHSCORES'))[1]}-xss1`);
    const dKey = encodeURIComponent(`${(await redis.client.zrange('dead', '0', '0', 'WITHSCORES'))[1]}-xss1`);
    const sKey = encodeURIComponent(`${(await redis.client.zrange('schedule', '0', '0', 'WITHSCORES'))[1]}-xss1`);
    const pages: [string, string][] = [
      ['dashboard', '/'],
      ['busy', '/busy'],
      ['queues', '/queues'],
      ['queue', `/queues/${q}`],
      ['queue-backlog', '/queues/backlog'],
      ['queue-job', `/queues/${q}/job/0?jid=xss1`],
      ['retries', '/retries'],
      ['retry', `/retries/${key}`],
      ['scheduled', '/scheduled'],
      ['scheduled-job', `/scheduled/${sKey}`],
      ['dead', '/dead'],
      ['dead-job', `/dead/${dKey}`],
      ['morgue', '/morgue'],
      ['metrics', '/metrics'],
      ['periodic', '/periodic'],
      ['tree', '/tree'],
    ];
    for (const [name, path] of pages) {
      const page = await open(path);
      // (strings: the test project has no DOM types)
      const injected = await page.evaluate(`({
        ran: window.__xss,
        imgs: document.querySelectorAll('img').length,
        svgs: document.querySelectorAll('svg[onload]').length,
        inlineScripts: [...document.querySelectorAll('script')].filter((s) => !s.src).length,
        handlers: [...document.querySelectorAll('*')].filter((el) => [...el.attributes].some((a) => a.name.startsWith('on'))).length,
      })`);
      expect(injected, name).to.deep.equal({ ran: undefined, imgs: 0, svgs: 0, inlineScripts: 0, handlers: 0 });
      // shown as text, not dropped
      if (name !== 'dashboard' && name !== 'queue-backlog' && name !== 'tree') expect(await page.evaluate('document.body.innerText'), name).to.include('<script>alert(');
      await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
      await page.close();
    }
    expect(dialogs, 'no alert() ran').to.deep.equal([]);
    expect(problems, 'console errors').to.deep.equal([]);
  });

  it('clicks retry, kill, delete, bulk delete, pause, clear and quiet, and Redis changes', async () => {
    const now = Date.now() / 1000;
    for (let i = 0; i < 3; i++) await redis.client.zadd('retry', String(now + 60 + i), JSON.stringify(sidekiqJob({ jid: `r${i}`, retry_count: 2, error_class: 'E', error_message: 'm' })));
    for (let i = 0; i < 4; i++) await redis.client.zadd('dead', String(now - i), JSON.stringify(sidekiqJob({ jid: `d${i}` })));
    await redis.client.sadd('queues', 'mailers');
    await redis.client.lpush('queue:mailers', JSON.stringify(sidekiqJob({ jid: 'm0', queue: 'mailers' })), JSON.stringify(sidekiqJob({ jid: 'm1', queue: 'mailers' })));
    await writeProcess(redis.client, 'rubyhost:4242:0123456789ab', {});
    web = await serve({ redis: redis.client });

    const page = await open('/retries');
    await page.click('a[href^="/retries/"][href$="-r0"]');
    await page.click('button:has-text("Retry now")');
    await page.waitForURL(/\/retries\?done=retried/);
    expect(await page.textContent('.notice')).to.equal('Retried: 1');
    expect(JSON.parse((await redis.client.lindex('queue:default', 0))!)).to.include({ jid: 'r0', retry_count: 1 });

    await page.click('a[href^="/retries/"][href$="-r1"]');
    await page.click('button:has-text("Kill")');
    await page.waitForURL(/done=killed/);
    expect(await redis.client.zcard('retry')).to.equal(1);
    expect(await redis.client.zcard('dead')).to.equal(5);

    await page.goto(`${web.base}/dead`);
    await page.check('input[type=checkbox][value$="-d0"]');
    await page.check('input[type=checkbox][value$="-d1"]');
    await page.click('form#bulk button[value="delete"]');
    await page.waitForURL(/done=deleted&n=2/);
    const deadJids = (await redis.client.zrange('dead', '0', '-1')).map((m) => (JSON.parse(m) as { jid: string }).jid).sort();
    expect(deadJids).to.deep.equal(['d2', 'd3', 'r1']);

    await page.goto(`${web.base}/queues/mailers`);
    await page.click('tr:has-text("m1") button:has-text("Delete")');
    await page.waitForURL(/done=deleted&n=1/);
    expect((await redis.client.lrange('queue:mailers', 0, -1)).map((m) => (JSON.parse(m) as { jid: string }).jid)).to.deep.equal(['m0']);

    await page.goto(`${web.base}/queues`);
    await page.click('tr[data-queue="mailers"] button:has-text("Pause")');
    await page.waitForURL(/done=paused/);
    expect(await redis.client.sismember('paused', 'mailers')).to.equal(1);
    await page.click('tr[data-queue="mailers"] button:has-text("Clear")'); // the dialog is accepted
    await page.waitForURL(/done=cleared/);
    expect(dialogs.at(-1)).to.match(/Delete all 1 jobs of queue mailers/);
    expect(await redis.client.exists('queue:mailers')).to.equal(0);

    await page.goto(`${web.base}/busy`);
    await page.click('tr[data-identity="rubyhost:4242:0123456789ab"] button:has-text("Quiet")');
    await page.waitForURL(/done=quieted/);
    expect(await redis.client.lrange('rubyhost:4242:0123456789ab-signals', 0, -1)).to.deep.equal(['TSTP']);
    expect(problems).to.deep.equal([]);
  });

  it('updates the numbers live, polling /stats.json at most every 2 s', async () => {
    web = await serve({ redis: redis.client });
    await redis.client.set('stat:processed', '10');
    const page = await open('/');
    const polls: number[] = [];
    page.on('request', (r) => {
      if (r.url().endsWith('/stats.json')) polls.push(Date.now());
    });
    await page.waitForSelector('[data-stat="processed"]:text("10")');
    await redis.client.set('stat:processed', '12345');
    await page.waitForSelector('[data-stat="processed"]:text("12,345")', { timeout: 10_000 });
    const started = Date.now();
    await until(() => polls.length >= 3, 15_000, 'three polls');
    const spanMs = polls.at(-1)! - polls[0]!;
    expect(spanMs / (polls.length - 1), 'ms between polls').to.be.at.least(1_500);
    expect(Date.now() - started).to.be.below(15_000);
    // the realtime chart has drawn from at least two polls
    expect(await page.locator('#realtime-chart canvas').count()).to.equal(1);
  });

  it('shows the live actor tree of the Kiq it is mounted in, updating as it changes', async () => {
    await startKiq();
    web = await serve({ redis: redis.client, kiq });
    const page = await open('/tree');
    for (const name of ['queue:default', 'queue:mailers', 'flusher', 'senator']) expect(await page.locator(`li[data-name="${name}"]`).count(), name).to.equal(1);
    expect(await page.textContent('[data-tree-state]')).to.equal('running');
    const polled = await page.getAttribute('body', 'data-polled');
    await until(async () => (await page.getAttribute('body', 'data-polled')) !== polled, 10_000, 'a tree poll'); // (waitForFunction evals: the CSP forbids it)
    const stopping = kiq!.stop();
    await page.waitForSelector('[data-tree-state]:text-matches("stopping|stopped")', { timeout: 10_000 });
    await stopping;
    await page.waitForSelector('[data-tree-state]:text("stopped")', { timeout: 10_000 });
    expect(await page.locator('#tree li').count()).to.equal(0);
    kiq = undefined;
  });

  it('a Kiq at work, for the README screenshot', async () => {
    await startKiq();
    web = await serve({ redis: redis.client, kiq });
    const today = new Date();
    for (let d = 0; d < 30; d++) {
      const date = new Date(today.getTime() - d * 86_400_000).toISOString().slice(0, 10);
      await redis.client.set(`stat:processed:${date}`, String(4000 + Math.round(2000 * Math.sin(d / 3)) + d * 40));
      await redis.client.set(`stat:failed:${date}`, String(40 + (d % 7) * 15));
    }
    await redis.client.zadd('retry', String(Date.now() / 1000 + 300), JSON.stringify(sidekiqJob({ jid: 'r1', error_class: 'Net::ReadTimeout', error_message: 'timed out', retry_count: 1 })));
    const page = await open('/');
    await page.waitForSelector('#realtime-chart canvas');
    // waves of work, so the realtime chart has a few polls' worth of points
    const polls: number[] = [];
    page.on('response', (r) => {
      if (r.url().endsWith('/stats.json')) polls.push(Date.now());
    });
    let wave = 0;
    while (polls.length < 6) {
      wave++;
      for (let i = 0; i < 10 + 8 * (wave % 4); i++) await kiq!.enqueue(Hello, [wave, i]);
      await until(() => polls.length >= Math.min(wave, 6), 10_000, `poll ${wave}`);
    }
    await page.waitForTimeout(200); // let the chart paint the last poll
    const shot = join(OUT, 'dashboard-live.png');
    await page.screenshot({ path: shot, fullPage: true });
    if (process.env.KIQ_UPDATE_SCREENSHOTS) copyFileSync(shot, join(ROOT, 'docs', 'dashboard.png'));
    expect(problems).to.deep.equal([]);
  });
});
