-- wrk script: GET one path again and again with a bearer token. Arguments: TOKEN PATH. At the end it
-- prints the successful answers per second and every answer that was not a success (as
-- random_reads.lua does), so an error can never pass for throughput.
local token, path

function init(args)
  token, path = args[1], args[2]
end

function request()
  return wrk.format("GET", path, { Authorization = "Bearer " .. token })
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
