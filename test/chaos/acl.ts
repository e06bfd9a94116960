/**
 * Scenario: ACL and authentication faults. For each case a Redis user `kiq`
 * is set up with one denial (`ACL SETUSER`), a Kiq server logs in as it, and
 * the driver (default user) enqueues jobs:
 *
 * - `no-lmove`: `-lmove -blmove` (fetching is denied);
 * - `no-eval`: `-eval -evalsha` and their `_ro` forms (every script is denied);
 * - `no-multi`: `-multi` (a MULTI/EXEC transaction is denied);
 * - `wrong-password`: the server's password is not the user's.
 *
 * The process must not be silent: within `loudWithinMs` its log (or its
 * failed `start()`) must name the cause: the denied command with Redis's
 * NOPERM, or an authentication failure with WRONGPASS. Then the ACL is fixed
 * and every job must run within `recoverWithinMs` ("resume"), by the same
 * process, or (if it exited on the error) by a restarted one.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Harness } from './lib/harness.js';
import { withTimeout, type KiqProcess } from './lib/kiq-process.js';
import { settle } from './lib/ledger.js';
import { seconds, type Figures } from './lib/report.js';

/** One ACL or authentication fault. */
export type AclCase = 'no-lmove' | 'no-eval' | 'no-multi' | 'wrong-password';

/** Cases and bounds of the run. */
export interface AclOptions {
  readonly cases: readonly AclCase[];
  /** Jobs enqueued per case. */
  readonly jobs: number;
  readonly loudWithinMs: number;
  readonly recoverWithinMs: number;
  readonly settleMs: number;
}

const USER = 'kiq';
const PASSWORD = 'chaos-secret';
const QUEUE = 'chaos';

/** Per case: the denial, and what a line must say to name the cause. */
const DENIED = /NOPERM|no permissions?|may not run|denied/i;
const CASES: Record<AclCase, { readonly deny: readonly string[]; readonly says: readonly RegExp[] }> = {
  'no-lmove': { deny: ['-lmove', '-blmove'], says: [DENIED, /\blmove\b/i] },
  'no-eval': { deny: ['-eval', '-evalsha', '-eval_ro', '-evalsha_ro'], says: [DENIED, /\beval(sha)?\b/i] },
  'no-multi': { deny: ['-multi'], says: [DENIED, /\bmulti\b/i] },
  'wrong-password': { deny: [], says: [/authentication failed/i, /WRONGPASS|wrong user name or password|invalid username-password/i] },
};

/** What one case showed. */
interface Outcome {
  /** ms from start until the cause was named; undefined: silent. */
  readonly loudMs: number | undefined;
  /** ms from the ACL fix until every job had run; Infinity: never. */
  readonly recoverMs: number;
  readonly restarted: boolean;
  /** The first warning or start error it gave, for the failure message. */
  readonly said: string | undefined;
  readonly stuck: number;
}

/** Whether `text` names the case's cause. */
const names = (c: AclCase, text: string): boolean => CASES[c].says.every((re) => re.test(text));

async function runCase(h: Harness, c: AclCase, o: AclOptions, n: number): Promise<Outcome> {
  const redis = h.admin();
  await redis.flushall();
  await redis.call('ACL', 'SETUSER', USER, 'reset', 'on', `>${PASSWORD}`, '~*', '&*', '+@all', ...CASES[c].deny);
  const password = c === 'wrong-password' ? 'not-the-password' : PASSWORD;
  const spawn = (label: string): KiqProcess => h.spawn({ label, redisUrl: h.url(USER, password), queues: { [QUEUE]: 5 }, jobMs: 0 });
  const ids = await h.enqueue(`${c}.`, o.jobs, QUEUE);
  await (await h.client()).flush();

  const startedAt = Date.now();
  let server = spawn(`${c}.${n}`);
  let startError: string | undefined;
  server.ready().catch((error: unknown) => (startError = String(error)));
  let loudMs: number | undefined;
  while (Date.now() - startedAt < o.loudWithinMs) {
    const line = server.logs.find((l) => l.level !== 'info' && names(c, l.line));
    if (line) loudMs = line.at - startedAt;
    else if (startError !== undefined && names(c, startError)) loudMs = Date.now() - startedAt;
    if (loudMs !== undefined || (startError !== undefined && !server.alive)) break;
    await sleep(50);
  }

  // fix it: every command back, the password the server uses
  await redis.call('ACL', 'SETUSER', USER, '+@all', `>${password}`);
  const fixedAt = Date.now();
  const said = server.logs.find((l) => l.level !== 'info')?.line ?? startError;
  // a server whose start() failed exits on its own: wait for that (it may still
  // be on its way out), so it is restarted rather than waited on for nothing
  if (startError !== undefined && server.alive) await withTimeout(server.exit, 10_000, `${c}.${n} to exit after its failed start`).catch(() => server.kill());
  const restarted = !server.alive;
  if (restarted) server = spawn(`${c}.${n}.restarted`);
  const drainedAt = await h.ledger.drained(o.recoverWithinMs, () => true, ids);
  const stuck = await settle(redis, o.settleMs);
  await server.stop();
  return { loudMs, recoverMs: drainedAt === undefined ? Infinity : drainedAt - fixedAt, restarted, said, stuck };
}

/** Run the cases one after another on one Redis; the figures say what happened. */
export async function aclFaults(o: AclOptions): Promise<Figures> {
  const h = await Harness.open();
  try {
    const started = Date.now();
    const outcomes = new Map<AclCase, Outcome>();
    for (const [n, c] of o.cases.entries()) outcomes.set(c, await runCase(h, c, o, n));
    const all = [...outcomes.values()];
    const stuck = all.reduce((s, x) => s + x.stuck, 0);
    const failures: string[] = [];
    const extra: Record<string, string> = {};
    for (const [c, x] of outcomes) {
      const loud = x.loudMs === undefined ? 'silent' : `loud@${seconds(x.loudMs)}`;
      const recovered = Number.isFinite(x.recoverMs) ? `recovered@${seconds(x.recoverMs)}${x.restarted ? '(restarted)' : ''}` : 'never-recovered';
      extra[c] = `${loud},${recovered}`;
      if (x.loudMs === undefined) {
        const said = x.said === undefined ? 'nothing at all' : JSON.stringify(x.said.slice(0, 160));
        failures.push(`${c}: nothing named the cause within ${o.loudWithinMs / 1000} s (it said: ${said})`);
      }
      if (!Number.isFinite(x.recoverMs)) failures.push(`${c}: jobs did not run within ${o.recoverWithinMs / 1000} s of the fix`);
    }
    return h.figures({ scenario: 'acl', started, drainedAt: Date.now(), stuck, resumeMs: Math.max(0, ...all.map((x) => x.recoverMs)), extra, failures });
  } finally {
    await h.close();
  }
}
