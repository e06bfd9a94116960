/**
 * The Redis server's `INFO`, as the Web UI's dashboard shows it (version,
 * uptime, clients, memory), plus every field for those who want more.
 */
import type { Redis } from 'ioredis';

/** What the dashboard shows of `INFO`. */
export interface RedisInfo {
  /** `redis_version`, e.g. `7.0.15`. */
  readonly version: string | undefined;
  /** `uptime_in_seconds`. */
  readonly uptimeSeconds: number | undefined;
  /** `connected_clients`. */
  readonly connectedClients: number | undefined;
  /** `used_memory`, bytes. */
  readonly usedMemory: number | undefined;
  /** `used_memory_human`, e.g. `1.05M`. */
  readonly usedMemoryHuman: string | undefined;
  /** `used_memory_peak_human`. */
  readonly usedMemoryPeakHuman: string | undefined;
  /** Every `INFO` field, as text. */
  readonly fields: Readonly<Record<string, string>>;
}

/**
 * Parse the text of `INFO` (`name:value` lines, `# Section` headers).
 *
 * @example
 * parseInfo('# Server\r\nredis_version:7.0.15\r\n').redis_version; // '7.0.15'
 */
export function parseInfo(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return fields;
}

/**
 * `INFO` of the server `redis` is connected to.
 *
 * @example
 * const { version, usedMemoryHuman } = await readRedisInfo(redis);
 */
export async function readRedisInfo(redis: Redis): Promise<RedisInfo> {
  const fields = parseInfo(await redis.info());
  const num = (name: string) => (fields[name] === undefined || !Number.isFinite(Number(fields[name])) ? undefined : Number(fields[name]));
  return {
    version: fields.redis_version,
    uptimeSeconds: num('uptime_in_seconds'),
    connectedClients: num('connected_clients'),
    usedMemory: num('used_memory'),
    usedMemoryHuman: fields.used_memory_human,
    usedMemoryPeakHuman: fields.used_memory_peak_human,
    fields,
  };
}
