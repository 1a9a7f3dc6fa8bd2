-- wrk script for serve_bench.py's overhead run: POSTs one Open Inference Protocol request with the
-- binary tensor extension (a JSON header, then the raw FP32 input) and prints one JSON summary line.
-- The body file and the header's length come from WRK_BODY and WRK_HEADER_LENGTH.
wrk.method = "POST"
local file = assert(io.open(os.getenv("WRK_BODY"), "rb"))
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/octet-stream"
wrk.headers["Inference-Header-Content-Length"] = os.getenv("WRK_HEADER_LENGTH")

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK {"requests": %d, "duration_us": %d, "socket_errors": %d, "non_2xx": %d, "p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99)))
end
