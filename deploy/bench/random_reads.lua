-- wrk script: every request reads a random family of a random district, as that district's administrator.
-- Argument: a file of "TOKEN FAMILY_ID" lines. At the end it prints the successful answers per second and
-- every answer that was not a success, so an error can never pass for throughput.
local reads = {}
local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    local token, id = line:match("^(%S+) (%S+)$")
    if token then
      reads[#reads + 1] = { "Bearer " .. token, "/api/v1/families/" .. id }
    end
  end
  math.randomseed(os.time() * 100 + id)
end

function request()
  local pick = reads[math.random(#reads)]
  return wrk.format("GET", pick[2], { Authorization = pick[1] })
end

function done(summary, latency, requests)
  local failed = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  local seconds = summary.duration / 1e6
  io.write(string.format("successful: %d answers, %.0f per second; not successful: %d\n",
    summary.requests - failed, (summary.requests - failed) / seconds, failed))
  io.write(string.format("latency of all answers: p50 %.2f ms, p99 %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
