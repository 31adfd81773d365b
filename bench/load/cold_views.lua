-- wrk script: every request is a cold page view of bench/load/bulkhead.sh's
-- one-macro page, for a time range no other request asks for, so nothing
-- coalesces and nothing is cached. Each wrk thread counts its own requests
-- in its own unit (now-1s, now-2s, ... and now-1m, now-2m, ...; the host
-- accepts up to 100000 of a unit).
local n = 0
local thread_no = 0
local units = { "s", "m", "h", "d" }

function setup(thread)
  thread_no = thread_no + 1
  thread:set("unit", units[thread_no])
end

function request()
  n = n % 100000 + 1
  return wrk.format("GET", "/spaces/demo/pages/cold?from=now-" .. n .. unit)
end
