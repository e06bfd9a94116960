/**
 * The dashboard's defences: attacker-controlled values from Redis escaped
 * on every page, the Content-Security-Policy, POST-only actions refused
 * cross-site or without the token, GET never changing anything, read-only
 * mode, basic auth and the authorize hook.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { expect } from 'chai';
import { createDashboard } from '../../src/web/handler.js';
import { CONTENT_SECURITY_POLICY } from '../../src/web/security.js';
import { useRedis } from '../support/redis.js';
import { XSS, get, hasLiveXss, post, serve, sidekiqJob, writeProcess, type Served } from './support.js';

describe('dashboard security', () => {
  const redis = useRedis();
  let web: Served | undefined;

  afterEach(async () => {
    await web?.close();
    web = undefined;
  });

  /** The payload in args, class names, error messages, queue names, tags, identities. */
  async function seedXss(): Promise<void> {
    const job = JSON.stringify(sidekiqJob({ class: XSS, args: [XSS, { [XSS]: XSS }], queue: XSS, jid: 'x1', error_class: XSS, error_message: XSS, display_class: XSS }));
    await redis.client.sadd('queues', XSS);
    await redis.client.lpush(`queue:${XSS}`, job);
    await redis.client.zadd('retry', '1700000000.5', job);
    await redis.client.zadd('schedule', '1700000000.5', job);
    await redis.client.zadd('dead', '1700000000.5', job);
    await redis.client.zadd('dead', '1700000001.5', XSS); // a raw, non-JSON dead entry
    await writeProcess(redis.client, `evil:1:${XSS}`, { hostname: XSS, tag: XSS, labels: [XSS], queues: [XSS] }, [JSON.parse(job) as Record<string, unknown>]);
    await redis.client.set('dear-leader', XSS);
    const t = new Date();
    await redis.client.hset(`j|${t.getUTCFullYear()}${String(t.getUTCMonth() + 1).padStart(2, '0')}${String(t.getUTCDate()).padStart(2, '0')}|${t.getUTCHours()}:${t.getUTCMinutes()}`, `${XSS}|p`, '1');
  }

  it('escapes every value from Redis on every page and detail page', async () => {
    await seedXss();
    web = await serve({ redisUrl: redis.url });
    const q = encodeURIComponent(XSS);
    const pages = ['/', '/busy', '/queues', `/queues/${q}`, `/queues/${q}/job/0?jid=x1`, '/retries', '/scheduled', '/dead', '/metrics', '/periodic', `/retries?filter=${q}`];
    for (const set of ['retries', 'scheduled', 'dead']) {
      const list = await get(`${web.base}/${set}`);
      for (const [, key] of list.text.matchAll(new RegExp(`href="/${set}/([^"?]+)"`, 'g'))) pages.push(`/${set}/${key}`);
    }
    expect(pages.length).to.be.greaterThan(13);
    for (const page of pages) {
      const { status, text } = await get(`${web.base}${page}`);
      expect(status, page).to.equal(200);
      expect(hasLiveXss(text), `live payload on ${page}`).to.equal(false);
      if (page !== '/') expect(text, page).to.include('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&#39;');
    }
  });

  it('sends a CSP without inline script, nosniff and no framing on pages, assets and errors', async () => {
    web = await serve({ redisUrl: redis.url });
    expect(CONTENT_SECURITY_POLICY).to.include("script-src 'self'").and.not.include('unsafe-inline').and.not.include('unsafe-eval');
    for (const path of ['/', '/assets/app.js', '/nope']) {
      const { headers } = await get(`${web.base}${path}`);
      expect(headers.get('content-security-policy'), path).to.equal(CONTENT_SECURITY_POLICY);
      expect(headers.get('x-content-type-options')).to.equal('nosniff');
      expect(headers.get('x-frame-options')).to.equal('DENY');
    }
    const { text } = await get(`${web.base}/`);
    expect(text).to.not.match(/<script(?![^>]*\ssrc=)[^>]*>/); // every script element has a src
    expect(text).to.not.match(/\son[a-z]+=/i); // no inline handlers
    expect(text).to.not.match(/\sstyle=/i);
  });

  it('refuses POSTs without the token, cross-site by Sec-Fetch-Site or Origin, and changes nothing', async () => {
    await redis.client.zadd('retry', '1700000000.5', JSON.stringify(sidekiqJob({ jid: 'keep' })));
    web = await serve({ redisUrl: redis.url });
    const url = `${web.base}/retries/all/delete`;
    const attempts = [
      await post(url, { confirm: 'yes' }, null),
      await post(url, { confirm: 'yes' }, 'wrong-token'),
      await post(url, { confirm: 'yes' }, web.handler.token, { 'sec-fetch-site': 'cross-site' }),
      await post(url, { confirm: 'yes' }, web.handler.token, { 'sec-fetch-site': 'same-site' }),
      await post(url, { confirm: 'yes' }, web.handler.token, { origin: 'http://evil.example', 'sec-fetch-site': '' }),
      await post(url, { confirm: 'yes' }, web.handler.token, { origin: 'null', 'sec-fetch-site': '' }),
    ];
    for (const attempt of attempts) expect(attempt.status).to.equal(403);
    expect(attempts[0]!.text).to.include('form token');
    expect(attempts[2]!.text).to.include('cross-site');
    expect(await redis.client.zcard('retry')).to.equal(1);
    // the same request, same-origin with the token, works
    expect((await post(url, { confirm: 'yes' }, web.handler.token)).status).to.equal(303);
    expect(await redis.client.zcard('retry')).to.equal(0);
  });

  it('GET never changes anything: action URLs are not pages', async () => {
    await redis.client.zadd('retry', '1700000000.5', JSON.stringify(sidekiqJob({ jid: 'keep' })));
    await redis.client.sadd('queues', 'default');
    await redis.client.lpush('queue:default', '{"jid":"q"}');
    web = await serve({ redisUrl: redis.url });
    for (const path of ['/retries/all/delete?confirm=yes', '/retries/1700000000.5-keep/delete', '/queues/default/clear?confirm=yes', '/busy/stop?all=1', '/retries/bulk?action=delete&key=1700000000.5-keep']) {
      expect((await get(`${web.base}${path}`)).status, path).to.equal(404);
    }
    expect(await redis.client.zcard('retry')).to.equal(1);
    expect(await redis.client.llen('queue:default')).to.equal(1);
  });

  it('readOnly renders no forms and refuses every POST', async () => {
    await redis.client.zadd('retry', '1700000000.5', JSON.stringify(sidekiqJob({ jid: 'keep' })));
    web = await serve({ redisUrl: redis.url, readOnly: true });
    const { text } = await get(`${web.base}/retries`);
    expect(text).to.include('read-only').and.not.include('method="post"').and.not.include('_csrf');
    const refused = await post(`${web.base}/retries/all/delete`, { confirm: 'yes' }, web.handler.token);
    expect(refused.status).to.equal(403);
    expect(await redis.client.zcard('retry')).to.equal(1);
  });

  it('basic auth: 401 with a challenge without or with wrong credentials, 200 with the right ones', async () => {
    web = await serve({ redisUrl: redis.url, basicAuth: { username: 'ops', password: 's3cret' } });
    const none = await get(`${web.base}/`);
    expect(none.status).to.equal(401);
    expect(none.headers.get('www-authenticate')).to.match(/^Basic realm="Kiq"/);
    const basic = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
    expect((await get(`${web.base}/`, basic('ops', 'wrong'))).status).to.equal(401);
    expect((await get(`${web.base}/assets/app.js`, basic('other', 's3cret'))).status).to.equal(401);
    expect((await get(`${web.base}/`, basic('ops', 's3cret'))).status).to.equal(200);
  });

  it('authorize(req) decides before anything is served, assets included', async () => {
    web = await serve({ redisUrl: redis.url, authorize: async (req) => req.headers['x-user'] === 'admin' });
    expect((await get(`${web.base}/`)).status).to.equal(403);
    expect((await get(`${web.base}/assets/app.js`)).status).to.equal(403);
    expect((await get(`${web.base}/`, { 'x-user': 'admin' })).status).to.equal(200);
  });

  it('refuses bad options with a TypeError naming the option', async () => {
    const { createDashboard } = await import('../../src/web/handler.js');
    expect(() => createDashboard({ prefix: 'kiq' })).to.throw(TypeError, /prefix/);
    expect(() => createDashboard({ basicAuth: { username: 'a', password: '' } })).to.throw(TypeError, /basicAuth/);
    expect(() => createDashboard({ pageSize: 0 })).to.throw(TypeError, /pageSize/);
  });

  it('without authorize or basicAuth it answers only loopback clients, whatever address it is bound to', async function () {
    const external = Object.values(networkInterfaces()).flat().find((a) => a && !a.internal && a.family === 'IPv4')?.address;
    if (!external) this.skip(); // no non-loopback interface to call from
    const open = createDashboard({ redisUrl: redis.url });
    const guarded = createDashboard({ redisUrl: redis.url, basicAuth: { username: 'ops', password: 'pw' } });
    const servers = [createServer(open), createServer(guarded)];
    for (const server of servers) await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
    const [openPort, guardedPort] = servers.map((server) => (server.address() as AddressInfo).port);
    try {
      expect((await get(`http://127.0.0.1:${openPort}/`)).status).to.equal(200);
      const remote = await get(`http://${external}:${openPort}/`);
      expect(remote.status).to.equal(403);
      expect(remote.text).to.include('no authentication configured');
      const auth = { authorization: `Basic ${Buffer.from('ops:pw').toString('base64')}` };
      expect((await get(`http://${external}:${guardedPort}/`, auth)).status).to.equal(200);
    } finally {
      for (const server of servers) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
      await open.close();
      await guarded.close();
    }
  });
});
