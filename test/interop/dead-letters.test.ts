/**
 * What Kiq dead-letters stays readable by real Sidekiq 6.4 (issue 9, defect
 * 5): every kind of hostile entry Kiq sends to `dead` — from a queue (the
 * runner) and from `schedule`/`retry` (the pollers) — is a job-shaped object
 * `Sidekiq::JobRecord` reads, so the Dead page renders 200 and
 * `Sidekiq::DeadSet#each` walks every entry. A bare `42` or `["an","array"]`
 * in `dead` made `/morgue` raise TypeError and `DeadSet#each` raise.
 */
import { expect } from 'chai';
import { defineWorker, Kiq } from '../../src/index.js';
import { silent } from '../support/logger.js';
import { useRedis } from '../support/redis.js';
import { until } from '../support/wait.js';
import { htmlToText, renderWebUi, requireSidekiqOrSkip, rubyInspect } from './sidekiq.js';

/** Entries that are not jobs, as other producers (or accidents) write them. */
const HOSTILE_IN_QUEUE = ['42', '["an","array"]', '"a string"', 'null', 'true', 'not json at all', '{"no":"class","jid":"qnoclass"}', '{"class":"A","args":"not an array"}'];
const HOSTILE_DUE = ['42', '["an","array"]', '"a string"', 'not json at all', '{"class":"A","args":[],"jid":"noqueue"}', '{"queue":42}'];
/** A due member that is not UTF-8 (kept as \xNN text in the wrapper). */
const NOT_UTF8 = Buffer.from([0x34, 0xff, 0x32, 0xc3]);

describe('Dead-lettered entries in real Sidekiq 6.4 (Web UI /morgue, DeadSet#each)', function () {
  this.timeout(60_000);
  const redis = useRedis();
  let kiq: Kiq | undefined;

  before(function () {
    requireSidekiqOrSkip(this);
  });

  afterEach(async () => {
    await kiq?.stop({ timeout: 1_000 }).catch(() => undefined);
    kiq = undefined;
  });

  it('renders /morgue 200 and walks DeadSet#each over every kind of entry Kiq dead-letters', async () => {
    const Noop = defineWorker({ class: 'DeadLettersNoop', queue: 'work', async perform() {} });
    kiq = new Kiq({ redisUrl: redis.url, queues: { work: 2 }, workers: [Noop], fetchInterval: 50, pollInterval: 50, logger: silent() });
    const now = Date.now() / 1000;
    await redis.client.lpush('queue:work', ...HOSTILE_IN_QUEUE);
    await redis.client.sadd('queues', 'work');
    for (const [i, member] of HOSTILE_DUE.entries()) await redis.client.zadd(i % 2 === 0 ? 'schedule' : 'retry', now - 10, member);
    await redis.client.zadd('schedule', now - 10, NOT_UTF8);
    const total = HOSTILE_IN_QUEUE.length + HOSTILE_DUE.length + 1;
    await kiq.start();
    await until(async () => (await redis.client.zcard('dead')) === total, 20_000, `${total} dead entries`);

    const ruby = await rubyInspect<{ jid: string; klass: string; args: unknown[]; error: string; queue: string }[]>(
      redis.url,
      'Sidekiq::DeadSet.new.map { |e| { "jid" => e.jid, "klass" => e.klass, "args" => e.args, "error" => e["error_message"], "queue" => e.queue } }',
    );
    expect(ruby).to.have.length(total);
    const texts = ruby.map((entry) => entry.args[0]);
    expect(texts).to.include.members([...HOSTILE_IN_QUEUE, ...HOSTILE_DUE, '4\\xff2\\xc3']);
    for (const entry of ruby) {
      expect(entry.klass).to.equal('Kiq::InvalidJob');
      expect(entry.error).to.match(/^invalid job: /);
      expect(entry.jid).to.match(/^\S+$/);
    }
    expect(ruby.map((entry) => entry.jid)).to.include.members(['qnoclass', 'noqueue']);

    const [first] = await redis.client.zrange('dead', '0', '0', 'WITHSCORES').then((pair) => [{ entry: JSON.parse(pair[0]!) as { jid: string }, score: pair[1]! }]);
    const pages = await renderWebUi(redis.url, ['/morgue', `/morgue/${first!.score}-${first!.entry.jid}`]);
    for (const page of pages) expect(page.status, `${page.path}: ${page.error ?? ''}`).to.equal(200);
    const morgue = htmlToText(pages[0]!.html);
    expect(morgue).to.include('Kiq::InvalidJob').and.include('InvalidJobError: invalid job: not a JSON object');
  });
});
