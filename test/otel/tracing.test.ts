/**
 * kiq/otel tracing on a real Redis (issue 15 item 4): a PRODUCER span at
 * enqueue, a CONSUMER span per perform that is the active context while the
 * worker runs, the W3C trace context in the payload where Ruby's Sidekiq
 * instrumentation reads it (`traceparent`, top-level), error status on
 * failure, and Ruby's propagation styles.
 */
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { expect } from 'chai';
import { Kiq, defineWorker, type KiqOptions, type Worker } from '../../src/index.js';
import { otelTracing, type OtelTracingOptions } from '../../src/otel/index.js';
import { silent } from '../support/logger.js';
import { useRedis } from '../support/redis.js';
import { until } from '../support/wait.js';
import { useSdk } from './sdk.js';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;

describe('kiq/otel tracing', () => {
  const redis = useRedis();
  const fixture = useSdk();

  const Inner = defineWorker({
    class: 'Inner',
    perform() {
      // a span the worker's own code makes: it must be the consumer span's child
      trace.getTracer('app').startSpan('inner work').end();
    },
  });
  class Refused extends Error {}
  const Boom = defineWorker({
    class: 'Boom',
    retry: 3,
    perform() {
      throw new Refused('card declined');
    },
  });

  async function start(tracing: OtelTracingOptions = {}, options: KiqOptions = {}): Promise<Kiq> {
    const { sdk } = fixture;
    const kiq = fixture.own(new Kiq({
      redisUrl: redis.url,
      queues: { default: 2 },
      workers: [Inner, Boom] as Worker[],
      fetchInterval: 50,
      logger: silent(),
      middleware: [otelTracing({ tracerProvider: sdk.tracerProvider, propagator: sdk.propagator, ...tracing })],
      ...options,
    }));
    await kiq.start();
    return kiq;
  }

  const byKind = (kind: SpanKind): ReadableSpan[] => fixture.sdk.spans().filter((s) => s.kind === kind);
  const consumer = async (): Promise<ReadableSpan> => {
    await until(() => byKind(SpanKind.CONSUMER).length > 0, 10_000, 'a consumer span');
    return byKind(SpanKind.CONSUMER)[0]!;
  };

  it('enqueue inside a span: a PRODUCER child span, its context as traceparent in the payload', async () => {
    const k = await start({}, { server: false });
    const { job, parent } = await fixture.sdk.inSpan('web request', async (span) => ({ job: await k.enqueue(Inner, []), parent: span.spanContext() }));
    const [producer] = byKind(SpanKind.PRODUCER);
    expect(producer, 'a producer span').to.not.equal(undefined);
    expect(producer!.name).to.equal('default publish');
    expect(producer!.parentSpanContext?.spanId).to.equal(parent.spanId);
    expect(producer!.spanContext().traceId).to.equal(parent.traceId);
    expect(producer!.attributes).to.deep.include({
      'messaging.system': 'sidekiq',
      'messaging.destination.name': 'default',
      'messaging.message.id': job.jid,
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'publish',
      'messaging.sidekiq.job_class': 'Inner',
    });
    // the field Ruby's instrumentation reads (`OpenTelemetry.propagation.extract(msg)`), in Redis
    await k.flush();
    const stored = JSON.parse((await redis.client.lrange('queue:default', 0, -1))[0]!) as Record<string, unknown>;
    const match = TRACEPARENT.exec(String(stored.traceparent));
    expect(match, `traceparent ${String(stored.traceparent)}`).to.not.equal(null);
    expect(match![1]).to.equal(parent.traceId);
    expect(match![2]).to.equal(producer!.spanContext().spanId);
    expect(stored).to.not.have.property('tracestate'); // none in this trace: the propagator writes none
  });

  it('perform: a CONSUMER span, child of the producer span, active while the worker runs', async () => {
    const k = await start();
    await fixture.sdk.inSpan('web request', () => k.enqueue(Inner, []));
    const span = await consumer();
    const producer = byKind(SpanKind.PRODUCER)[0]!;
    expect(span.name).to.equal('default process');
    expect(span.parentSpanContext?.spanId).to.equal(producer.spanContext().spanId);
    expect(span.spanContext().traceId).to.equal(producer.spanContext().traceId);
    expect(span.attributes).to.deep.include({ 'messaging.system': 'sidekiq', 'messaging.destination.name': 'default', 'messaging.operation.type': 'process', 'messaging.sidekiq.job_class': 'Inner' });
    expect(span.status.code).to.not.equal(SpanStatusCode.ERROR);
    expect(span.events.map((e) => e.name)).to.include.members(['created_at', 'enqueued_at']);
    await until(() => fixture.sdk.spans().some((s) => s.name === 'inner work'), 5_000, 'the inner span');
    const inner = fixture.sdk.spans().find((s) => s.name === 'inner work')!;
    expect(inner.parentSpanContext?.spanId).to.equal(span.spanContext().spanId);
    expect(inner.spanContext().traceId).to.equal(span.spanContext().traceId);
  });

  it('a failing perform: the consumer span has error status, the exception and error.type', async () => {
    const k = await start();
    await k.enqueue(Boom, []);
    const span = await consumer();
    expect(span.status).to.deep.equal({ code: SpanStatusCode.ERROR, message: 'card declined' });
    expect(span.attributes['error.type']).to.equal('Refused');
    const exception = span.events.find((e) => e.name === 'exception');
    expect(exception?.attributes?.['exception.message']).to.equal('card declined');
    // the job still went the usual failure way: into the retry set
    await until(async () => (await redis.client.zcard('retry')) === 1, 5_000, 'the retry');
  });

  it('continues a trace a Ruby producer started: the traceparent top-level key of a plain job', async () => {
    await start();
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const spanId = '00f067aa0ba902b7';
    // as opentelemetry-ruby-contrib's client TracerMiddleware leaves it in the payload
    await redis.client.lpush('queue:default', JSON.stringify({ class: 'Inner', args: [], jid: 'b4a577edbccf1d805744efa9', queue: 'default', retry: true, created_at: Date.now() / 1000, enqueued_at: Date.now() / 1000, traceparent: `00-${traceId}-${spanId}-01`, tracestate: 'ruby=1' }));
    await redis.client.sadd('queues', 'default');
    const span = await consumer();
    expect(span.spanContext().traceId).to.equal(traceId);
    expect(span.parentSpanContext?.spanId).to.equal(spanId);
    expect(span.parentSpanContext?.traceState?.get('ruby')).to.equal('1');
    expect(span.attributes['messaging.message.id']).to.equal('b4a577edbccf1d805744efa9');
  });

  it("propagationStyle 'link' (Ruby's default): a new trace linked to the producer span", async () => {
    const k = await start({ propagationStyle: 'link', spanNaming: 'class' });
    await fixture.sdk.inSpan('web request', () => k.enqueue(Inner, []));
    const span = await consumer();
    const producer = byKind(SpanKind.PRODUCER)[0]!;
    expect(producer.name).to.equal('Inner publish');
    expect(span.name).to.equal('Inner process');
    expect(span.parentSpanContext).to.equal(undefined);
    expect(span.spanContext().traceId).to.not.equal(producer.spanContext().traceId);
    expect(span.links.map((l) => l.context.spanId)).to.deep.equal([producer.spanContext().spanId]);
  });
});
