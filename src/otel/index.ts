/**
 * `kiq/otel`: OpenTelemetry for Kiq (README "OpenTelemetry"). Needs the
 * optional peer dependency `@opentelemetry/api`; nothing else in Kiq imports
 * this module or the API, so an app without it pays nothing.
 *
 * - {@link otelTracing}: middleware making a PRODUCER span per enqueue and a
 *   CONSUMER span per perform, the W3C trace context in the payload
 *   (`traceparent`/`tracestate`, where Ruby's Sidekiq instrumentation has it).
 * - {@link otelMetrics}: the Prometheus metrics' meanings as OTel instruments.
 */
export { INSTRUMENTATION_NAME, otelTracing, type OtelTracingOptions, type PropagationStyle } from './tracing.js';
export { ATTR, MESSAGING_SYSTEM } from './attributes.js';
export { OTEL_METRICS, otelMetrics, type OtelMetricsHandle, type OtelMetricsOptions } from './metrics.js';
