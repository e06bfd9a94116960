/**
 * @internal
 * Kiq's version, for the heartbeat (`version` in `<identity>`), the Redis
 * client name (`kiq_v<version>`), `kiq --version` and banners. A leaf: a
 * quick CLI command reads it without loading the actor runtime.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let version: string | undefined;

/**
 * Kiq's version from its package.json, read once: the nearest `package.json`
 * named `kiq` above this file (src/ in a checkout, dist/src/ when built or
 * installed). `'0.0.0'` if none is found.
 *
 * @example
 * kiqVersion(); // '0.1.0'
 */
export function kiqVersion(): string {
  if (version !== undefined) return version;
  version = '0.0.0';
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'kiq' && typeof pkg.version === 'string') {
        version = pkg.version;
        break;
      }
    } catch {
      // none here, or unreadable: keep looking upwards
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return version;
}
