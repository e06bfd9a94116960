/**
 * A trace across two Node processes (issue 15 item 4): one enqueues inside
 * a span, another performs the job; the consumer span's parent is the
 * producer span, linked only by the payload's `traceparent` in Redis.
 */
import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { useRedis } from '../support/redis.js';

interface PrintedSpan {
  name: string;
  kind: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: Record<string, unknown>;
}

/** Run the fixture in `mode` to its end; its spans. */
function runSide(mode: 'enqueue' | 'work', redisUrl: string): PrintedSpan[] {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'test/otel/fixtures/traced-process.ts', mode], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, REDIS_URL: redisUrl } });
  expect(run.status, `${mode}: ${run.stderr}`).to.equal(0);
  return run.stdout.trim().split('\n').map((line) => JSON.parse(line) as PrintedSpan);
}

describe('kiq/otel across processes', function () {
  this.timeout(60_000);
  const redis = useRedis();

  it('the consumer span in the worker process is the child of the producer span in the enqueuing one', async () => {
    const produced = runSide('enqueue', redis.url);
    const checkout = produced.find((s) => s.name === 'checkout')!;
    const producer = produced.find((s) => s.kind === 'PRODUCER')!;
    expect(producer, JSON.stringify(produced)).to.not.equal(undefined);
    expect(producer.parentSpanId).to.equal(checkout.spanId);
    expect(await redis.client.llen('queue:default')).to.equal(1);

    const worked = runSide('work', redis.url);
    const consumer = worked.find((s) => s.kind === 'CONSUMER')!;
    expect(consumer, JSON.stringify(worked)).to.not.equal(undefined);
    expect(consumer.traceId).to.equal(checkout.traceId);
    expect(consumer.parentSpanId).to.equal(producer.spanId);
    expect(consumer.attributes['messaging.message.id']).to.equal(producer.attributes['messaging.message.id']);
    const charge = worked.find((s) => s.name === 'charge 1')!;
    expect(charge.parentSpanId).to.equal(consumer.spanId);
    expect(charge.traceId).to.equal(checkout.traceId);
  });
});
