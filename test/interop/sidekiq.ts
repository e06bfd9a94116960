/**
 * Drives the real Ruby Sidekiq 6.4 (Debian `ruby-sidekiq`) from interop tests:
 * a server process running `fixtures/worker.rb` for as long as a condition
 * takes, a Ruby `Sidekiq::Client.push` for the Ruby→Kiq direction, a
 * reader for what the Ruby jobs recorded, and a runner for small Ruby
 * snippets that read Redis through Sidekiq's own API ({@link rubyInspect}).
 *
 * Every process started here is a child of the test run and is stopped by
 * its own pid; nothing is killed by name.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';

/** Absolute path of the Ruby file the Sidekiq server loads (`sidekiq -r`). */
export const WORKER_FILE: string = fileURLToPath(new URL('./fixtures/worker.rb', import.meta.url));

/** Redis list where `KiqInterop::Echo` and `KiqInterop::Slow` record each successful perform. */
export const PERFORMED_KEY = 'kiq-interop:performed';

/** Redis list where `KiqInterop::Failing` records each attempt before raising. */
export const FAILED_KEY = 'kiq-interop:failed';

/** Job classes defined by `fixtures/worker.rb`. */
export const RubyJob = {
  /** Records the perform in {@link PERFORMED_KEY} and returns. */
  Echo: 'KiqInterop::Echo',
  /** Records the attempt in {@link FAILED_KEY}, then raises `KiqInterop::Error`. */
  Failing: 'KiqInterop::Failing',
  /** Sleeps `args[0]` seconds (default 1), then records like Echo. */
  Slow: 'KiqInterop::Slow',
} as const;

/** Poll period of {@link runSidekiq}'s `until` condition. */
const POLL_MS = 150;
/** Sidekiq's `-t`: seconds it waits for busy jobs after TERM before pushing them back. */
const SHUTDOWN_TIMEOUT_S = 5;
/** How long after TERM we wait before SIGKILL (well past `-t` plus Sidekiq's own exit work). */
const KILL_AFTER_MS = 10_000;

let sidekiqAvailable: boolean | undefined;

/** Whether `ruby` runs and can `require 'sidekiq'` (checked once per test run). */
export function hasSidekiq(): boolean {
  sidekiqAvailable ??=
    spawnSync('ruby', ['-e', "require 'sidekiq'"], { stdio: 'ignore', timeout: 30_000 }).status === 0;
  return sidekiqAvailable;
}

/**
 * Call from a `before`/`it` hook (`function () { requireSidekiqOrSkip(this); }`).
 * Without Ruby + Sidekiq it skips the test with a loud console message, or,
 * when `KIQ_REQUIRE_INTEROP=1` (set by `.ci/run`), throws so CI cannot pass
 * while silently proving nothing.
 */
export function requireSidekiqOrSkip(ctx: Mocha.Context): void {
  if (hasSidekiq()) return;
  const what = 'Ruby Sidekiq is not available (`ruby -e "require \'sidekiq\'"` failed)';
  const fix = 'install it with: apt-get install ruby ruby-sidekiq';
  if (process.env.KIQ_REQUIRE_INTEROP === '1') {
    throw new Error(`${what}, and KIQ_REQUIRE_INTEROP=1 demands interop tests run; ${fix}`);
  }
  const bar = '!'.repeat(78);
  const where = ctx.test?.parent?.fullTitle() ?? ctx.test?.fullTitle() ?? '';
  console.warn(`\n${bar}\n!! SKIPPING SIDEKIQ INTEROP TESTS in "${where}"\n!! ${what}\n!! ${fix}\n${bar}\n`);
  ctx.skip();
}

/** Options for {@link runSidekiq}. */
export interface RunSidekiqOptions {
  /** Redis URL including the database index, e.g. `redis://127.0.0.1:6390/3`; passed as `REDIS_URL`. */
  readonly redisUrl: string;
  /** Queues in priority order (`-q` each); `name,weight` is passed through as Sidekiq expects. */
  readonly queues: readonly string[];
  /** Sidekiq's `-c` (threads). Default 5. */
  readonly concurrency?: number;
  /** Polled every 150 ms while Sidekiq runs; once it resolves true, Sidekiq is stopped with TERM. */
  readonly until: () => Promise<boolean>;
  /** Upper bound on the run before TERM even if `until` never became true. */
  readonly timeoutMs: number;
  /** Extra environment for the Sidekiq process (e.g. `KIQ_INTEROP_POLL_INTERVAL`). */
  readonly env?: Readonly<Record<string, string>>;
  /** The Ruby file Sidekiq loads (`-r`, absolute path). Default {@link WORKER_FILE}. */
  readonly require?: string;
}

/** What one {@link runSidekiq} run produced. */
export interface SidekiqRun {
  /** Process exit code; 0 after a clean TERM shutdown, `null` if it died of a signal. */
  readonly exitCode: number | null;
  /** The signal that ended it, when it did not exit on its own (e.g. `SIGKILL` after a hung shutdown). */
  readonly signal: NodeJS.Signals | null;
  /** Whether `until()` returned true (false: timed out, or Sidekiq exited first). */
  readonly conditionMet: boolean;
  /** Whether we had to SIGKILL it because TERM did not end it within 10 s. */
  readonly killed: boolean;
  /** Wall time from spawn to exit. */
  readonly elapsedMs: number;
  /** Sidekiq's stdout and stderr, interleaved as received. */
  readonly log: string;
}

/** Sidekiq children still running, stopped by pid if the test process exits under them. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * Runs a real Sidekiq server (`sidekiq -r fixtures/worker.rb -q … -c N -t 5`)
 * against `redisUrl` until `until()` is true or `timeoutMs` passes, then TERMs
 * it and waits for it to exit (SIGKILL if it is still alive 10 s later).
 * Never throws for what Sidekiq did; check {@link SidekiqRun} instead.
 */
export async function runSidekiq(options: RunSidekiqOptions): Promise<SidekiqRun> {
  const { command, prefix } = sidekiqCommand();
  const args = [...prefix, '-r', options.require ?? WORKER_FILE, '-c', String(options.concurrency ?? 5), '-t', String(SHUTDOWN_TIMEOUT_S)];
  for (const queue of options.queues) args.push('-q', queue);

  const started = Date.now();
  const child = spawn(command, args, {
    env: { ...process.env, ...options.env, REDIS_URL: options.redisUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let log = '';
  child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<void>((resolve) => {
    child.once('close', () => resolve());
    child.once('error', (error) => {
      log += `\n[kiq] could not start ${command}: ${error.message}\n`;
      resolve();
    });
  });
  const hasExited = () => child.exitCode !== null || child.signalCode !== null || child.pid === undefined;

  let conditionMet = false;
  let killed = false;
  try {
    const deadline = started + options.timeoutMs;
    while (!hasExited() && Date.now() < deadline) {
      if (await options.until()) {
        conditionMet = true;
        break;
      }
      await delay(POLL_MS);
    }
  } finally {
    if (!hasExited()) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        killed = true;
        child.kill('SIGKILL');
      }, KILL_AFTER_MS);
      await exited;
      clearTimeout(timer);
    } else {
      await exited;
    }
    live.delete(child);
  }
  return {
    exitCode: child.exitCode,
    signal: child.signalCode,
    conditionMet,
    killed,
    elapsedMs: Date.now() - started,
    log,
  };
}

/** One entry of {@link PERFORMED_KEY} or {@link FAILED_KEY}, as `fixtures/worker.rb` writes it. */
export interface PerformedJob {
  readonly jid: string;
  /** Ruby class that ran, e.g. `KiqInterop::Echo`. */
  readonly class: string;
  readonly args: unknown[];
  readonly queue: string;
  /** Epoch seconds (float), as found in the job hash. */
  readonly enqueued_at: number;
  /** Epoch seconds (float), as found in the job hash. */
  readonly created_at: number;
  /** Absent (null) until the job has failed once. */
  readonly retry_count: number | null;
}

/** Everything the Ruby jobs recorded in `key` (default {@link PERFORMED_KEY}), oldest first. */
export async function performedJobs(redis: Redis, key: string = PERFORMED_KEY): Promise<PerformedJob[]> {
  const raw = await redis.lrange(key, 0, -1);
  return raw.map((entry) => {
    const parsed = JSON.parse(entry) as PerformedJob;
    if (typeof parsed.jid !== 'string' || !Array.isArray(parsed.args)) {
      throw new Error(`unexpected entry in ${key}: ${entry}`);
    }
    return parsed;
  });
}

/** What a {@link runRuby} process wrote and how it exited. */
interface RubyOutput {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `ruby -e <program> -- ...argv` with REDIS_URL = `redisUrl` and collects its output; rejects only when Ruby cannot start. */
async function runRuby(redisUrl: string, program: string, argv: readonly string[]): Promise<RubyOutput> {
  const child = spawn('ruby', ['-e', program, '--', ...argv], {
    env: { ...process.env, REDIS_URL: redisUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exitCode) => resolve(exitCode));
  });
  return { code, stdout, stderr };
}

/** A job for {@link pushWithRuby}. */
export interface RubyPush {
  readonly queue: string;
  /** Ruby class name, e.g. {@link RubyJob}.Echo; it need not exist in the pushing process. */
  readonly class: string;
  readonly args: readonly unknown[];
  /** Schedule for this time (epoch seconds, float) instead of enqueuing now. */
  readonly at?: number;
  /** The payload's `retry` option (`true`, `false` or a max count). Sidekiq's default is `true`. */
  readonly retry?: boolean | number;
  /** Any further payload keys (e.g. `{ backtrace: 3 }`), merged before pushing. */
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** The Ruby side of {@link pushWithRuby}: the item comes in as JSON on ARGV, the jid goes out on stdout. */
const PUSH_SCRIPT = `
require "json"
require "sidekiq"
Redis.silence_deprecations = true if Redis.respond_to?(:silence_deprecations=)
Sidekiq.logger.level = Logger::WARN
jid = Sidekiq::Client.push(JSON.parse(ARGV.fetch(0)))
abort "Sidekiq::Client.push returned nil (stopped by client middleware?)" if jid.nil?
print jid
`;

/**
 * Pushes one job with the real `Sidekiq::Client.push` (Redis from `redisUrl`,
 * database index included) and resolves to its jid. Rejects with Ruby's
 * stderr if the push fails.
 */
export async function pushWithRuby(redisUrl: string, job: RubyPush): Promise<string> {
  const item: Record<string, unknown> = { ...job.extra, queue: job.queue, class: job.class, args: job.args };
  if (job.at !== undefined) item.at = job.at;
  if (job.retry !== undefined) item.retry = job.retry;
  const { code, stdout, stderr } = await runRuby(redisUrl, PUSH_SCRIPT, [JSON.stringify(item)]);
  const jid = stdout.trim();
  if (code !== 0 || !/^[0-9a-f]{24}$/.test(jid)) {
    throw new Error(`ruby Sidekiq::Client.push failed (exit ${code}): ${stderr.trim() || stdout.trim() || 'no output'}`);
  }
  return jid;
}

/**
 * The Ruby side of {@link rubyInspect}: loads Sidekiq's API with the client
 * pointed at REDIS_URL, evaluates the snippet (ARGV[0]) at top level with
 * `INPUT` = the parsed JSON of ARGV[1], and writes the snippet's value as
 * JSON to the real stdout. Anything the snippet (or a library) prints goes
 * to stderr instead, so stdout holds only the result.
 */
const INSPECT_SCRIPT = `
require "json"
require "time"
require "sidekiq"
require "sidekiq/api"
Redis.silence_deprecations = true if Redis.respond_to?(:silence_deprecations=)
Sidekiq.configure_client { |config| config.redis = { url: ENV.fetch("REDIS_URL"), size: 2 } }
Sidekiq.logger = Logger.new($stderr, level: Logger::WARN)
INPUT = JSON.parse(ARGV.fetch(1))
out = $stdout
$stdout = $stderr
result = TOPLEVEL_BINDING.eval(ARGV.fetch(0), "rubyInspect")
out.write(JSON.generate(result))
out.flush
`;

/**
 * Runs a Ruby snippet against `redisUrl` (database index included) with
 * `require 'sidekiq/api'` done and Sidekiq's client configured, and resolves
 * to the snippet's value, converted with Ruby's `JSON.generate` and parsed
 * here. `input` is available to the snippet as `INPUT` (parsed JSON; `nil`
 * when not given). Rejects with Ruby's stderr when the snippet raises.
 *
 * @example
 * const size = await rubyInspect<number>(url, 'Sidekiq::RetrySet.new.size');
 * const jid = await rubyInspect<string>(url, 'Sidekiq::DeadSet.new.find_job(INPUT["jid"]).jid', { jid });
 */
export async function rubyInspect<T = unknown>(redisUrl: string, script: string, input: unknown = null): Promise<T> {
  const { code, stdout, stderr } = await runRuby(redisUrl, INSPECT_SCRIPT, [script, JSON.stringify(input)]);
  if (code !== 0) throw new Error(`ruby snippet failed (exit ${code}): ${stderr.trim() || 'no output'}\n--- snippet ---\n${script}`);
  try {
    return JSON.parse(stdout) as T;
  } catch {
    throw new Error(`ruby snippet printed no JSON: ${JSON.stringify(stdout.slice(0, 500))}; stderr: ${stderr.trim()}`);
  }
}

/**
 * How to start Sidekiq's CLI: `KIQ_SIDEKIQ_BIN` if set, else a `sidekiq` on
 * PATH (Debian: /usr/bin/sidekiq), else the gem's own executable through Ruby
 * (covers a gem installed where its bin directory is not on PATH).
 */
function sidekiqCommand(): { command: string; prefix: string[] } {
  const override = process.env.KIQ_SIDEKIQ_BIN;
  if (override) return { command: override, prefix: [] };
  const onPath = findOnPath('sidekiq');
  if (onPath) return { command: onPath, prefix: [] };
  return { command: 'ruby', prefix: ['-e', 'load Gem.bin_path("sidekiq", "sidekiq")', '--'] };
}

/** Absolute path of an executable `name` in PATH, if any. */
function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

/** One page of Sidekiq's Web UI as {@link renderWebUi} rendered it. */
export interface WebUiPage {
  readonly path: string;
  /** HTTP status; absent when rendering raised (see `error`). */
  readonly status?: number;
  /** `Class: message` of what the page raised (a 500 in a real server), with the first backtrace lines. */
  readonly error?: string;
  /** The response body (UTF-8); `''` when rendering raised. */
  readonly html: string;
}

/**
 * Ruby for a {@link rubyInspect} snippet that renders Sidekiq's Web UI:
 * defines `app`, Sidekiq 6.4's Rack app behind a cookie session (as a real
 * mount needs), to call in-process with `Rack::MockRequest.new(app).get(path)`.
 */
export const WEB_UI_APP = `
require "sidekiq/web"
require "rack/mock"
require "rack/session/cookie"
require "securerandom"
secret = SecureRandom.hex(32)
app = Rack::Builder.new do
  use Rack::Session::Cookie, secret: secret, same_site: true, max_age: 86_400
  run Sidekiq::Web
end
`;

/**
 * The Ruby side of {@link renderWebUi}: Sidekiq 6.4's Rack app behind a
 * cookie session (as a real mount needs), called in-process with
 * Rack::MockRequest (no HTTP server): Sidekiq's own pages, rendered in-process.
 */
const RENDER_WEB_UI_SCRIPT = `
${WEB_UI_APP}
INPUT.fetch("paths").map do |path|
  begin
    res = Rack::MockRequest.new(app).get(path)
    body = res.body.dup.force_encoding(Encoding::UTF_8).scrub
    { "path" => path, "status" => res.status, "html" => body }
  rescue Exception => e
    { "path" => path, "error" => ([ "#{e.class}: #{e.message}" ] + (e.backtrace || []).first(4)).join("\\n  "), "html" => "" }
  end
end
`;

/**
 * Renders pages of the real Sidekiq 6.4 Web UI against `redisUrl` (database
 * index included) in one Ruby process, one GET per path, in order. Never
 * rejects for what a page did: an exception (what a server answers with 500)
 * comes back as `error`. Rejects only when Ruby itself fails.
 *
 * @example
 * const [busy] = await renderWebUi(url, ['/busy']);
 * expect(busy.status, busy.error).to.equal(200);
 */
export function renderWebUi(redisUrl: string, paths: readonly string[]): Promise<WebUiPage[]> {
  return rubyInspect<WebUiPage[]>(redisUrl, RENDER_WEB_UI_SCRIPT, { paths });
}

/**
 * A rendered page as plain text, for logs and `include` checks: `<head>`,
 * scripts and styles dropped, tags replaced by spaces, the common entities
 * decoded, whitespace collapsed to single spaces.
 */
export function htmlToText(html: string): string {
  const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', '#39': "'", '#x27': "'", '#34': '"' };
  return html
    .replace(/<head[\s\S]*?<\/head>/gi, ' ')
    .replace(/<(script|style)\b[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(amp|lt|gt|quot|apos|nbsp|#39|#x27|#34);/g, (_, name: string) => entities[name]!)
    .replace(/\s+/g, ' ')
    .trim();
}
