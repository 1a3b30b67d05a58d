-- The plugin against the real Cairn server: start per workspace root, settings and trust,
-- code actions through vim.lsp.buf.code_action(), views, restart.
local H = require('harness')
local compat = require('cairn.compat')

require('cairn').setup({
  python = H.python(),
  trusted = false,
  settings = { model = 'openai/user-model', logLevel = 'debug' },
})

local function edit(root, path)
  vim.cmd('edit ' .. vim.fn.fnameescape(root .. '/' .. path))
  local buf = vim.api.nvim_get_current_buf()
  H.wait(function() return #compat.clients('cairn', buf) > 0 end, 15000, 'Cairn to attach to ' .. path)
  return buf, compat.clients('cairn', buf)[1]
end

local function status()
  local err, report
  H.wait(function()
    err, report = H.execute('cairn.status', vim.empty_dict())
    return err == nil
  end, 15000, 'cairn.status')
  return report
end

local ROOT = H.workspace({ ['mod.py'] = 'def add(a, b):\n    return a + c\n', ['notes.md'] = '# notes\n' })

H.test('a file starts the server for its root, untrusted, with the user settings', function()
  local buf, client = edit(ROOT, 'mod.py')
  H.eq(ROOT, client.config.root_dir)
  local report = status()
  H.eq(false, report.trusted)
  H.eq(ROOT, report.workspace)
  H.eq('openai/user-model', report.model)
  H.eq('debug', report.settings.logLevel)
  H.eq({}, report.problems) -- nothing sent that the server had to refuse
  -- a second file in the same root shares the server
  local _, again = edit(ROOT, 'notes.md')
  H.eq(client.id, again.id)
  vim.api.nvim_set_current_buf(buf)
end)

H.test('code actions are listed through vim.lsp.buf.code_action()', function()
  edit(ROOT, 'mod.py')
  vim.api.nvim_win_set_cursor(0, { 1, 0 })
  local diagnostic = {
    range = { start = { line = 1, character = 15 }, ['end'] = { line = 1, character = 16 } },
    message = "undefined name 'c'", severity = 1, source = 'pyflakes',
  }
  local titles, actions = H.code_action({ diagnostic }, nil)
  -- 0.11 declares codeAction/resolve for `command`: the server sends it lazily; 0.7 gets it up front.
  for _, action in ipairs(actions) do
    if compat.method_calls then
      H.eq(nil, action.command, action.title)
      H.ok(type(action.data) == 'table' and action.data.uri ~= nil, 'no data to resolve: ' .. vim.inspect(action))
    else
      H.eq('cairn.runAction', action.command.command, action.title)
    end
  end
  H.eq({ 'Cairn: Add docstring', 'Cairn: Explain this code', 'Cairn: Fix “undefined name \'c\'”', 'Cairn: Write tests' }, titles)
end)

H.test('picking an action runs it through the plugin with a stream id and the chat view', function()
  edit(ROOT, 'mod.py')
  vim.api.nvim_win_set_cursor(0, { 1, 0 })
  local sent = nil
  local server = require('cairn.server')
  local execute = server.execute
  server.execute = function(command, args, callback, opts)
    sent = { command = command, args = vim.deepcopy(args), client_id = opts and opts.client_id }
    callback(nil, { status = 'done' }) -- the agent's own run is covered by agent_spec.lua
  end
  local ok, err = pcall(H.code_action, {}, 'Cairn: Explain this code')
  H.wait(function() return sent ~= nil end, 15000, 'the picked action to run')
  server.execute = execute
  H.ok(ok, tostring(err))
  H.eq('cairn.runAction', sent.command)
  H.eq('explain', sent.args.action)
  H.eq(vim.uri_from_fname(ROOT .. '/mod.py'), sent.args.uri)
  H.ok(sent.args.streamId:match('^%x+%-'), 'no stream id: ' .. vim.inspect(sent.args))
  H.ok(sent.client_id ~= nil, 'the action was not tied to its client')
  H.contains(require('cairn.chat').text(), '## Cairn: Explain this code — mod.py')
end)

H.test('commands reach the server: status view, bad input refused with a message', function()
  edit(ROOT, 'mod.py')
  vim.cmd('CairnStatus')
  local status_buf = vim.fn.bufnr('cairn://status')
  H.wait(function() return vim.fn.bufnr('cairn://status') ~= -1 end, 15000, 'the status view')
  status_buf = vim.fn.bufnr('cairn://status')
  local text = table.concat(vim.api.nvim_buf_get_lines(status_buf, 0, -1, false), '\n')
  H.contains(text, 'workspace: ' .. ROOT .. '  [untrusted: restricted mode]')
  H.contains(text, 'model:     openai/user-model')
  H.notified = {}
  vim.cmd('CairnForget abc')
  H.eq({ { message = 'Cairn: usage: :CairnForget {id} (a positive whole number; see :CairnMemory {query})', level = vim.log.levels.ERROR } }, H.notified)
  local err = H.execute('cairn.status', { typo = 1 })
  H.ok(err and err:find('typo') ~= nil, 'expected a validation error naming the key, got ' .. tostring(err))
end)

H.test('every user command exists', function()
  local commands = vim.api.nvim_get_commands({})
  for _, name in ipairs({ 'CairnChat', 'CairnExplain', 'CairnCancel', 'CairnConsolidate', 'CairnMemory', 'CairnSkills',
    'CairnNewSession', 'CairnForget', 'CairnStatus', 'CairnRestart' }) do
    H.ok(commands[name] ~= nil, name .. ' is missing')
  end
end)

H.test(':CairnRestart stops the server cleanly and starts a new one for the buffer', function()
  local _, before = edit(ROOT, 'mod.py')
  H.notified = {}
  vim.cmd('CairnRestart')
  H.wait(function() return compat.is_stopped(before) end, 10000, 'the old server to stop')
  H.wait(function()
    local now = compat.clients('cairn', vim.api.nvim_get_current_buf())[1]
    return now ~= nil and now.id ~= before.id
  end, 15000, 'a new server')
  H.eq(ROOT, status().workspace)
  H.eq('Cairn: restarted', H.notified[1] and H.notified[1].message)
end)

H.test('a file in another root gets its own server', function()
  local other = H.workspace({ ['app.py'] = 'print(1)\n' })
  local _, client = edit(other, 'app.py')
  H.eq(other, client.config.root_dir)
  H.eq(other, status().workspace)
  H.ok(#compat.clients('cairn') >= 2, 'expected one server per root')
end)
