-- wrk script: each request fills CAIRN_PATH's %s with the next line of CAIRN_NAMES.
local names = {}
for line in io.lines(os.getenv("CAIRN_NAMES")) do names[#names + 1] = line end
local template = os.getenv("CAIRN_PATH")
local i = math.random(#names)
request = function()
  i = i % #names + 1
  return wrk.format("GET", string.format(template, names[i]))
end
