/**
 * Reading one stored job as Sidekiq's `JobRecord` does (lib/sidekiq/api.rb):
 * the decoded payload, the class to show (`display_class`, unwrapping
 * ActiveJob) and the compressed `error_backtrace`. Shared by the queue and
 * sorted-set readers, the CLI and the dashboard.
 */
import { decodeBacktrace } from '../job/backtrace.js';

/** A payload decoded: a JSON object, as stored. */
export type JobHash = Readonly<Record<string, unknown>>;

/** ActiveJob's Sidekiq adapter class: the real class is in `wrapped`. */
const ACTIVE_JOB_WRAPPER = 'ActiveJob::QueueAdapters::SidekiqAdapter::JobWrapper';
const MAILER_JOBS = new Set(['ActionMailer::DeliveryJob', 'ActionMailer::MailDeliveryJob']);

/**
 * `member` parsed when it is a JSON object, else `undefined` (a dead set
 * keeps payloads that are not JSON raw, as Sidekiq's processor puts them there).
 *
 * @example
 * decodeJob('{"class":"W","args":[]}'); // { class: 'W', args: [] }
 * decodeJob('this is not json');        // undefined
 */
export function decodeJob(member: string): JobHash | undefined {
  try {
    const parsed = JSON.parse(member) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as JobHash) : undefined;
  } catch {
    return undefined;
  }
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * The class a person should see (Sidekiq's `JobRecord#display_class`):
 * `display_class` when set; for ActiveJob's wrapper the `wrapped` class, or
 * `Mailer#method` for mail deliveries; else `wrapped` or `class`.
 * `undefined` when the payload names none.
 *
 * @example
 * displayClass({ class: 'ActiveJob::QueueAdapters::SidekiqAdapter::JobWrapper', wrapped: 'SignUpJob' }); // 'SignUpJob'
 */
export function displayClass(job: JobHash | undefined): string | undefined {
  if (!job) return undefined;
  const shown = str(job.display_class);
  if (shown) return shown;
  const wrapped = str(job.wrapped);
  if (job.class === ACTIVE_JOB_WRAPPER && wrapped && MAILER_JOBS.has(wrapped)) {
    const first = Array.isArray(job.args) ? (job.args[0] as { arguments?: unknown } | undefined) : undefined;
    const mail = Array.isArray(first?.arguments) ? first.arguments.slice(0, 2) : [];
    if (mail.length === 2 && mail.every((part) => typeof part === 'string')) return mail.join('#');
  }
  return wrapped ?? str(job.class);
}

/**
 * `error_backtrace` decoded (Sidekiq's `JobRecord#error_backtrace`): Base64
 * of zlib-deflated JSON lines; 6.4's Base64 has line breaks, 7.3+ is
 * strict, both are read (the server's `decodeBacktrace`). A plain array of
 * lines, as Sidekiq stored it before it compressed backtraces, is read as
 * it is. `undefined` when absent or unreadable. The dashboard and the CLI
 * both show this.
 *
 * @example
 * const lines = errorBacktrace(entry.job); // ['app/jobs/x.rb:3:in `perform`', ...]
 */
export function errorBacktrace(job: JobHash | undefined): string[] | undefined {
  const value = job?.error_backtrace;
  if (Array.isArray(value)) return value.map(String);
  if (typeof value !== 'string') return undefined;
  try {
    const lines = decodeBacktrace(value);
    return Array.isArray(lines) ? lines.map(String) : undefined;
  } catch {
    return undefined;
  }
}
