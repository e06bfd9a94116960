/**
 * The span attributes of Kiq's messaging spans: OpenTelemetry's messaging
 * semantic conventions, plus the job-class key Ruby's Sidekiq
 * instrumentation sets (opentelemetry-ruby-contrib,
 * instrumentation/sidekiq/lib/opentelemetry/instrumentation/sidekiq/middlewares/client/tracer_middleware.rb,
 * `TracerMiddleware#call`), so spans from both languages group alike.
 */
import type { Attributes } from '@opentelemetry/api';
import { metricsClass } from '../server/metrics/execution-metrics.js';

/** Attribute names (semantic conventions for messaging spans). */
export const ATTR = Object.freeze({
  system: 'messaging.system',
  destination: 'messaging.destination.name',
  messageId: 'messaging.message.id',
  operationType: 'messaging.operation.type',
  operationName: 'messaging.operation.name',
  /** Ruby's instrumentation's own key: `wrapped` (ActiveJob) or `class`. */
  jobClass: 'messaging.sidekiq.job_class',
  retryCount: 'messaging.sidekiq.retry_count',
  errorType: 'error.type',
});

/**
 * `messaging.system`: `sidekiq`, as Ruby's instrumentation writes it. Kiq
 * speaks Sidekiq's wire format on the same Redis, so one queue's spans from
 * Ruby and Node share it.
 */
export const MESSAGING_SYSTEM = 'sidekiq';

/** The fields of a payload the attributes read. */
export interface SpanJob {
  readonly class: string;
  readonly queue: string;
  readonly jid: string;
  readonly wrapped?: unknown;
}

/** The attributes of a producer (`publish`) or consumer (`process`) span for `job`. */
export function jobAttributes(job: SpanJob, queue: string, operation: 'publish' | 'process'): Attributes {
  return {
    [ATTR.system]: MESSAGING_SYSTEM,
    [ATTR.destination]: queue,
    [ATTR.messageId]: typeof job.jid === 'string' ? job.jid : '',
    [ATTR.operationType]: operation === 'publish' ? 'send' : 'process',
    [ATTR.operationName]: operation,
    [ATTR.jobClass]: metricsClass(job),
  };
}
