/**
 * @internal
 * A Redis URL fit for messages: the password, if any, replaced by `***`.
 * Shared by the server's logs, `kiq/admin`'s errors and the CLI.
 */

/**
 * `url` with its password replaced by `***`, otherwise as typed. Text that
 * is not a URL with a host keeps its shape, with everything between the scheme and the
 * last `@` (user and password, however malformed) replaced by `***`, so a
 * usage error can still show what was typed.
 *
 * @example
 * redactUrl('redis://:hunter2@cache:6379/0'); // 'redis://:***@cache:6379/0'
 * redactUrl('redis://u:p@ss/w@cache:x');      // 'redis://***@cache:x'
 */
export function redactUrl(url: string): string {
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  if (parsed?.host) {
    if (!parsed.password) return url;
    parsed.password = '***';
    return parsed.toString();
  }
  // Not a URL with a host ('u:secret@h' parses, as scheme 'u:' and a path).
  return url.includes('@') ? url.replace(/^([a-z][a-z\d+.-]*:\/\/)?.*@/is, '$1***@') : url;
}
