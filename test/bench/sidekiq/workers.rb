# Loaded by the Sidekiq 6.4 server the benchmarks spawn:
#   REDIS_URL=… sidekiq -r test/bench/sidekiq/workers.rb -c 50 -q bench
# (test/bench/lib/sidekiq.ts). Job classes match the Node suites' class names.
require "sidekiq"

# Debian pairs Sidekiq 6.4.1 with redis-rb 4.8, which warns on every BRPOP
# fetch and every push (Sidekiq 6.4 passes the BRPOP timeout positionally).
# A Bundler-locked install on redis-rb 4.5/4.6 prints none of that, so the
# benchmark silences it rather than charging Sidekiq for log writes.
Redis.silence_deprecations = true

# No per-job "start"/"done" INFO lines: Sidekiq's own load test
# (bin/sidekiqload) runs at ERROR level; WARN keeps failures visible.
Sidekiq.logger.level = Logger::WARN

# process.bench.ts / scale.bench.ts: a no-op job, args [i, PAD].
class BenchJob
  include Sidekiq::Worker

  def perform(*_args); end
end

# latency.bench.ts: args [i, PAD, t0], t0 = the producer's epoch ms just
# before push; records perform start minus t0 in the list bench:lat.
class BenchLatencyJob
  include Sidekiq::Worker

  def perform(_i, _pad, t0)
    lat = Process.clock_gettime(Process::CLOCK_REALTIME, :float_millisecond) - t0
    Sidekiq.redis { |r| r.rpush("bench:lat", lat.to_s) }
  end
end
