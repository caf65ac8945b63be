-- GET the page wrk was given, each request as a reader never seen before: every
-- request is a new (reader, article, hour), the most the view counter has to keep.
counter = 0
threads = 0

setup = function(thread)
  threads = threads + 1
  thread:set("id", threads)
end

request = function()
  counter = counter + 1
  wrk.headers["User-Agent"] = string.format("bench-reader-%d-%d", id, counter)
  return wrk.format()
end
