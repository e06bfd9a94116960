/**
 * @internal
 * What the dashboard shows about Redis itself: a few fields of `INFO`
 * (Sidekiq's dashboard shows the same ones).
 */
import type { Redis } from 'ioredis';

/** The fields shown, by `INFO` name; absent when the server does not report one. */
export const REDIS_INFO_FIELDS = ['redis_version', 'uptime_in_days', 'connected_clients', 'used_memory_human', 'used_memory_peak_human', 'maxmemory_policy'] as const;

/** `INFO` parsed into name → value (every section). */
export function parseInfo(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) out.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return out;
}

/** The {@link REDIS_INFO_FIELDS} of the server behind `redis`. */
export async function readRedisInfo(redis: Redis): Promise<[string, string][]> {
  const info = parseInfo(await redis.info());
  return REDIS_INFO_FIELDS.filter((f) => info.has(f)).map((f) => [f, info.get(f)!]);
}
