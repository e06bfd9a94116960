# Sidekiq 6.4 client side of the benchmarks (driven by test/bench/lib/sidekiq.ts):
#
#   REDIS_URL=… ruby test/bench/sidekiq/client.rb push_bulk N   # Client.push_bulk, 1000 jobs a call
#   REDIS_URL=… ruby test/bench/sidekiq/client.rb push N [W]    # Client.push, one at a time (after W untimed ones)
#   REDIS_URL=… ruby test/bench/sidekiq/client.rb latency N RATE
#                        # Client.push of BenchLatencyJob [i, PAD, epoch ms] at RATE/s on absolute deadlines
#
# Protocol on stdin/stdout, so boot time stays out of the timed section: it
# connects, prints `ready`, waits for one line on stdin, runs, and prints one
# JSON line {"seconds":S,"cpu":C} (wall and process CPU seconds of the timed
# section), then exits.
require "json"
require "sidekiq"

Redis.silence_deprecations = true # see workers.rb
Sidekiq.logger.level = Logger::WARN
Sidekiq.configure_client { |c| c.redis = { url: ENV.fetch("REDIS_URL"), size: 2 } }

PAD = "bench-payload-abcdefghijklmnopqrstuvwxyz"
BATCH = 1000
mode = ARGV[0]
n = Integer(ARGV[1])

def mono = Process.clock_gettime(Process::CLOCK_MONOTONIC)
def cpu = Process.clock_gettime(Process::CLOCK_PROCESS_CPUTIME_ID)
def epoch_ms = Process.clock_gettime(Process::CLOCK_REALTIME, :float_millisecond)

work =
  case mode
  when "push_bulk"
    lambda do
      (0...n).each_slice(BATCH) do |slice|
        Sidekiq::Client.push_bulk("class" => "BenchJob", "queue" => "bench", "args" => slice.map { |i| [i, PAD] })
      end
    end
  when "push"
    push_one = ->(i) { Sidekiq::Client.push("class" => "BenchJob", "queue" => "bench", "args" => [i, PAD]) }
    warmup = Integer(ARGV[2] || 0)
    warmup.times(&push_one) # before "ready": untimed
    -> { n.times { |i| push_one.(warmup + i) } }
  when "latency"
    rate = Float(ARGV[2])
    lambda do
      interval = 1.0 / rate
      start = mono
      n.times do |i|
        wait = start + i * interval - mono
        sleep wait if wait > 0.001
        Sidekiq::Client.push("class" => "BenchLatencyJob", "queue" => "bench", "args" => [i, PAD, epoch_ms])
      end
    end
  else
    warn "usage: client.rb push_bulk|push|latency N [RATE]"
    exit 2
  end

Sidekiq.redis(&:ping) # connect before the timed section
$stdout.puts "ready"
$stdout.flush
$stdin.gets
c0 = cpu
t0 = mono
work.call
seconds = mono - t0
$stdout.puts JSON.generate(seconds: seconds, cpu: cpu - c0)
$stdout.flush
