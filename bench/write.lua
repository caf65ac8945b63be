-- POST /api/articles with a fresh title each time (a duplicate title would
-- measure slug collision handling instead of the write path).
counter = 0
request = function()
  counter = counter + 1
  local title = string.format("Benchmark article %d %d", math.random(1, 1000000000), counter)
  local body = '{"article":{"title":"' .. title .. '","description":"Written under load",'
    .. '"body":"Some **Markdown** body for the benchmark.","tagList":["bench","load"]}}'
  local headers = {["Content-Type"] = "application/json",
    ["Authorization"] = "Token " .. os.getenv("INKWELL_BENCH_TOKEN")}
  return wrk.format("POST", "/api/articles", headers, body)
end
