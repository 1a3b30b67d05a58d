-- The plugin's pure parts, without a server: options, settings sent, stream routing, views.
local H = require('harness')
local config = require('cairn.config')
local streams = require('cairn.streams')
local views = require('cairn.views')
local progress = require('cairn.progress')
local compat = require('cairn.compat')

local function raises(fn, pattern)
  local ok, err = pcall(fn)
  H.ok(not ok, 'expected an error matching ' .. pattern)
  H.ok(tostring(err):find(pattern) ~= nil, 'error was: ' .. tostring(err))
end

H.test('options: defaults, the python shortcut, and clear errors', function()
  H.eq({ 'cairn', 'serve' }, config.resolve({}).cmd)
  H.eq({ '/venv/bin/python', '-m', 'cairn', 'serve' }, config.resolve({ python = '/venv/bin/python' }).cmd)
  H.eq({ 'x', 'serve' }, config.resolve({ cmd = { 'x', 'serve' }, python = '/p' }).cmd)
  H.eq(false, config.resolve({}).trusted)
  H.eq({ '.git' }, config.resolve({ root_markers = { '.git' } }).root_markers)
  raises(function() config.resolve({ settings = { modle = 'x' } }) end, 'unknown setting "modle"')
  raises(function() config.resolve({ settings = { trusted = true } }) end, 'top%-level `trusted`')
  raises(function() config.resolve({ chat = { layout = 'tab' } }) end, "chat.layout must be")
  raises(function() config.resolve({ trusted = 'yes' }) end, 'trusted must be a boolean')
  raises(function() config.resolve({ cmd = {} }) end, 'cmd must not be empty')
end)

H.test('settings: trust travels in initializationOptions, never in the workspace section', function()
  local untrusted = config.resolve({ settings = { model = 'openai/m', apiKey = 'sk-x', logLevel = 'debug' } })
  H.eq({ settings = { model = 'openai/m', apiKey = 'sk-x', logLevel = 'debug', trusted = false }, streamNotifications = true },
    config.init_options(untrusted))
  H.eq({ logLevel = 'debug' }, config.configuration_section(untrusted))
  local trusted = config.resolve({ trusted = true, settings = { model = 'openai/m', apiKey = 'sk-x' } })
  H.eq({ model = 'openai/m' }, config.configuration_section(trusted))
  H.eq('{}', vim.json.encode(config.configuration_section(config.resolve({}))))
end)

H.test('streams: routed by id, fallback for unknown ids, malformed ignored', function()
  local got = {}
  local function sink(tag)
    return {
      text = function(t) table.insert(got, tag .. ':text:' .. t) end,
      status = function(t) table.insert(got, tag .. ':status:' .. t) end,
      error = function(t) table.insert(got, tag .. ':error:' .. t) end,
      done = function(outcome) table.insert(got, tag .. ':done:' .. outcome.text) end,
    }
  end
  streams.set_fallback(function(id) return sink('fallback-' .. id) end)
  streams.open('a', sink('a'))
  streams.dispatch({ streamId = 'a', kind = 'text', text = 'Hel' })
  streams.dispatch({ streamId = 'b', kind = 'status', text = 'reading' })
  streams.dispatch({ streamId = 'a', kind = 'text', text = 'lo' })
  streams.dispatch({ streamId = 'a', kind = 'shout', text = 'x' })
  streams.dispatch('garbage')
  streams.dispatch({ streamId = 'a', kind = 'done', text = '' })
  streams.dispatch({ streamId = 'a', kind = 'text', text = 'late' }) -- after done: a new fallback stream
  H.eq({ 'a:text:Hel', 'fallback-b:status:reading', 'a:text:lo', 'a:done:Hello', 'fallback-a:text:late' }, got)
  H.eq({ 'a', 'b' }, streams.open_streams())
  streams.close('a')
  streams.close('b')
  streams.set_fallback(nil)
end)

H.test('views: memory, search results, skills, empty, and anything else', function()
  H.eq({ '# Project memory', '', '- build with make', '- test with pytest' },
    views.render('Project memory', { markdown = '- build with make\n- test with pytest', count = 2 }))
  H.eq({ '# Search', '', '- tests run with pytest — #7', '- [fact] uses uv #9' },
    views.render('Search', { results = { { id = 7, text = 'tests  run with pytest' }, { id = 9, text = 'x', line = '[fact] uses uv #9' } } }))
  H.eq({ '# Skills', '', '- python-tests — Write tests' },
    views.render('Skills', { skills = { { name = 'python-tests', description = 'Write tests' } }, problems = {} }))
  H.eq({ '# Search', '', '_Nothing yet._' }, views.render('Search', { results = {} }))
  H.eq({ '# Done', '', 'merged 2 memories' }, views.render('Done', { summary = 'merged 2 memories', added = 0 }))
  local lines = views.status_lines({ version = '0.1.0', transport = 'stdio', workspace = '/ws', trusted = false, model = vim.NIL,
    memory = { path = '/m.sqlite3' }, memoryState = 'ready', running = { 'memory-consolidation' }, problems = { 'p1' } }, { 'Cairn: step 1' })
  H.eq({ 'Cairn 0.1.0 (stdio)', 'workspace: /ws  [untrusted: restricted mode]', 'model:     (none configured)',
    'memory:    /m.sqlite3  (ready)', 'running:   memory-consolidation', 'problem:   p1', 'progress:  Cairn: step 1' }, lines)
end)

H.test('progress: begin, report and end become command-line lines', function()
  H.eq('Cairn: thinking', progress.format('t1', { kind = 'begin', title = 'Cairn', message = 'thinking' }))
  H.eq('Cairn: Step 1: read_file (40%)', progress.format('t1', { kind = 'report', message = 'Step 1: read_file', percentage = 40 }))
  H.eq('Cairn: Done', progress.format('t1', { kind = 'end', message = 'Done' }))
  H.eq(nil, progress.format('t2', 'not work-done progress'))
end)

H.test('stream ids are v4 UUIDs; roots are found by marker', function()
  local seen = {}
  for _ = 1, 200 do
    local id = compat.uuid()
    H.ok(id:match('^%x%x%x%x%x%x%x%x%-%x%x%x%x%-4%x%x%x%-[89ab]%x%x%x%-%x%x%x%x%x%x%x%x%x%x%x%x$'), id)
    H.ok(not seen[id], 'duplicate id ' .. id)
    seen[id] = true
  end
  local root = H.workspace({ ['pkg/sub/mod.py'] = 'x = 1\n' })
  H.eq(root, compat.find_root(root .. '/pkg/sub/mod.py', { '.git' }))
  H.eq(root, compat.find_root(root .. '/pkg/sub', { '.git' }))
  H.eq(nil, compat.find_root(root .. '/pkg/sub/mod.py', { 'no-such-marker-anywhere' }))
end)

H.test('chat view: streamed text joins lines across chunks; float and split layouts', function()
  local server = require('cairn.server')
  local chat = require('cairn.chat')
  chat.close() -- the layout applies when the view opens (an earlier spec may have it open)
  server.configure(config.resolve({ chat = { layout = 'float', size = 0.5 } }))
  local sink = chat.sink('You: hi')
  sink.text('Hel')
  sink.text('lo\nsecond ')
  sink.status('reading mod.py')
  sink.text('line')
  sink.error('the model is unreachable')
  local expected = '## You: hi\n\nHello\nsecond \n> _reading mod.py_\nline\n**Error:** the model is unreachable\n'
  H.eq(expected, chat.text():sub(-#expected)) -- the end: earlier specs may have used the chat
  local win = vim.fn.bufwinid(chat.buffer())
  H.eq('editor', vim.api.nvim_win_get_config(win).relative)
  H.eq(false, vim.api.nvim_buf_get_option(chat.buffer(), 'modifiable')) -- the user cannot type into answers
  chat.close()
  server.configure(config.resolve({ chat = { layout = 'split' } }))
  local before = #vim.api.nvim_list_wins()
  chat.open()
  H.eq(before + 1, #vim.api.nvim_list_wins())
  H.eq('', vim.api.nvim_win_get_config(vim.fn.bufwinid(chat.buffer())).relative)
  H.ok(vim.api.nvim_get_current_buf() ~= chat.buffer(), 'opening the chat must not steal the cursor')
  chat.close()
end)
