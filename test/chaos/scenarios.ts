/**
 * The fault scenarios of issue 9 at full size, as `npm run chaos` runs them
 * (test/chaos/run.ts). test/chaos/short.test.ts runs the same code with
 * small sizes in `npm test`.
 */
import { aclFaults } from './acl.js';
import { hostilePayloads } from './hostile.js';
import { killStorm } from './kill-storm.js';
import { weighted } from './lib/payloads.js';
import { withRuby } from './lib/ruby-push.js';
import type { Figures } from './lib/report.js';
import { partitions } from './partition.js';
import { redisRestarts } from './redis-restarts.js';

/** The bound on recovery, with default options, ms. */
export const RECOVERY_LIMIT_MS = 30_000;

/** Every hostile kind; `huge` (200 kB each) rarer. */
export const ALL_HOSTILE = weighted({ 'not-json': 20, 'non-object': 20, 'invalid-utf8': 20, 'bad-shape': 20, deep: 19, huge: 1 });
/** Every awkward valid kind; `huge` (500 kB each) rarer. */
export const ALL_AWKWARD = weighted({ plain: 10, 'invalid-utf8': 3, deep: 3, huge: 1 });

/** Scenario name → its full-size run. */
export const FULL: Readonly<Record<string, () => Promise<Figures>>> = {
  'kill-storm': () =>
    killStorm({
      servers: 3, kills: 20, jobs: 20_000, rubyJobs: withRuby() ? 2_000 : 0, concurrency: 10, jobMs: 20,
      fixedIdentity: false, recoveryLimitMs: RECOVERY_LIMIT_MS, drainTimeoutMs: 180_000, settleMs: RECOVERY_LIMIT_MS,
    }),
  'kill-storm-fixed-identity': () =>
    killStorm({
      servers: 3, kills: 6, jobs: 3_000, rubyJobs: withRuby() ? 300 : 0, concurrency: 10, jobMs: 20,
      fixedIdentity: true, recoveryLimitMs: RECOVERY_LIMIT_MS, drainTimeoutMs: 90_000, settleMs: RECOVERY_LIMIT_MS,
    }),
  'redis-restarts': () =>
    redisRestarts({
      servers: 2, restarts: 5, jobs: 10_000, concurrency: 10, jobMs: 2, upMs: 3_000, downMs: 1_000,
      resumeLimitMs: RECOVERY_LIMIT_MS, drainTimeoutMs: 60_000, settleMs: 10_000,
    }),
  hostile: () =>
    hostilePayloads({
      servers: 2, hostile: 10_000, hostileKinds: ALL_HOSTILE, valid: 5_000, awkward: 1_000, awkwardKinds: ALL_AWKWARD,
      sidekiqDeadSet: withRuby(), drainTimeoutMs: 120_000, settleMs: 10_000,
    }),
  partition: () =>
    partitions({
      servers: 3, leaderTtl: 1_000, gapMs: 3_000, blackholeMs: 20_000, rate: 300, concurrency: 5, jobMs: 10,
      partitions: [
        { mode: 'stall', target: 'leader', ms: 5_000 },
        { mode: 'drop', target: 'leader', ms: 5_000 },
        { mode: 'stall', target: 'follower', ms: 5_000 },
        { mode: 'drop', target: 'follower', ms: 5_000 },
        { mode: 'stall', target: 'leader', ms: 1_500 },
      ],
      resumeLimitMs: RECOVERY_LIMIT_MS, drainTimeoutMs: 60_000, settleMs: 10_000,
    }),
  acl: () =>
    aclFaults({ cases: ['no-lmove', 'no-eval', 'no-multi', 'wrong-password'], jobs: 50, loudWithinMs: 15_000, recoverWithinMs: RECOVERY_LIMIT_MS, settleMs: 5_000 }),
};
