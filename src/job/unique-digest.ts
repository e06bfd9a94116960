/**
 * @internal
 * The digest in a unique job's lock key `unique:<digest>` (docs/architecture.md §2).
 * Sidekiq Enterprise hashes undocumented bytes (SHA-1 hex before Ent 8.0,
 * SHA-256 base64 since; docs/sidekiq-contract.md §10), so its locks and Kiq's
 * never collide or match: uniqueness holds among Kiq clients only.
 */
import { createHash } from 'node:crypto';

/**
 * SHA-256 (64 lowercase hex) of the canonical JSON of `[className, queue,
 * args]`: compact, object keys sorted by UTF-16 code units at every level,
 * so `{a:1,b:2}` and `{b:2,a:1}` give the same digest. Args are expected to
 * be plain JSON (as `buildJob` checks); `undefined` object values are
 * skipped and non-finite numbers written as `null`, as `JSON.stringify` does.
 *
 * @example
 * uniqueDigest('Mailer', 'mailers', ['a@b.c', { b: 2, a: 1 }]);
 * // same as uniqueDigest('Mailer', 'mailers', ['a@b.c', { a: 1, b: 2 }])
 */
export function uniqueDigest(className: string, queue: string, args: readonly unknown[]): string {
  return createHash('sha256').update(canonicalJson([className, queue, args])).digest('hex');
}

/**
 * Compact JSON with object keys sorted at every level.
 *
 * @example
 * canonicalJson({ b: [2, { d: 1, c: 0 }], a: 'x' }); // '{"a":"x","b":[2,{"c":0,"d":1}]}'
 */
export function canonicalJson(value: unknown): string {
  return canonical(value) ?? 'null';
}

function canonical(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += `${i === 0 ? '' : ','}${canonical(value[i]) ?? 'null'}`;
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  let out = '{';
  let sep = '';
  for (const key of Object.keys(record).sort()) {
    const json = canonical(record[key]);
    if (json === undefined) continue;
    out += `${sep}${JSON.stringify(key)}:${json}`;
    sep = ',';
  }
  return `${out}}`;
}
