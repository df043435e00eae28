-- wrk script: request the paths listed in a file, one per line, in a cycle.
-- Usage: wrk ... -s paths.lua http://host:port -- PATHS_FILE THREADS
-- Each wrk thread starts at its own offset so that threads do not ask for the same path at
-- the same moment.

local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

local paths = {}
local position = 0

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then
      paths[#paths + 1] = line
    end
  end
  local threads = tonumber(args[2]) or 1
  position = math.floor(#paths * id / threads)
end

function request()
  position = position % #paths + 1
  return wrk.format("GET", paths[position])
end
