-- wrk script: every request unique, so no cache answers it (bench/peer_bench.py, "uncached").
-- Arguments: METHOD TEMPLATE. For GET the template is the path and query string, for POST the JSON
-- body; each "__N__" in it becomes the request's own number.
local method, template, counter = "GET", "", 0

function init(args)
  method, template = args[1], args[2] or ""
end

request = function()
  counter = counter + 1
  local text = string.gsub(template, "__N__", tostring(counter))
  if method == "GET" then
    return wrk.format("GET", text)
  end
  return wrk.format("POST", nil, { ["Content-Type"] = "application/json" }, text)
end
