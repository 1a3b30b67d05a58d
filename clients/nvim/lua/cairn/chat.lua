-- The chat view: a scratch markdown buffer in a split or a float where answers stream in.
-- In it: `i` or <CR> asks the next question, <C-c> cancels the running answer, `q` closes.
local compat = require('cairn.compat')
local protocol = require('cairn.protocol')
local server = require('cairn.server')
local streams = require('cairn.streams')

local M = {}

local state = { buf = nil, win = nil, current = nil, at_line_start = true }

local function valid_buf()
  return state.buf and vim.api.nvim_buf_is_valid(state.buf)
end

--- The chat buffer (created on first use).
function M.buffer()
  if valid_buf() then
    return state.buf
  end
  local buf = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_name(buf, 'cairn://chat')
  vim.api.nvim_buf_set_option(buf, 'filetype', 'markdown')
  vim.api.nvim_buf_set_option(buf, 'bufhidden', 'hide')
  vim.api.nvim_buf_set_option(buf, 'modifiable', false)
  local function map(lhs, fn, desc)
    vim.api.nvim_buf_set_keymap(buf, 'n', lhs, '', { callback = fn, noremap = true, silent = true, desc = desc })
  end
  map('i', function() M.prompt() end, 'Ask Cairn')
  map('<CR>', function() M.prompt() end, 'Ask Cairn')
  map('<C-c>', function() M.cancel_current() end, 'Cancel the running answer')
  map('q', function() M.close() end, 'Close the chat')
  state.buf = buf
  state.at_line_start = true
  return buf
end

--- Show the chat buffer (split or float, per setup's `chat` options); returns its window.
function M.open()
  local buf = M.buffer()
  if state.win and vim.api.nvim_win_is_valid(state.win) and vim.api.nvim_win_get_buf(state.win) == buf then
    return state.win
  end
  local chat = server.options().chat
  local previous = vim.api.nvim_get_current_win()
  if chat.layout == 'float' then
    local width = math.max(20, math.floor(vim.o.columns * chat.size))
    local height = math.max(5, math.floor((vim.o.lines - 2) * 0.8))
    state.win = vim.api.nvim_open_win(buf, false, {
      relative = 'editor', width = width, height = height, border = 'rounded',
      row = math.floor((vim.o.lines - height) / 2), col = vim.o.columns - width - 2,
    })
  else
    local vertical = chat.layout == 'vsplit'
    local size = math.floor((vertical and vim.o.columns or vim.o.lines) * chat.size)
    vim.cmd((vertical and 'botright vertical ' or 'botright ') .. size .. 'split')
    state.win = vim.api.nvim_get_current_win()
    vim.api.nvim_win_set_buf(state.win, buf)
    vim.api.nvim_set_current_win(previous) -- keep the user where they were
  end
  vim.api.nvim_win_set_option(state.win, 'wrap', true)
  vim.api.nvim_win_set_option(state.win, 'linebreak', true)
  return state.win
end

function M.close()
  if state.win and vim.api.nvim_win_is_valid(state.win) then
    vim.api.nvim_win_close(state.win, true)
  end
  state.win = nil
end

local function write(fn)
  local buf = M.buffer()
  vim.api.nvim_buf_set_option(buf, 'modifiable', true)
  fn(buf)
  vim.api.nvim_buf_set_option(buf, 'modifiable', false)
  local last = vim.api.nvim_buf_line_count(buf)
  for _, win in ipairs(vim.api.nvim_list_wins()) do
    if vim.api.nvim_win_get_buf(win) == buf then
      vim.api.nvim_win_set_cursor(win, { last, 0 })
    end
  end
end

--- Append streamed text (which may hold newlines) to the end of the buffer.
function M.append(text)
  if text == '' then
    return
  end
  write(function(buf)
    local pieces = vim.split(text, '\n', { plain = true })
    local last = vim.api.nvim_buf_line_count(buf)
    local tail = vim.api.nvim_buf_get_lines(buf, last - 1, last, false)[1] or ''
    pieces[1] = tail .. pieces[1]
    vim.api.nvim_buf_set_lines(buf, last - 1, last, false, pieces)
  end)
  state.at_line_start = text:sub(-1) == '\n'
end

--- Append `text` as a line of its own.
function M.line(text)
  M.append((state.at_line_start and '' or '\n') .. text .. '\n')
end

--- The buffer's text (for tests and for copying an answer).
function M.text()
  return table.concat(vim.api.nvim_buf_get_lines(M.buffer(), 0, -1, false), '\n')
end

--- A sink that writes one titled exchange into the chat view.
function M.sink(title)
  M.open()
  if vim.api.nvim_buf_line_count(M.buffer()) > 1 or M.text() ~= '' then
    M.line('')
  end
  M.line('## ' .. title)
  M.line('')
  return {
    text = M.append,
    status = function(text) M.line('> _' .. text .. '_') end,
    error = function(text) M.line('**Error:** ' .. text) end,
  }
end

--- Whether a command's answer is a run the server started (it ends the run with `done`).
function M.is_run_started(result)
  return type(result) == 'table' and result.status == 'started' and type(result.runId) == 'string'
end

--- Run a streamed command (`cairn.chat`, `cairn.runAction`) into the chat view.
--- The server answers at once (the run started) and ends the run's stream with `done`;
--- `on_done(outcome, result, err)` is then called with the run's outcome (`cairn.result`).
function M.run(command, args, title, opts, on_done)
  opts = opts or {}
  local id = args.streamId or compat.uuid()
  args.streamId = id
  local sink = M.sink(title)
  local finished = false
  local started, failure = nil, nil
  local function finish(outcome, result, err)
    if not finished then
      finished = true
      if on_done then
        on_done(outcome, result, err)
      end
    end
  end
  sink.done = function(outcome)
    if not M.is_run_started(started) then
      return finish(outcome, started, failure)
    end
    server.execute(protocol.commands.result, { runId = started.runId }, function(err, result)
      finish(outcome, result or started, err)
    end, opts)
  end
  streams.open(id, sink)
  state.current = id
  server.execute(command, args, function(err, result)
    started, failure = result, err
    if err then
      sink.error(err)
      streams.close(id)
    elseif not M.is_run_started(result) and vim.tbl_contains(streams.open_streams(), id) then
      streams.close(id) -- not a run: nothing more will come
    end
  end, opts)
  return id
end

--- Ask Cairn `prompt` about `context` ({uri, range}, optional).
function M.ask(prompt, context, on_done)
  local args = { prompt = prompt }
  if context then
    args.uri, args.range = context.uri, context.range
  end
  return M.run(protocol.commands.chat, args, 'You: ' .. prompt, { bufnr = context and context.bufnr }, on_done)
end

--- Prompt for a question (vim.ui.input) and ask it.
function M.prompt()
  vim.ui.input({ prompt = 'Ask Cairn: ' }, function(input)
    if input and vim.trim(input) ~= '' then
      M.ask(input)
    end
  end)
end

--- Cancel the answer being streamed into the chat view.
function M.cancel_current()
  if state.current and vim.tbl_contains(streams.open_streams(), state.current) then
    server.execute(protocol.commands.cancel, { streamId = state.current }, function() end)
  end
end

--- A code action the user picked (its `cairn.runAction` command): run it into the chat view.
function M.run_action(command, ctx)
  local args = vim.deepcopy((command.arguments or {})[1] or {})
  local name = type(args.action) == 'string' and args.action or 'action'
  local file = type(args.uri) == 'string' and vim.fn.fnamemodify(vim.uri_to_fname(args.uri), ':t') or ''
  return M.run(protocol.commands.run_action, args, (command.title or name) .. ' — ' .. file, { client_id = ctx and ctx.client_id })
end

return M
