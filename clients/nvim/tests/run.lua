-- Entry point: nvim --headless --clean -c "luafile clients/nvim/tests/run.lua" with
-- CAIRN_NVIM_SPEC=<spec file name> (default: every *_spec.lua here).
local here = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h')
vim.opt.runtimepath:prepend(vim.fn.fnamemodify(here, ':h'))
package.path = here .. '/?.lua;' .. package.path
local ok, err = xpcall(function()
  local harness = require('harness')
  local only = os.getenv('CAIRN_NVIM_SPEC')
  local specs = only and { here .. '/' .. only } or vim.fn.glob(here .. '/*_spec.lua', false, true)
  for _, spec in ipairs(specs) do
    dofile(spec)
  end
  harness.run()
end, debug.traceback)
if not ok then
  io.stdout:write('not ok 1 - loading the specs\n# ' .. tostring(err):gsub('\n', '\n# ') .. '\n1..1\n')
  vim.cmd('cquit 1')
end
