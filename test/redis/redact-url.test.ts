/**
 * redactUrl: no password survives into a message, whether the text parses
 * as a URL or not; a URL without one is shown as typed.
 */
import { expect } from 'chai';
import { redactUrl } from '../../src/redis/redact-url.js';

describe('redactUrl', () => {
  it('masks the password of a URL and leaves one without a password as typed', () => {
    expect(redactUrl('redis://:hunter2@cache:6379/0')).to.equal('redis://:***@cache:6379/0');
    expect(redactUrl('rediss://ops:hunter2@cache.internal:6380')).to.equal('rediss://ops:***@cache.internal:6380');
    expect(redactUrl('redis://127.0.0.1:1')).to.equal('redis://127.0.0.1:1');
    expect(redactUrl('redis://ops@cache/2')).to.equal('redis://ops@cache/2');
  });

  it('text that is not a URL keeps its shape, with everything before the last @ masked', () => {
    for (const [typed, shown] of [
      ['redis://:pa/ss@cache:port', 'redis://***@cache:port'],
      ['redis://u:p@ss@cache:x', 'redis://***@cache:x'],
      ['u:secret@cache:6379', '***@cache:6379'],
      ['not a url', 'not a url'],
    ] as const) {
      expect(redactUrl(typed), typed).to.equal(shown);
      expect(redactUrl(typed)).to.not.match(/pa\/ss|secret|p@ss/);
    }
  });
});
