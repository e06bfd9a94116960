import { expect } from 'chai';
import { anchoredRealMs, systemClock } from '../src/clock.js';

describe('clock: realMs follows the wall clock with a sub-ms fraction (src/clock.ts)', () => {
  it('moves with the monotonic clock between wall-clock milliseconds, and follows a step of the wall clock forward or back at once', () => {
    let wall = 1_796_000_000_000; // Date.now(): whole ms
    let mono = 5_000.25;
    const realMs = anchoredRealMs(
      () => wall,
      () => mono,
    );
    expect(realMs()).to.equal(wall);
    mono += 0.4;
    expect(realMs()).to.be.closeTo(wall + 0.4, 1e-6);
    mono += 0.7;
    wall += 1;
    expect(realMs()).to.be.closeTo(wall + 0.1, 1e-6);
    // an NTP or VM correction steps the wall clock 6 s ahead while the monotonic clock goes on
    wall += 6_000;
    mono += 0.2;
    expect(realMs()).to.equal(wall);
    mono += 0.3;
    expect(realMs()).to.be.closeTo(wall + 0.3, 1e-6);
    // and back
    wall -= 60_000;
    mono += 0.1;
    expect(realMs()).to.equal(wall);
  });

  it('never lags behind the wall clock nor runs a millisecond ahead of it, and never goes back while the wall clock does not', () => {
    // the true time 0.7 ms past the wall clock's last tick when the clock is made, and the
    // monotonic clock running 0.01% fast
    let wall = 1_796_000_000_000.7;
    let mono = 0;
    const realMs = anchoredRealMs(
      () => Math.floor(wall),
      () => mono,
    );
    let last = realMs();
    for (let i = 0; i < 20_000; i++) {
      wall += 0.037;
      mono += 0.037 * 1.0001;
      const real = realMs();
      if (!(real >= Math.floor(wall) && real < Math.floor(wall) + 1 && real >= last)) expect.fail(`step ${i}: ${real} against the wall clock ${Math.floor(wall)}, after ${last}`);
      last = real;
    }
  });

  it('the process clock agrees with Date.now() to the millisecond and has a fraction', () => {
    const real = systemClock.realMs();
    const now = Date.now();
    expect(real).to.be.within(now - 1, now + 1);
    const fractions = Array.from({ length: 50 }, () => systemClock.realMs() % 1);
    expect(fractions.some((f) => f !== 0)).to.equal(true);
  });
});
