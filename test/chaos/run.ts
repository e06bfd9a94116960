/**
 * `npm run chaos [scenario …]`: the fault suite at full size (test/chaos/scenarios.ts),
 * one scenario after another, each on its own `redis-server` and Kiq
 * processes. Prints one line of figures per scenario; exits 1 if any
 * scenario lost a job, left one stuck, missed a bound or failed to run.
 */
import { killAll } from './lib/kiq-process.js';
import { formatFigures } from './lib/report.js';
import { FULL } from './scenarios.js';

const asked = process.argv.slice(2);
const unknown = asked.filter((name) => !(name in FULL));
if (unknown.length > 0) {
  console.error(`unknown scenario(s): ${unknown.join(', ')}; known: ${Object.keys(FULL).join(', ')}`);
  process.exit(2);
}
let failed = 0;
for (const name of asked.length > 0 ? asked : Object.keys(FULL)) {
  try {
    const figures = await FULL[name]!();
    if (figures.failures.length > 0) failed += 1;
    console.log(formatFigures(figures));
  } catch (error) {
    failed += 1;
    console.log(`${name}: ERROR ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    await killAll();
  }
}
process.exit(failed > 0 ? 1 : 0);
