/**
 * OpenTelemetry tracing as Kiq middleware: a PRODUCER span per enqueued
 * job, a CONSUMER span per run of `perform`, and the W3C trace context
 * carried in the job payload between them, where Ruby's Sidekiq
 * instrumentation reads and writes it: opentelemetry-ruby-contrib,
 * instrumentation/sidekiq/lib/opentelemetry/instrumentation/sidekiq/middlewares/client/tracer_middleware.rb
 * (`OpenTelemetry.propagation.inject(job)` inside the `publish` span) and
 * .../middlewares/server/tracer_middleware.rb (`OpenTelemetry.propagation.extract(msg)`).
 * The text-map propagator writes its fields as top-level payload keys:
 * `traceparent` (and `tracestate` when there is one; `baggage` with the
 * baggage propagator), so a trace continues Ruby ↔ Node both ways.
 *
 * The consumer span is the active context while `perform` runs (given a
 * context manager, e.g. the SDK's AsyncLocalStorage one): spans the
 * worker's code starts are its children.
 */
import {
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type TextMapPropagator,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import type { JobMiddleware } from '../job/middleware.js';
import type { JobPayload } from '../job/payload.js';
import { readTimestamp } from '../job/timestamp.js';
import type { JobContext } from '../worker.js';
import { ATTR, jobAttributes } from './attributes.js';

/** The instrumentation scope name of Kiq's tracer and meter. */
export const INSTRUMENTATION_NAME = 'kiq';

/**
 * How a job's consumer span relates to the span that enqueued it (Ruby's
 * `propagation_style` option, same names): `child`, its child in the same
 * trace; `link`, the root of a new trace with a link to it; `none`, a new
 * trace, unrelated.
 */
export type PropagationStyle = 'child' | 'link' | 'none';

/** Options of {@link otelTracing}. */
export interface OtelTracingOptions {
  /** Where the tracer comes from. @defaultValue the global one (`trace.getTracerProvider()`) */
  tracerProvider?: TracerProvider;
  /**
   * Writes and reads the trace context in the payload. @defaultValue the
   * global propagator (`propagation`): the OpenTelemetry Node SDK registers
   * W3C trace context and baggage; without one, nothing is carried
   */
  propagator?: TextMapPropagator;
  /**
   * `child` continues the enqueuer's trace; Ruby's instrumentation defaults
   * to `link` (set `propagation_style: :child` there for one trace across
   * both languages). @defaultValue `'child'`
   */
  propagationStyle?: PropagationStyle;
  /** Span names: `<queue> publish` / `<queue> process` (`queue`, as Ruby's default) or `<class> publish` (`class`). @defaultValue `'queue'` */
  spanNaming?: 'queue' | 'class';
}

/**
 * Tracing middleware for the `middleware` option. `@opentelemetry/api` is an
 * optional peer dependency: install it to use `kiq/otel`; the rest of Kiq
 * never imports it.
 *
 * @example
 * import { Kiq } from 'kiq';
 * import { otelTracing } from 'kiq/otel';
 * const kiq = new Kiq({ workers: [Mailer], middleware: [otelTracing()] });
 */
export function otelTracing(options: OtelTracingOptions = {}): JobMiddleware {
  const tracer: Tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(INSTRUMENTATION_NAME);
  const propagator: TextMapPropagator = options.propagator ?? propagation;
  const style = options.propagationStyle ?? 'child';
  const byClass = options.spanNaming === 'class';

  return {
    client(job: JobPayload): void {
      const attributes = jobAttributes(job, job.queue, 'publish');
      const parent = context.active();
      const span = tracer.startSpan(spanName(byClass, attributes, job.queue, 'publish'), { kind: SpanKind.PRODUCER, attributes }, parent);
      try {
        propagator.inject(trace.setSpan(parent, span), job, defaultTextMapSetter);
        addTimeEvent(span, 'created_at', job.created_at);
      } finally {
        span.end();
      }
    },

    async server(ctx: JobContext, next: () => Promise<unknown>): Promise<unknown> {
      const job = ctx.job as unknown as JobPayload; // the decoded payload the runner holds
      const attributes = jobAttributes(job, ctx.queue, 'process');
      if (ctx.retryCount > 0) attributes[ATTR.retryCount] = ctx.retryCount;
      // the fetch loop's context is never the parent: only what the payload carries
      const extracted = style === 'none' ? ROOT_CONTEXT : propagator.extract(ROOT_CONTEXT, job, defaultTextMapGetter);
      const parent: Context = style === 'child' ? extracted : ROOT_CONTEXT;
      const links: Link[] = [];
      const enqueuer = trace.getSpanContext(extracted);
      if (style === 'link' && enqueuer !== undefined && trace.isSpanContextValid(enqueuer)) links.push({ context: enqueuer });
      const span = tracer.startSpan(spanName(byClass, attributes, ctx.queue, 'process'), { kind: SpanKind.CONSUMER, attributes, links, root: style !== 'child' }, parent);
      addTimeEvent(span, 'created_at', job.created_at);
      addTimeEvent(span, 'enqueued_at', job.enqueued_at);
      try {
        return await context.with(trace.setSpan(parent, span), next);
      } catch (thrown) {
        const error = thrown instanceof Error ? thrown : new Error(String(thrown));
        span.recordException(error);
        span.setAttribute(ATTR.errorType, error.constructor.name);
        span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
        throw thrown;
      } finally {
        span.end();
      }
    },
  };
}

/** `<queue> <operation>`, or `<class> <operation>` when naming by class. */
function spanName(byClass: boolean, attributes: Attributes, queue: string, operation: string): string {
  return `${byClass ? String(attributes[ATTR.jobClass]) : queue} ${operation}`;
}

/** A span event at a payload time (float seconds or Sidekiq 8's integer ms), as Ruby's instrumentation adds them. */
function addTimeEvent(span: Span, name: string, value: unknown): void {
  const sec = readTimestamp(value);
  if (sec !== undefined) span.addEvent(name, new Date(sec * 1000));
}
