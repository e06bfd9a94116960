/**
 * Jobs pushed by the real Ruby client (Debian ruby-sidekiq 6.4
 * `Sidekiq::Client.push`, one call per job as an app makes them), many per
 * Ruby process, through test/interop/sidekiq.ts's snippet runner.
 */
import { hasSidekiq, rubyInspect } from '../../interop/sidekiq.js';
import { CHAOS_CLASS } from './harness.js';

const PUSH_MANY = `
INPUT.fetch("count").times do |i|
  Sidekiq::Client.push("class" => INPUT.fetch("class"), "queue" => INPUT.fetch("queue"), "args" => ["#{INPUT.fetch("prefix")}#{i}"]) or raise "push returned nil"
end
INPUT.fetch("count")
`;

/** Push `count` ChaosJobs with ids `<prefix><i>` from Ruby into `queue`; resolves to the ids, rejects with Ruby's error. */
export async function pushFromRuby(redisUrl: string, prefix: string, count: number, queue: string): Promise<string[]> {
  const pushed = await rubyInspect<number>(redisUrl, PUSH_MANY, { count, prefix, queue, class: CHAOS_CLASS });
  if (pushed !== count) throw new Error(`ruby pushed ${pushed} of ${count} jobs`);
  return Array.from({ length: count }, (_, i) => `${prefix}${i}`);
}

let warned = false;

/**
 * Whether the scenarios should include their Ruby parts: Ruby Sidekiq is
 * installed, or `KIQ_REQUIRE_INTEROP=1` (CI) demands it (then a missing Ruby
 * fails the run instead of shrinking it). Warns once when they are left out.
 */
export function withRuby(): boolean {
  if (hasSidekiq() || process.env.KIQ_REQUIRE_INTEROP === '1') return true;
  if (!warned) console.warn('!! fault suite: Ruby Sidekiq is not installed (apt-get install ruby ruby-sidekiq): its Ruby parts are left out');
  warned = true;
  return false;
}
