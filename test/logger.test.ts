import { expect } from 'chai';
import { logEvent, type Logger } from '../src/logger.js';

describe('logEvent (src/logger.ts)', () => {
  it('writes one JSON line at the level: source, event, then the fields', () => {
    const lines: [string, string][] = [];
    const logger: Logger = { info: (m) => lines.push(['info', m]), warn: (m) => lines.push(['warn', m]), error: (m) => lines.push(['error', m]) };
    logEvent(logger, 'warn', 'jobs_requeued', { queue: 'default', count: 3 });
    logEvent(logger, 'info', 'health_listening');
    expect(lines).to.deep.equal([
      ['warn', '{"source":"kiq","event":"jobs_requeued","queue":"default","count":3}'],
      ['info', '{"source":"kiq","event":"health_listening"}'],
    ]);
  });

  it('never throws: not for a throwing logger, a field JSON cannot hold, or no logger', () => {
    const throwing: Logger = {
      info: () => {
        throw new Error('disk full');
      },
      warn: () => undefined,
      error: () => undefined,
    };
    expect(() => logEvent(throwing, 'info', 'x')).not.to.throw();
    const lines: string[] = [];
    const keeping: Logger = { info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };
    expect(() => logEvent(keeping, 'error', 'x', { big: 1n })).not.to.throw();
    expect(lines).to.deep.equal([]);
    expect(() => logEvent(undefined, 'warn', 'x')).not.to.throw();
  });
});
