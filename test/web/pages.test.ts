/**
 * Every dashboard page over real Redis holding Sidekiq-layout data (as Ruby
 * Sidekiq writes it, and Sidekiq 8's millisecond timestamps): what each page
 * shows, paging, sorting, filtering, detail pages and their 404s.
 */
import { deflateSync } from 'node:zlib';
import { expect } from 'chai';
import { startRedisServer } from '../support/redis-server.js';
import { useRedis } from '../support/redis.js';
import { until } from '../support/wait.js';
import { get, serve, sidekiqJob, writeProcess, type Served } from './support.js';

describe('dashboard pages', () => {
  const redis = useRedis();
  let web: Served;

  beforeEach(async () => {
    web = await serve({ redisUrl: redis.url });
  });
  afterEach(async () => {
    await web.close();
  });

  it('/ shows the Stats numbers, the history table and Redis INFO', async () => {
    const today = new Date().toISOString().slice(0, 10);
    await redis.client.mset('stat:processed', '123456', 'stat:failed', '789', `stat:processed:${today}`, '4242', `stat:failed:${today}`, '17');
    await redis.client.zadd('retry', '1', JSON.stringify(sidekiqJob({ jid: 'r1' })));
    const { status, text, headers } = await get(`${web.base}/`);
    expect(status).to.equal(200);
    expect(headers.get('content-type')).to.match(/^text\/html/);
    expect(text).to.include('data-stat="processed">123,456<').and.include('data-stat="failed">789<').and.include('data-stat="retries">1<');
    expect(text).to.include(`<td>${today}</td><td class="num">4,242</td><td class="num">17</td>`);
    expect(text).to.match(/<th>redis_version<\/th><td>\d+\.\d+/);
    const json = (await (await fetch(`${web.base}/stats.json`)).json()) as Record<string, number>;
    expect(json).to.include({ processed: 123456, failed: 789, retries: 1 });
  });

  it('/busy shows Ruby and Kiq processes with badges and their running jobs', async () => {
    await writeProcess(redis.client, 'rubyhost:1234:0123456789ab', { tag: 'billing', labels: ['reliable'], concurrency: 7 }, [sidekiqJob({ class: 'SlowJob', jid: 'running1', args: ['argh'] })], { quiet: 'true', rss: '2097152' });
    await writeProcess(redis.client, 'kiqhost:99:ba9876543210', { hostname: 'kiqhost', pid: 99, version: 'kiq-node 0.1.0' });
    await redis.client.set('dear-leader', 'kiqhost:99:ba9876543210');
    const { text } = await get(`${web.base}/busy`);
    expect(text).to.include('<b>rubyhost:1234</b> <span class="badge info">billing</span>');
    expect(text).to.match(/rubyhost:1234<\/b>[^\n]*badge warn">quiet</);
    expect(text).to.match(/kiqhost:99<\/b>[^\n]*badge ok">leader</);
    expect(text).to.include('2.0 GB').and.include('<td class="num">7</td>');
    expect(text).to.include('SlowJob').and.include('running1').and.include('&quot;argh&quot;');
    expect(text).to.include('2 processes, 12 threads, 1 busy');
  });

  it('/queues lists size, latency and paused; /queues/<name> pages the jobs newest first', async () => {
    const old = Date.now() / 1000 - 90;
    for (let i = 0; i < 30; i++) await redis.client.lpush('queue:default', JSON.stringify(sidekiqJob({ jid: `job${i}`, enqueued_at: old + i })));
    await redis.client.sadd('queues', 'default', 'mailers');
    await redis.client.lpush('queue:mailers', JSON.stringify(sidekiqJob({ queue: 'mailers', jid: 'm1' })));
    await redis.client.sadd('paused', 'mailers');
    const list = await get(`${web.base}/queues`);
    expect(list.text).to.match(/href="\/queues\/default">default<\/a> <\/td><td class="num">30<\/td><td class="num">1m 30s<\/td>/);
    expect(list.text).to.match(/href="\/queues\/mailers">mailers<\/a> <span class="badge warn">paused<\/span>/);
    const page1 = await get(`${web.base}/queues/default`);
    expect(page1.text).to.include('30 jobs waiting').and.include('job29').and.not.include('>job4<');
    expect(page1.text).to.include('page 1 of 2').and.include('href="/queues/default?page=2"');
    const page2 = await get(`${web.base}/queues/default?page=2`);
    expect(page2.text).to.include('job4').and.include('job0').and.not.include('job29');
    const detail = await get(`${web.base}/queues/default/job/29?jid=job0`);
    expect(detail.status).to.equal(200);
    expect(detail.text).to.include('&quot;jid&quot;: &quot;job0&quot;');
    expect((await get(`${web.base}/queues/default/job/0?jid=job0`)).status).to.equal(404); // it is at 29
    expect((await get(`${web.base}/queues/nosuch`)).status).to.equal(404);
  });

  it('/retries pages soonest first, sorts both ways, filters by text and shows a detail page with a decoded backtrace', async () => {
    const now = Date.now() / 1000;
    const backtrace = deflateSync(JSON.stringify(['app/jobs/hard.rb:12:in `perform`', 'lib/x.rb:3'])).toString('base64');
    for (let i = 0; i < 30; i++) {
      const job = sidekiqJob({ jid: `r${i}`, class: i === 7 ? 'NeedleJob' : 'HardWorker', retry_count: i, error_class: 'RuntimeError', error_message: `boom ${i}`, failed_at: now - 10, error_backtrace: backtrace });
      await redis.client.zadd('retry', String(now + 100 + i), JSON.stringify(job));
    }
    const asc = await get(`${web.base}/retries`);
    expect(asc.text).to.include('30 entries');
    expect(asc.text).to.include('RuntimeError: boom 0').and.not.include('boom 29');
    const desc = await get(`${web.base}/retries?order=desc`);
    expect(desc.text).to.include('boom 29').and.not.include('boom 0<');
    const filtered = await get(`${web.base}/retries?filter=NeedleJob`);
    expect(filtered.text).to.include('1 matching').and.include('NeedleJob').and.not.include('boom 8');
    const key = /href="\/retries\/([^"]+)"/.exec(filtered.text)![1]!;
    const detail = await get(`${web.base}/retries/${key}`);
    expect(detail.status).to.equal(200);
    expect(detail.text).to.include('app/jobs/hard.rb:12:in &#96;perform&#96;').and.include('RuntimeError: boom 7').and.include('Retry now').and.include('Kill');
    expect((await get(`${web.base}/retries/${encodeURIComponent(`${now}-nosuchjid`)}`)).status).to.equal(404);
    expect((await get(`${web.base}/retries?filter=needlejob`)).text).to.include('1 matching').and.include('NeedleJob'); // case ignored
  });

  it('a filter shows at most 500 matches and links to search on from where it stopped', async () => {
    const now = Date.now() / 1000;
    const args: string[] = [];
    for (let i = 0; i < 503; i++) args.push(String(now + i), JSON.stringify(sidekiqJob({ jid: `m${i}`, class: i % 2 === 0 ? 'EvenJob' : 'OddJob', error_message: `boom ${i}` })));
    await redis.client.zadd('retry', ...args);
    const first = await get(`${web.base}/retries?filter=EvenJob`); // 252 matches among 503
    expect(first.text).to.include('252 matching').and.not.include('search on');
    const capped = await get(`${web.base}/retries?filter=boom`);
    expect(capped.text).to.include('500+ matching').and.include('stopped after 500 entries');
    const on = /href="(\/retries\?filter=boom&amp;from=500)">search on<\/a>/.exec(capped.text)?.[1];
    expect(on, 'search-on link').to.be.a('string');
    const rest = await get(`${web.base}${on!.replace(/&amp;/g, '&')}`);
    expect(rest.text).to.include('3 matching <q>boom</q> from entry 501').and.include('boom 500').and.include('boom 502').and.not.include('boom 499');
  });

  it('/scheduled, /dead and /morgue; Sidekiq 8 millisecond timestamps read as ms', async () => {
    const nowMs = Date.now();
    await redis.client.zadd('schedule', String(nowMs / 1000 + 3600), JSON.stringify(sidekiqJob({ jid: 's1', class: 'LaterJob' })));
    await redis.client.zadd('dead', String(nowMs / 1000 - 60), JSON.stringify(sidekiqJob({ jid: 'd1', class: 'DeadJob', created_at: nowMs - 120_000, enqueued_at: nowMs - 90_000, failed_at: nowMs - 60_000, error_class: 'E', error_message: 'm' })));
    await redis.client.zadd('dead', String(nowMs / 1000 - 30), 'not json at all');
    const scheduled = await get(`${web.base}/scheduled`);
    expect(scheduled.text).to.match(/in (59m|1h 0m)/);
    expect(scheduled.text).to.include('LaterJob').and.include('Add to queue selected');
    const dead = await get(`${web.base}/dead`);
    expect(dead.text).to.include('DeadJob').and.include('(not a job)').and.include('not json at all');
    const morgue = await get(`${web.base}/morgue`);
    expect(morgue.status).to.equal(200);
    expect(morgue.text).to.include('DeadJob');
    const key = /href="\/dead\/([^"]+-d1)"/.exec(dead.text)![1]!;
    const detail = await get(`${web.base}/dead/${key}`);
    const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
    expect(detail.text).to.include(`<th>created</th><td>${iso(nowMs - 120_000)}</td>`).and.include(`<th>failed</th><td>${iso(nowMs - 60_000)}</td>`);
    expect((await get(`${web.base}/morgue/${key}`)).status).to.equal(200);
  });

  it('/metrics sums Sidekiq 7 and 8 per-minute buckets per class; /periodic shows the leader', async () => {
    const t = new Date();
    const pad = (n: number) => String(n).padStart(2, '0');
    const md = `${pad(t.getUTCMonth() + 1)}${pad(t.getUTCDate())}`;
    await redis.client.hset(`j|${t.getUTCFullYear()}${md}|${t.getUTCHours()}:${t.getUTCMinutes()}`, { 'HardWorker|p': '10', 'HardWorker|f': '2', 'HardWorker|ms': '800' });
    await redis.client.hset(`j|${pad(t.getUTCFullYear() % 100)}${md}|${t.getUTCHours()}:${pad(t.getUTCMinutes())}`, { 'OtherJob|p': '3', 'OtherJob|ms': '30' });
    const { text } = await get(`${web.base}/metrics?period=60`);
    expect(text).to.include('<tr><td>HardWorker</td><td class="num">10</td><td class="num">2</td><td class="num">800.0 ms</td><td class="num">100.0 ms</td></tr>');
    expect(text).to.include('<tr><td>OtherJob</td><td class="num">3</td><td class="num">0</td><td class="num">30.0 ms</td><td class="num">10.0 ms</td></tr>');
    await redis.client.set('dear-leader', 'host:1:abc');
    expect((await get(`${web.base}/periodic`)).text).to.include('Leader: <code>host:1:abc</code>');
  });

  it('unknown pages answer 404, other methods 405; assets: versioned URLs cached a year, ETag and 304, uPlot only where charts are', async () => {
    expect((await get(`${web.base}/nope`)).status).to.equal(404);
    expect((await fetch(`${web.base}/`, { method: 'DELETE' })).status).to.equal(405);
    const js = await get(`${web.base}/assets/app.js`);
    expect(js.status).to.equal(200);
    expect(js.headers.get('content-type')).to.match(/^text\/javascript/);
    const etag = js.headers.get('etag')!;
    expect((await fetch(`${web.base}/assets/app.js`, { headers: { 'if-none-match': etag } })).status).to.equal(304);
    expect(js.headers.get('cache-control')).to.equal('no-cache');
    const home = (await get(`${web.base}/`)).text;
    const versioned = /src="(\/assets\/app\.js\?v=[\w-]+)"/.exec(home)![1]!;
    expect((await get(`${web.base}${versioned}`)).headers.get('cache-control')).to.equal('public, max-age=31536000, immutable');
    expect(home).to.include('/assets/uPlot.iife.min.js?v=');
    expect((await get(`${web.base}/queues`)).text).to.not.include('uPlot');
    expect((await get(`${web.base}/assets/uPlot.iife.min.js`)).text).to.include('uPlot');
    expect((await get(`${web.base}/assets/..%2Fhandler.ts`)).status).to.equal(404);
  });

  it('answers 503 naming the problem while Redis is unreachable, and logs it', async () => {
    const logged: string[] = [];
    const down = await serve({ redisUrl: 'redis://127.0.0.1:1/0', logger: { error: (m) => logged.push(m) } });
    try {
      const { status, text } = await get(`${down.base}/queues`);
      expect(status).to.equal(503);
      expect(text).to.include('Redis error');
      expect(logged.join('\n')).to.include('ECONNREFUSED').and.include('GET /queues');
    } finally {
      await down.close();
    }
  });

  it('survives a Redis restart: 503 while it is down, pages again once it is back', async function () {
    this.timeout(30_000);
    let server = await startRedisServer();
    const logged: string[] = [];
    const own = await serve({ redisUrl: `${server.url}/0`, logger: { error: (m) => logged.push(m) } });
    try {
      expect((await get(`${own.base}/queues`)).status).to.equal(200);
      await server.stop();
      expect((await get(`${own.base}/queues`)).status).to.equal(503);
      server = await startRedisServer(server.port);
      await until(async () => (await get(`${own.base}/queues`)).status === 200, 15_000, 'the dashboard to reconnect', 200);
      expect(logged.length).to.be.greaterThan(0);
    } finally {
      await own.close();
      await server.stop();
    }
  });

  it('answers bad input with a clear status: malformed URL 400, wrong body type 415, oversized form 413, pages past the end empty', async () => {
    await redis.client.zadd('retry', '1700000000.5', JSON.stringify(sidekiqJob({ jid: 'only' })));
    expect((await get(`${web.base}/queues/%E0%A4%A`)).status).to.equal(400);
    const token = web.handler.token;
    const asJson = await fetch(`${web.base}/retries/bulk`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json', 'x-kiq-token': token } });
    expect(asJson.status).to.equal(415);
    const huge = await fetch(`${web.base}/retries/bulk`, { method: 'POST', body: `_csrf=${token}&key=${'x'.repeat(1_100_000)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(huge.status).to.equal(413);
    const past = await get(`${web.base}/retries?page=999`);
    expect(past.status).to.equal(200);
    expect(past.text).to.include('no entries');
    expect((await get(`${web.base}/retries?page=-3&order=sideways`)).text).to.include('only');
    expect(await redis.client.zcard('retry')).to.equal(1);
  });
});
