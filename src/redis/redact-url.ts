/**
 * @internal
 * A Redis URL fit for messages: the password, if any, replaced by `***`.
 */

/**
 * `url` with its password replaced by `***`; `(unparsable URL)` when it is not a URL.
 *
 * @example
 * redactUrl('redis://:hunter2@cache:6379/0'); // 'redis://:***@cache:6379/0'
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}
