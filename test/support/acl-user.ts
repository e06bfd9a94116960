/**
 * Throwaway Redis ACL users for tests of denials (`ACL SETUSER … -lmove`):
 * each allowed everything on every key and channel except the rules given,
 * deleted after each test. ACL users belong to the whole server, not a DB:
 * names are random so files never collide.
 */
import { randomBytes } from 'node:crypto';
import type { TestRedis } from './redis.js';

/** Users created for one describe block. */
export interface AclUsers {
  /**
   * A new user with `+@all` and then `rules` (e.g. `-lmove`); resolves to a
   * URL on the test DB with `password` (default: the user's real one).
   */
  create(rules: readonly string[], password?: string): Promise<string>;
}

/**
 * ACL users on `redis`'s server; an `afterEach` deletes (ACL DELUSER) the
 * test's users. Call it after the hooks that stop what connects as them.
 */
export function useAclUsers(redis: TestRedis): AclUsers {
  const names: string[] = [];
  afterEach(async () => {
    for (const name of names.splice(0)) await redis.client.acl('DELUSER', name);
  });
  return {
    async create(rules, password) {
      const name = `kiq-test-${randomBytes(4).toString('hex')}`;
      const real = randomBytes(8).toString('hex');
      names.push(name);
      await redis.client.acl('SETUSER', name, 'on', `>${real}`, '~*', '&*', '+@all', ...rules);
      const url = new URL(redis.url);
      url.username = name;
      url.password = password ?? real;
      return url.toString();
    },
  };
}
