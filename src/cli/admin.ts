/**
 * @internal
 * The CLI's way to the admin API: an `Admin` on the CLI's own connection
 * (connected with the CLI's short timeout and one-line errors, see
 * redis.ts), and `AdminError`s turned into the CLI's exit codes: not found
 * is exit 3, an ambiguous or invalid argument exit 2, a Redis failure exit 1
 * with Redis's own message.
 */
import { Admin } from '../admin/admin.js';
import { AdminError } from '../errors.js';
import { CliError, NotFoundError, UsageError } from './command.js';
import { withRedis } from './redis.js';

/** The CLI error an `AdminError` stands for; anything else unchanged. */
export function cliErrorOf(error: unknown, command: string): unknown {
  if (!(error instanceof AdminError)) return error;
  switch (error.kind) {
    case 'not-found':
      return new NotFoundError(error.message);
    case 'ambiguous':
    case 'invalid-argument':
      return new UsageError(error.message, command);
    default: {
      const cause = error.cause instanceof Error ? error.cause.message : error.message;
      return new CliError(cause, undefined, { cause: error });
    }
  }
}

/** Run `body` with an `Admin` on a connection to `url`, closed afterwards whatever happens. */
export function withAdmin<T>(url: string, command: string, body: (admin: Admin) => Promise<T>): Promise<T> {
  return withRedis(url, command, async (redis) => {
    const admin = new Admin({ client: redis });
    try {
      return await body(admin);
    } catch (error) {
      throw cliErrorOf(error, command);
    } finally {
      await admin.close();
    }
  });
}
