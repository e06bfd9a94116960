# frozen_string_literal: true

# The Ruby half of the mixed example (see README.md next to this file):
#
#   REDIS_URL=redis://127.0.0.1:6379 sidekiq -r ./test/examples/mixed-ruby-node/worker.rb -q billing
#
# Invoice is performed by Ruby; Node enqueues it by class name. It records each
# invoice in the Redis list "mixed:invoiced" and asks Node to ship the order
# by pushing a "Shipment" job, which the Node worker performs.
require "json"
require "sidekiq"

Redis.silence_deprecations = true if Redis.respond_to?(:silence_deprecations=)

module Billing
  class Invoice
    include Sidekiq::Worker
    sidekiq_options queue: "billing"

    def perform(order_id, amount_cents)
      Sidekiq.redis { |conn| conn.rpush("mixed:invoiced", JSON.generate([order_id, amount_cents])) }
      # A job for the Node worker: only the class name and the queue travel.
      Sidekiq::Client.push("class" => "Shipment", "queue" => "shipping", "args" => [order_id])
    end
  end
end
