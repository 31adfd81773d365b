-- wrk script for bench/load/plugin_swap.sh: counts what readers would have
-- seen go wrong while plugin versions swap. A response is bad when its status
-- is not 2xx, or when its page has an error box (render/wrap.cpp marks every
-- macro error `class="vitrine-macro vitrine-error"` with its rule in
-- <code>[...]</code>). Also counts which `versioned` text each page showed,
-- and keeps the first error box so a miss can be traced to its rule.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non2xx, boxes, v100, v110, neither = 0, 0, 0, 0, 0
  first_box = ""
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if first_box == "" then first_box = "status " .. status .. ": " .. body:sub(1, 300) end
  end
  local box = body:match('<div class="vitrine%-macro vitrine%-error".-</div>')
  if box then
    boxes = boxes + 1
    if first_box == "" then first_box = box end
  end
  if body:find("versioned 1.0.0", 1, true) then
    v100 = v100 + 1
  elseif body:find("versioned 1.1.0", 1, true) then
    v110 = v110 + 1
  else
    neither = neither + 1
  end
end

function done(summary, latency, requests)
  local t = {non2xx = 0, boxes = 0, v100 = 0, v110 = 0, neither = 0}
  local first = ""
  for _, thread in ipairs(threads) do
    for k, _ in pairs(t) do t[k] = t[k] + thread:get(k) end
    if first == "" then first = thread:get("first_box") end
  end
  io.write(string.format("swap-counts non2xx=%d error_boxes=%d v1.0.0=%d v1.1.0=%d neither=%d\n",
                         t.non2xx, t.boxes, t.v100, t.v110, t.neither))
  if first ~= "" then io.write("first-bad: " .. first:gsub("\n", " ") .. "\n") end
end
