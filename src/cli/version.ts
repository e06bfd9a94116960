/**
 * @internal
 * Kiq's version for `kiq --version` and banners, read from the nearest
 * `package.json` named `kiq` above this file (src/cli in a checkout,
 * dist/src/cli when built). Kept apart from the server's `kiqVersion` so a
 * quick command does not load the actor runtime.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** The version, `'0.0.0'` when no package.json is found. */
export function cliVersion(): string {
  if (cached !== undefined) return cached;
  cached = '0.0.0';
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'kiq' && typeof pkg.version === 'string') {
        cached = pkg.version;
        break;
      }
    } catch {
      // none here, or unreadable: keep looking upwards
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return cached;
}
