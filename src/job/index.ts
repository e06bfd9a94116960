/**
 * @internal
 * The job codec: building, encoding and decoding Sidekiq-compatible payloads
 * (and the failure fields `error_class`, `error_message`, `error_backtrace`).
 * Layer rule (test/layers/layer-rules.cjs): the codec never touches Redis.
 */
export { TIMESTAMP_KEYS, type JobPayload, type JsonValue, type RetryOption, type UniqueUntil } from './payload.js';
export { isSidekiqJid, newJid } from './jid.js';
export { formatSeconds, MS_THRESHOLD, readTimestamp, scoreOf, toEpochSeconds } from './timestamp.js';
export { buildJob, type BuiltJob, type EnqueueOptions, type PlainJob, type WorkerJob } from './build.js';
export { encodeJob, type EncodeOptions } from './encode.js';
export { decodeJob } from './decode.js';
export { canonicalJson, uniqueDigest } from './unique-digest.js';
export { backtraceLimit, backtraceLines, decodeBacktrace, encodeBacktrace } from './backtrace.js';
export { errorClassOf, errorMessageOf, MAX_ERROR_MESSAGE_CHARS, MESSAGE_THREW, NonErrorThrown, toError, truncateChars } from './error-fields.js';
