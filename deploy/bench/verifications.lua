-- wrk script: every request asks whether a random registered parent holds a program now, as one
-- department's account (POST /api/v1/verifications). Arguments: a file of resident IDs (one a line), the
-- token, the program, and optionally a pause in milliseconds each connection waits before its next
-- question (0, the default: ask again at once). At the end it prints the successful answers per second
-- and every answer that was not a success, so an error (a 429 from the rate limit, say) can never pass
-- for throughput.
local ids = {}
local threads = {}
local token, program
local pause = 0

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    if #line == 18 then
      ids[#ids + 1] = line
    end
  end
  token = "Bearer " .. args[2]
  program = args[3]
  pause = tonumber(args[4] or "0")
  math.randomseed(os.time() * 100 + id)
end

-- wrk looks for this function when the script loads; the pause comes with the arguments.
function delay()
  return pause
end

function request()
  local body = string.format('{"resident_id":"%s","program":"%s"}', ids[math.random(#ids)], program)
  return wrk.format("POST", "/api/v1/verifications",
    { Authorization = token, ["Content-Type"] = "application/json" }, body)
end

function done(summary, latency, requests)
  local failed = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  local seconds = summary.duration / 1e6
  io.write(string.format("successful: %d answers, %.0f per second; not successful: %d\n",
    summary.requests - failed, (summary.requests - failed) / seconds, failed))
  io.write(string.format("latency of all answers: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000))
end
