/**
 * The shared outage log (src/redis/outage-log.ts) and the plain-words
 * explanation of Redis errors it logs (src/redis/redis-error.ts).
 */
import { expect } from 'chai';
import { ReplyError } from 'ioredis';
import { ManualClock } from '../../src/clock.js';
import { ScriptError } from '../../src/errors.js';
import { OutageLog, ProblemBoard, REPEAT_PERMANENT_MS } from '../../src/redis/outage-log.js';
import { describeRedisError } from '../../src/redis/redis-error.js';
import { loadScripts } from '../../src/redis/scripts.js';
import { silent } from '../support/logger.js';

const OFFLINE = new Error("Stream isn't writeable and enableOfflineQueue options is false");
const NOPERM = new ReplyError("NOPERM this user has no permissions to run the 'lmove' command");

describe('OutageLog', () => {
  it('logs the first failure of an outage and its end once, however many retries between', () => {
    const logger = silent();
    const clock = new ManualClock();
    const outage = new OutageLog('fetch:default', { logger, clock });
    for (let i = 0; i < 50; i++) {
      outage.failed('fetch_failed', OFFLINE, { queue: 'default' });
      clock.advance(1_000);
    }
    outage.restored('fetch_restored', { queue: 'default' });
    outage.restored('fetch_restored', { queue: 'default' });
    const lines = logger.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((line) => line.event)).to.deep.equal(['fetch_failed', 'fetch_restored']);
    expect(lines[0]).to.include({ queue: 'default', permanent: false, cause: OFFLINE.message });
    expect(lines[0]!.error).to.match(/^not connected to Redis/);
    expect(lines[1]).to.include({ failures: 50, failing_for_ms: 50_000 });
  });

  it('repeats a permanent failure every minute, at error level, and posts it on the board until it ends', () => {
    const lines: [string, string][] = [];
    const logger = { info: (m: string) => lines.push(['info', m]), warn: (m: string) => lines.push(['warn', m]), error: (m: string) => lines.push(['error', m]) };
    const clock = new ManualClock();
    const board = new ProblemBoard();
    const outage = new OutageLog('fetch:default', { logger, clock, board });
    for (let ms = 0; ms <= 3 * REPEAT_PERMANENT_MS; ms += 2_000) {
      outage.failed('fetch_failed', NOPERM, { queue: 'default' });
      clock.advance(2_000);
    }
    expect(lines.map(([level]) => level)).to.deep.equal(['error', 'error', 'error', 'error']);
    expect(board.list()).to.deep.equal([`fetch:default: the Redis user may not run LMOVE (ACL NOPERM) (${NOPERM.message})`]);
    outage.restored('fetch_restored');
    expect(board.list()).to.deep.equal([]);
    expect(JSON.parse(lines.at(-1)![1]).event).to.equal('fetch_restored');
  });

  it('logs again when the failure turns permanent (down, then denied), not when transient texts alternate', () => {
    const logger = silent();
    const outage = new OutageLog('poll_retry', { logger, clock: new ManualClock() });
    for (let i = 0; i < 10; i++) outage.failed('poll_retry_failed', i % 2 === 0 ? OFFLINE : new Error('Connection is closed.'));
    outage.failed('poll_retry_failed', NOPERM);
    outage.failed('poll_retry_failed', OFFLINE);
    outage.failed('poll_retry_failed', NOPERM);
    expect(logger.lines.map((line) => (JSON.parse(line) as { permanent: boolean }).permanent)).to.deep.equal([false, true]);
  });
});

describe('describeRedisError', () => {
  it('says what ioredis connection messages mean, keeping the original as cause', () => {
    expect(describeRedisError(OFFLINE)).to.deep.equal({
      message: 'not connected to Redis (the connection is down; commands fail at once until it reconnects)',
      cause: OFFLINE.message,
      permanent: false,
    });
    expect(describeRedisError(new Error('Connection is closed.')).message).to.equal('the connection to Redis closed');
  });

  it('names the command a MULTI denial left behind ("EXEC without MULTI")', () => {
    const exec = Object.assign(new ReplyError('ERR EXEC without MULTI'), { previousErrors: [new ReplyError("NOPERM this user has no permissions to run the 'multi' command")] });
    expect(describeRedisError(exec)).to.include({ message: 'the Redis user may not run MULTI (ACL NOPERM)', permanent: true });
    expect(describeRedisError(new ReplyError('ERR EXEC without MULTI')).message).to.match(/may not run MULTI/);
  });

  it('finds the denied command inside a script from the script line Redis names', () => {
    // the line of fetch-jobs.lua that calls LMOVE, read from the script so an edit above it does not break the test
    const line = loadScripts().find((script) => script.name === 'fetch-jobs')!.lua.split('\n').findIndex((text) => text.includes("redis.call('LMOVE'")) + 1;
    const inner = new ReplyError(`ERR The user executing the script can't run this command or subcommand script: 922b75, on @user_script:${line}.`);
    const error = new ScriptError('fetch-jobs', inner.message, { cause: inner });
    expect(describeRedisError(error)).to.include({ message: 'the Redis user may not run LMOVE (ACL, inside script fetch-jobs)', permanent: true });
  });

  it('treats WRONGTYPE, wrong passwords and NOSCRIPT as permanent', () => {
    for (const text of ['WRONGTYPE Operation against a key holding the wrong kind of value', 'WRONGPASS invalid username-password pair or user is disabled.', 'NOSCRIPT No matching script.']) {
      expect(describeRedisError(new ReplyError(text)).permanent, text).to.equal(true);
    }
  });
});
