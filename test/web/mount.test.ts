/**
 * Mounting the dashboard: under a prefix on a plain `node:http` server
 * beside the app's own routes, in Express under a path (with and without a
 * body parser in front), and inside a running Kiq (its periodic entries and
 * actor tree).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import express from 'express';
import { Kiq } from '../../src/index.js';
import { createDashboard, type DashboardHandler } from '../../src/web/handler.js';
import { silent } from '../support/logger.js';
import { useRedis } from '../support/redis.js';
import { until } from '../support/wait.js';
import { get, post, sidekiqJob } from './support.js';

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function close(server: Server, handler: DashboardHandler): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await handler.close();
}

describe('mounting the dashboard', () => {
  const redis = useRedis();

  it('node:http under a prefix, beside the app: links and actions carry the prefix, other paths fall through', async () => {
    await redis.client.zadd('retry', '1700000000.5', JSON.stringify(sidekiqJob({ jid: 'p1' })));
    const dashboard = createDashboard({ redisUrl: redis.url, prefix: '/ops/kiq' });
    const server = createServer((req, res) =>
      dashboard(req, res, () => {
        res.statusCode = 200;
        res.end('the app');
      }),
    );
    const base = await listen(server);
    try {
      expect((await get(`${base}/orders`)).text).to.equal('the app');
      const page = await get(`${base}/ops/kiq/retries`);
      expect(page.status).to.equal(200);
      expect(page.text).to.include('href="/ops/kiq/retries/1700000000.5-p1"').and.include('action="/ops/kiq/retries/bulk"');
      expect(page.text).to.match(/src="\/ops\/kiq\/assets\/app\.js\?v=\w+"/);
      expect((await get(`${base}/ops/kiq`)).status).to.equal(200);
      const res = await post(`${base}/ops/kiq/retries/1700000000.5-p1/delete`, {}, dashboard.token);
      expect(res.location).to.equal('/ops/kiq/retries?done=deleted&n=1');
      expect(await redis.client.zcard('retry')).to.equal(0);
    } finally {
      await close(server, dashboard);
    }
  });

  it('Express: app.use("/kiq", dashboard) with and without express.urlencoded() in front', async () => {
    await redis.client.zadd('dead', '1700000000.5', JSON.stringify(sidekiqJob({ jid: 'e1' })));
    await redis.client.zadd('dead', '1700000001.5', JSON.stringify(sidekiqJob({ jid: 'e2' })));
    const dashboard = createDashboard({ redisUrl: redis.url });
    const app = express();
    app.use('/kiq', dashboard);
    app.use('/parsed/kiq', express.urlencoded({ extended: false }), dashboard);
    app.get('/', (_req, res) => void res.send('home'));
    const server = createServer(app);
    const base = await listen(server);
    try {
      expect((await get(`${base}/`)).text).to.equal('home');
      const page = await get(`${base}/kiq/dead`);
      expect(page.status).to.equal(200);
      expect(page.text).to.include('href="/kiq/dead/1700000000.5-e1"');
      expect(page.text).to.match(/href="\/kiq\/assets\/app\.css\?v=[\w-]+"/);
      expect((await get(`${base}/kiq/assets/app.js`)).status).to.equal(200);
      expect((await post(`${base}/kiq/dead/bulk`, { action: 'delete', key: '1700000000.5-e1' }, dashboard.token)).location).to.equal('/kiq/dead?done=deleted&n=1');
      expect((await post(`${base}/parsed/kiq/dead/bulk`, { action: 'delete', key: '1700000001.5-e2' }, dashboard.token)).location).to.equal('/parsed/kiq/dead?done=deleted&n=1');
      expect(await redis.client.zcard('dead')).to.equal(0);
      expect((await post(`${base}/kiq/dead/all/delete`, { confirm: 'yes' }, null)).status).to.equal(403);
    } finally {
      await close(server, dashboard);
    }
  });

  it('inside a running Kiq: periodic entries with next and last run, and the actor tree as JSON', async () => {
    const kiq = new Kiq({ redisUrl: redis.url, queues: { default: 1 }, logger: silent(), periodics: [['0 * * * *', 'HourlyReport', { queue: 'reports', args: [42] }]] });
    await kiq.start();
    const dashboard = createDashboard({ kiq }); // Redis: the kiq's redisUrl
    const server = createServer(dashboard);
    const base = await listen(server);
    try {
      const periodic = await get(`${base}/periodic`);
      expect(periodic.text).to.include('<code>0 * * * *</code></td><td>HourlyReport</td><td>reports</td><td><code class="args" title="[42]">[42]</code>');
      const nextHour = new Date(Math.ceil((Date.now() + 1) / 3_600_000) * 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      expect(periodic.text).to.include(`datetime="${nextHour}"`);
      expect((await get(`${base}/`)).text).to.include('href="/tree">Actor tree</a>');
      await until(async () => (await get(`${base}/busy`)).text.includes(kiq.identity), 10_000, 'the first heartbeat');
      expect((await get(`${base}/busy`)).text).to.match(new RegExp(`data-identity="${kiq.identity}"><td>.*badge ok">this process<`));
      const tree = (await (await fetch(`${base}/tree.json`)).json()) as { state: string; actors: { name: string; state: string; depth: number }[] };
      expect(tree.state).to.equal('running');
      const names = tree.actors.map((a) => a.name);
      expect(names).to.include.members(['queue:default', 'flusher', 'senator', 'periodic']);
      expect(tree.actors[0]!.depth).to.equal(0);
      expect(tree.actors.find((a) => a.name === 'queue:default')!.depth).to.equal(1);
    } finally {
      await kiq.stop();
      await close(server, dashboard);
    }
    // without a kiq there is no tree page
    const plain = createDashboard({ redisUrl: redis.url });
    const plainServer = createServer(plain);
    const plainBase = await listen(plainServer);
    try {
      expect((await get(`${plainBase}/tree`)).status).to.equal(404);
      expect((await get(`${plainBase}/periodic`)).text).to.include('mount the dashboard in a Kiq process');
    } finally {
      await close(plainServer, plain);
    }
  });
});
