/**
 * The OpenTelemetry SDK as the otel tests use it: spans kept in the SDK's
 * in-memory exporter, W3C trace-context propagation, an AsyncLocalStorage
 * context manager (so `context.with` reaches awaited code), and a metric
 * reader collected on demand.
 */
import { context, propagation, trace, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Kiq } from '../../src/index.js';

/** A tracer provider whose spans land in `exporter`, and what the tests need beside it. */
export interface TestSdk {
  readonly exporter: InMemorySpanExporter;
  readonly tracerProvider: BasicTracerProvider;
  readonly propagator: W3CTraceContextPropagator;
  readonly meterProvider: MeterProvider;
  /** Every metric now (cumulative). */
  collect(): Promise<ResourceMetrics>;
  /** Finished spans so far. */
  spans(): ReadableSpan[];
  /** Run `fn` inside a new active span named `name`, ended afterwards. */
  inSpan<T>(name: string, fn: (span: Span) => Promise<T>): Promise<T>;
  shutdown(): Promise<void>;
}

/** Install the SDK: the context manager and propagator globally, the providers returned (and made global too). */
export function startSdk(): TestSdk {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const propagator = new W3CTraceContextPropagator();
  const reader = new PeriodicExportingMetricReader({ exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE), exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(propagator);
  trace.setGlobalTracerProvider(tracerProvider);
  const tracer = tracerProvider.getTracer('test');
  return {
    exporter,
    tracerProvider,
    propagator,
    meterProvider,
    async collect() {
      const { resourceMetrics, errors } = await reader.collect();
      if (errors.length > 0) throw errors[0];
      return resourceMetrics;
    },
    spans: () => exporter.getFinishedSpans(),
    inSpan: (name, fn) => tracer.startActiveSpan(name, async (span) => {
      try {
        return await fn(span);
      } finally {
        span.end();
      }
    }),
    async shutdown() {
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
      context.disable();
      propagation.disable();
      trace.disable();
    },
  };
}

/** A fresh SDK per test, and the Kiq instances a test owns, stopped after it. */
export interface SdkFixture {
  /** This test's SDK. */
  readonly sdk: TestSdk;
  /** Stop `kiq` after the test; returns it. */
  own(kiq: Kiq): Kiq;
}

/** Install the SDK before each test of the describe block; after each, stop its Kiq instances, then shut the SDK down. */
export function useSdk(): SdkFixture {
  let current: TestSdk | undefined;
  const kiqs: Kiq[] = [];
  beforeEach(() => {
    current = startSdk();
  });
  afterEach(async () => {
    for (const kiq of kiqs.splice(0)) await kiq.stop();
    await current?.shutdown();
  });
  return {
    get sdk() {
      return current!;
    },
    own(kiq) {
      kiqs.push(kiq);
      return kiq;
    },
  };
}
