-- wrk script for bench/load/spaces_scale.sh: cold first views of SPACES x
-- PAGES pages (/spaces/space-I/pages/pJ), each viewed once, page by page over
-- all spaces (a space comes back only after every other space). Thread T of N
-- takes views T, T+N, T+2N, ... and stops after its share. Prints the number
-- of answers that were not 200 or held an error box.
-- wrk keeps running until -d ends even when every thread stopped, so the
-- rate is timed here: from the first request to the last answer.
local ffi = require("ffi")
ffi.cdef [[
  struct vtr_timespec { long tv_sec; long tv_nsec; };
  int clock_gettime(int clk, struct vtr_timespec *tp);
]]
local function now()
  local t = ffi.new("struct vtr_timespec")
  ffi.C.clock_gettime(1, t) -- CLOCK_MONOTONIC
  return tonumber(t.tv_sec) + tonumber(t.tv_nsec) / 1e9
end

local threads = {}
local n, got = 0, 0
bad, first, last = 0, 0, 0

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads - 1)
end

function init(args)
  spaces = tonumber(args[1])
  pages = tonumber(args[2])
  nthreads = tonumber(args[3])
  share = 0
  for v = tid, spaces * pages - 1, nthreads do share = share + 1 end
end

function request()
  if n == 0 then first = now() end
  local v = (tid + n * nthreads) % (spaces * pages)
  n = n + 1
  local s, p = v % spaces, math.floor(v / spaces)
  return wrk.format("GET", "/spaces/space-" .. s .. "/pages/p" .. p)
end

function response(status, headers, body)
  if status ~= 200 or body:find("vitrine-error", 1, true) then bad = bad + 1 end
  got = got + 1
  if got >= share then
    last = now()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local total, views, t0, t1 = 0, 0, math.huge, 0
  for _, t in ipairs(threads) do
    total = total + t:get("bad")
    views = views + t:get("share")
    t0 = math.min(t0, t:get("first"))
    t1 = math.max(t1, t:get("last"))
  end
  io.write(string.format("bad answers: %d\n", total))
  io.write(string.format("views: %d in %.3f s: %.1f views/s\n", views, t1 - t0, views / (t1 - t0)))
end
