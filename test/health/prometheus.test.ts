/**
 * PrometheusMetrics without Redis: what one job adds to each series, the
 * histogram's cumulative buckets, the cap on class names, and that the
 * registry merges into an application's own prom-client registry.
 */
import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { Registry } from 'prom-client';
import { systemClock } from '../../src/clock.js';
import { FetchWatch } from '../../src/health/fetch-watch.js';
import { MAX_CLASSES, PrometheusMetrics } from '../../src/health/prometheus.js';
import type { JobOutcome } from '../../src/job-events.js';
import { parseExposition, valueOf } from './prometheus-text.js';

function metrics(): PrometheusMetrics {
  return new PrometheusMetrics({ busy: () => ({ default: 2 }), buffered: () => 3, leader: () => true, watch: new FetchWatch(systemClock) });
}

function success(cls: string, durationMs: number, queue = 'default'): JobOutcome {
  const job = { class: cls, queue, args: [], jid: 'abc123', retry: true, created_at: 1 };
  return { kind: 'success', raw: JSON.stringify(job), queue, job, durationMs } as JobOutcome;
}

describe('PrometheusMetrics', () => {
  it('counts durations into cumulative buckets, sum and count', async () => {
    const m = metrics();
    for (const ms of [3, 5, 40, 700, 2_000_000]) m.finished(success('A', ms));
    const { samples } = parseExposition(await m.registry.metrics());
    const bucket = (le: string) => valueOf(samples, 'kiq_job_duration_seconds_bucket', { class: 'A', le });
    expect(bucket('0.005')).to.equal(2); // 3 ms and 5 ms (le is inclusive)
    expect(bucket('0.05')).to.equal(3);
    expect(bucket('1')).to.equal(4);
    expect(bucket('600')).to.equal(4);
    expect(bucket('+Inf')).to.equal(5);
    expect(valueOf(samples, 'kiq_job_duration_seconds_count', { class: 'A' })).to.equal(5);
    expect(valueOf(samples, 'kiq_job_duration_seconds_sum', { class: 'A' })).to.be.closeTo(2000.748, 1e-9);
    expect(valueOf(samples, 'kiq_busy', { queue: 'default' })).to.equal(2);
    expect(valueOf(samples, 'kiq_buffered_jobs')).to.equal(3);
    expect(valueOf(samples, 'kiq_leader')).to.equal(1);
  });

  it(`keeps at most ${MAX_CLASSES} class labels per queue; later classes count as "other"`, async () => {
    const m = metrics();
    for (let i = 0; i < MAX_CLASSES + 50; i++) m.finished(success(`C${i}`, 1));
    m.finished(success('C0', 1));
    const { samples } = parseExposition(await m.registry.metrics());
    const jobs = samples.filter((s) => s.name === 'kiq_jobs_total');
    expect(new Set(jobs.map((s) => s.labels.class)).size).to.equal(MAX_CLASSES + 1);
    expect(valueOf(samples, 'kiq_jobs_total', { class: 'other' })).to.equal(50);
    expect(valueOf(samples, 'kiq_jobs_total', { class: 'C0' })).to.equal(2);
  });

  it('is not loaded by importing kiq (prom-client takes ~30 ms to load): only when metrics are on', () => {
    const probe = `await import('./src/index.ts');
      const cache = (await import('node:module')).createRequire(import.meta.url).cache;
      console.log(Object.keys(cache).filter((k) => k.includes('prom-client')).length);`;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', probe], { encoding: 'utf8', timeout: 20_000 });
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stdout.trim()).to.equal('0');
  });

  it("merges into an application's prom-client registry", async () => {
    const m = metrics();
    m.finished(success('A', 10));
    const app = new Registry();
    const merged = Registry.merge([app, m.registry]);
    const { samples, types } = parseExposition(await merged.metrics());
    expect(valueOf(samples, 'kiq_jobs_total', { class: 'A', outcome: 'success' })).to.equal(1);
    expect(types.get('kiq_job_duration_seconds')).to.equal('histogram');
    expect(valueOf(samples, 'kiq_job_duration_seconds_count', { class: 'A' })).to.equal(1);
  });
});
