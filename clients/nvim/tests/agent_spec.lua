-- The agent through the plugin and the real server, with the scripted model answering by
-- prompt (tests/e2e/clients/model_script.py): chat streamed into the chat buffer with progress,
-- a Fix code action's edit applied to the buffer, cancel, memory and skills views.
local H = require('harness')
local compat = require('cairn.compat')
local chat = require('cairn.chat')
local progress = require('cairn.progress')

local SOURCE = 'def add(a, b):\n    return a + c\n'
local turns_file = vim.fn.tempname() .. '.json'
local file = assert(io.open(turns_file, 'w'))
file:write(vim.json.encode({
  ['Say hello'] = { { chunks = { 'Hello', ', ', 'world.' } } },
  ["undefined name 'c'"] = {
    { tool_calls = { { name = 'propose_edit', arguments = { path = 'mod.py', old_text = 'a + c', new_text = 'a + b', description = 'use b' } } } },
    { chunks = { 'Replaced c ', 'with b.' } },
  },
  ['Go on forever'] = { { text = 'This will never finish', stall = true } },
  ['Remember:'] = { 'Noted: the tests run with pytest -q.' },
}))
file:close()
-- The server inherits Neovim's environment.
vim.env.CAIRN_MODEL = 'scripted/nvim-e2e'
vim.env.CAIRN_SCRIPT = 'tests.e2e.clients.model_script:by_prompt'
vim.env.CAIRN_CLIENT_TURNS = turns_file
vim.env.CAIRN_NO_WARMUP = '1'
vim.env.PYTHONPATH = H.repo

require('cairn').setup({ python = H.python(), trusted = true })

local ROOT = H.workspace({ ['mod.py'] = SOURCE })
vim.cmd('edit ' .. vim.fn.fnameescape(ROOT .. '/mod.py'))
local BUF = vim.api.nvim_get_current_buf()
H.wait(function() return #compat.clients('cairn', BUF) > 0 end, 15000, 'Cairn to attach')

local function buffer_text(buf)
  return table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n')
end

H.test(':CairnChat streams the answer into the chat buffer, with progress', function()
  local appended = {}
  local append = chat.append
  chat.append = function(text)
    table.insert(appended, text)
    append(text)
  end
  local ok, err = pcall(function()
    vim.cmd('CairnChat Say hello')
    H.wait(function() return chat.text():find('Hello, world.', 1, true) ~= nil end, 30000, 'the streamed answer')
  end)
  chat.append = append
  H.ok(ok, tostring(err))
  H.contains(chat.text(), '## You: Say hello\n\nHello, world.')
  -- three text events, appended as they came
  H.ok(vim.tbl_contains(appended, 'Hello') and vim.tbl_contains(appended, ', ') and vim.tbl_contains(appended, 'world.'),
    'not streamed chunk by chunk: ' .. vim.inspect(appended))
  H.wait(function() return progress.recent[#progress.recent] == 'Cairn: Done' end, 5000, 'the end of the progress')
  local chat_win = vim.fn.bufwinid(chat.buffer())
  H.ok(chat_win ~= -1, 'the chat view is not shown')
end)

H.test('a Fix code action picked in the menu edits the buffer and streams its summary', function()
  vim.api.nvim_set_current_buf(BUF)
  vim.api.nvim_win_set_cursor(0, { 2, 15 })
  local diagnostic = {
    range = { start = { line = 1, character = 15 }, ['end'] = { line = 1, character = 16 } },
    message = "undefined name 'c'", severity = 1, source = 'pyflakes',
  }
  local fix = "Cairn: Fix “undefined name 'c'”"
  local offered = H.code_action({ diagnostic }, fix)
  H.ok(vim.tbl_contains(offered, fix), fix .. ' not offered: ' .. vim.inspect(offered))
  H.wait(function() return buffer_text(BUF) == 'def add(a, b):\n    return a + b' end, 30000, 'the edit in the buffer')
  H.wait(function() return chat.text():find('Replaced c with b.', 1, true) ~= nil end, 15000, 'the summary')
  H.contains(chat.text(), '> _propose_edit mod.py_')
  H.eq(true, vim.api.nvim_buf_get_option(BUF, 'modified'))
  local disk = assert(io.open(ROOT .. '/mod.py')):read('*a')
  H.eq(SOURCE, disk) -- the editor owns saving
end)

H.test(':CairnCancel stops a running answer', function()
  vim.cmd('CairnChat Go on forever')
  H.wait(function() return chat.text():find('This will never finish', 1, true) ~= nil end, 30000, 'the answer to start')
  vim.cmd('CairnCancel')
  H.wait(function() return chat.text():find('**Error:** Cancelled.', 1, true) ~= nil end, 5000, 'the cancellation')
  H.wait(function() return #require('cairn.streams').open_streams() == 0 end, 5000, 'the stream to end')
end)

H.test(':CairnMemory, :CairnSkills and :CairnConsolidate', function()
  vim.cmd('CairnChat Remember: run the tests with pytest -q')
  H.wait(function() return chat.text():find('Noted:', 1, true) ~= nil end, 30000, 'the chat answer')
  vim.cmd('CairnMemory')
  H.wait(function() return vim.fn.bufnr('cairn://memory') ~= -1 end, 15000, 'the memory view')
  H.eq('# Project memory', vim.api.nvim_buf_get_lines(vim.fn.bufnr('cairn://memory'), 0, 1, false)[1])
  vim.cmd('CairnMemory pytest')
  H.wait(function()
    local first = vim.api.nvim_buf_get_lines(vim.fn.bufnr('cairn://memory'), 0, 1, false)[1]
    return first == '# Memory matching “pytest”'
  end, 15000, 'the search results')
  local original = vim.ui.select
  local listed = nil
  vim.ui.select = function(items, opts, on_choice)
    listed = vim.tbl_map(opts.format_item, items)
    on_choice(items[1], 1)
  end
  vim.cmd('CairnSkills')
  H.wait(function() return listed ~= nil end, 15000, 'the skills list')
  vim.ui.select = original
  H.ok(#listed > 0, 'no skills listed')
  -- 0.11 lets the server show the file (window/showDocument); 0.7 cannot, so the plugin opens it
  H.wait(function() return vim.api.nvim_buf_get_name(0):find('SKILL.md', 1, true) ~= nil end, 15000, 'the skill file')
  vim.api.nvim_set_current_buf(BUF) -- the skill file's own root started another server
  H.notified = {}
  vim.cmd('CairnConsolidate')
  H.wait(function() return #H.notified > 0 end, 30000, 'the consolidation')
  H.ok(H.notified[1].message:find('^Cairn: memory consolidated: ') ~= nil, vim.inspect(H.notified))
end)
