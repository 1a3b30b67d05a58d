-- A small test harness for headless Neovim (0.7 and 0.11): register tests, run them in order,
-- print TAP lines to stdout, and exit non-zero when one fails (pytest reads both).
local H = {}

local tests = {}
local REPO = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h:h:h:h')
H.repo = REPO

function H.test(name, fn)
  table.insert(tests, { name = name, fn = fn })
end

function H.eq(expected, actual, message)
  if not vim.deep_equal(expected, actual) then
    error(string.format('%s\nexpected: %s\n     got: %s', message or 'values differ', vim.inspect(expected), vim.inspect(actual)), 2)
  end
end

function H.ok(condition, message)
  if not condition then
    error(message or 'assertion failed', 2)
  end
end

function H.contains(haystack, needle, message)
  if type(haystack) ~= 'string' or not haystack:find(needle, 1, true) then
    error(string.format('%s\nexpected to find: %s\nin: %s', message or 'text missing', needle, vim.inspect(haystack)), 2)
  end
end

--- Process events until `condition()` is true; fails after `timeout_ms`.
function H.wait(condition, timeout_ms, what)
  if not vim.wait(timeout_ms or 15000, condition, 20) then
    error('timed out waiting for ' .. (what or 'a condition'), 2)
  end
end

--- A fresh workspace (a temp dir with a .git marker) holding `files` ({relative path = text}).
function H.workspace(files)
  local root = vim.fn.resolve(vim.fn.tempname())
  vim.fn.mkdir(root .. '/.git', 'p')
  for path, text in pairs(files or {}) do
    vim.fn.mkdir(vim.fn.fnamemodify(root .. '/' .. path, ':h'), 'p')
    local file = assert(io.open(root .. '/' .. path, 'w'))
    file:write(text)
    file:close()
  end
  return root
end

--- The interpreter that runs Cairn's server (CAIRN_PYTHON, else the repo's venv).
function H.python()
  local python = os.getenv('CAIRN_PYTHON') or (REPO .. '/.venv/bin/python')
  assert(vim.fn.executable(python) == 1, 'no Cairn interpreter at ' .. python .. ' (set CAIRN_PYTHON)')
  return python
end

--- Run a command synchronously through the plugin; returns (err, result).
function H.execute(command, args, timeout_ms)
  local done, err, result = false, nil, nil
  require('cairn.server').execute(command, args, function(e, r)
    done, err, result = true, e, r
  end)
  H.wait(function() return done end, timeout_ms or 15000, 'the response to ' .. command)
  return err, result
end

-- Headless Neovim prints messages (echo, notify) to stdout without a newline: start each
-- TAP line on a line of its own.
--- vim.lsp.buf.code_action() with the menu (vim.ui.select) answered by title (`pick`, or
--- nothing picked when nil). Returns the offered titles (sorted) and the offered actions.
function H.code_action(diagnostics, pick)
  local offered, actions = nil, {}
  local original = vim.ui.select
  vim.ui.select = function(items, _, on_choice)
    offered = {}
    local chosen, index = nil, nil
    for i, item in ipairs(items) do
      local action = item.action or item[2] -- 0.11: {action, ctx}; 0.7: {client_id, action}
      table.insert(offered, action.title)
      table.insert(actions, action)
      if action.title == pick then
        chosen, index = item, i
      end
    end
    on_choice(chosen, index)
  end
  if vim.fn.has('nvim-0.8') == 1 then
    vim.lsp.buf.code_action({ context = { diagnostics = diagnostics } })
  else
    vim.lsp.buf.code_action({ diagnostics = diagnostics })
  end
  local ok, err = pcall(H.wait, function() return offered ~= nil end, 15000, 'the code action menu')
  vim.ui.select = original
  assert(ok, err)
  table.sort(offered)
  return offered, actions
end

local function write(line)
  io.stdout:write('\n' .. line .. '\n')
  io.stdout:flush()
end

--- Messages given to vim.notify while the tests run (recorded instead of printed).
H.notified = {}
vim.notify = function(message, level)
  table.insert(H.notified, { message = message, level = level })
end

--- Run every registered test, then quit (exit code 1 when any failed).
function H.run()
  local failed = 0
  write(string.format('# Neovim %s', tostring(vim.version and vim.version() and string.format('%d.%d.%d', vim.version().major, vim.version().minor, vim.version().patch))))
  for index, case in ipairs(tests) do
    local ok, err = xpcall(case.fn, debug.traceback)
    if ok then
      write(string.format('ok %d - %s', index, case.name))
    else
      failed = failed + 1
      write(string.format('not ok %d - %s', index, case.name))
      for line in tostring(err):gmatch('[^\n]+') do
        write('#   ' .. line)
      end
    end
  end
  write(string.format('1..%d', #tests))
  vim.cmd(failed > 0 and 'cquit 1' or 'qall!')
end

return H
