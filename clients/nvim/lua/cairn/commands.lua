-- The user commands (:CairnChat, :CairnExplain, ...), each forwarding to one server command.
local chat = require('cairn.chat')
local progress = require('cairn.progress')
local protocol = require('cairn.protocol')
local server = require('cairn.server')
local views = require('cairn.views')

local M = {}
local C = protocol.commands

local function report(err)
  vim.notify('Cairn: ' .. err, vim.log.levels.ERROR)
end

--- `{uri, range, bufnr}` of the current buffer: the command's line range, or the cursor line.
function M.context(command_opts)
  local bufnr = vim.api.nvim_get_current_buf()
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == '' or vim.bo[bufnr].buftype ~= '' then
    return nil
  end
  local first, last
  if command_opts and command_opts.range and command_opts.range > 0 then
    first, last = command_opts.line1, command_opts.line2
  else
    first = vim.api.nvim_win_get_cursor(0)[1]
    last = first
  end
  return {
    bufnr = bufnr,
    uri = vim.uri_from_bufnr(bufnr),
    range = { start = { line = first - 1, character = 0 }, ['end'] = { line = last, character = 0 } },
  }
end

--- Run server command `id` with `args`; `on_result(result)` on success, errors are reported.
function M.call(id, args, on_result)
  server.execute(id, args, function(err, result)
    if err then
      report(err)
    elseif on_result then
      on_result(result)
    end
  end)
end

M.handlers = {}

function M.handlers.chat(opts)
  local context = opts.range > 0 and M.context(opts) or nil
  if opts.args ~= '' then
    chat.ask(opts.args, context)
    return
  end
  vim.ui.input({ prompt = 'Ask Cairn: ' }, function(input)
    if input and vim.trim(input) ~= '' then
      chat.ask(input, context)
    end
  end)
end

function M.handlers.explain(opts)
  local context = M.context(opts)
  if not context then
    return report('open a file and select the code to explain')
  end
  local args = { action = 'explain', uri = context.uri, range = context.range }
  if opts.args ~= '' then
    args.instructions = opts.args
  end
  chat.run(C.run_action, args, 'Explain — ' .. vim.fn.fnamemodify(vim.uri_to_fname(context.uri), ':t'), { bufnr = context.bufnr })
end

function M.handlers.cancel()
  M.call(C.cancel, vim.empty_dict(), function(result)
    local count = type(result) == 'table' and result.cancelled or nil
    vim.notify('Cairn: cancelled' .. (count and (' ' .. count .. ' running task(s)') or ''))
  end)
end

function M.handlers.new_session()
  M.call(C.new_session, vim.empty_dict(), function()
    vim.notify('Cairn: started a new session')
  end)
end

function M.handlers.consolidate()
  M.call(C.memory_consolidate, vim.empty_dict(), function(result)
    local summary = type(result) == 'table' and type(result.summary) == 'string' and result.summary or 'done'
    vim.notify('Cairn: memory consolidated: ' .. summary)
  end)
end

function M.handlers.memory(opts)
  if opts.args == '' then
    M.call(C.memory_show, vim.empty_dict(), function(result)
      views.show('cairn://memory', views.render('Project memory', result))
    end)
  else
    M.call(C.memory_search, { query = opts.args }, function(result)
      views.show('cairn://memory', views.render('Memory matching “' .. opts.args .. '”', result))
    end)
  end
end

function M.handlers.forget(opts)
  local id = tonumber(opts.args)
  if not id or id < 1 or id % 1 ~= 0 then
    return report('usage: :CairnForget {id} (a positive whole number; see :CairnMemory {query})')
  end
  M.call(C.memory_forget, { id = id }, function()
    vim.notify('Cairn: forgot memory #' .. id)
  end)
end

local function open_skill(name)
  M.call(C.skills_open, { name = name }, function(result)
    if type(result) == 'table' and not result.shown and type(result.uri) == 'string' then
      vim.cmd('edit ' .. vim.fn.fnameescape(vim.uri_to_fname(result.uri)))
    end
  end)
end

function M.handlers.skills(opts)
  if opts.args ~= '' then
    return open_skill(opts.args)
  end
  M.call(C.skills_list, vim.empty_dict(), function(result)
    local skills = views.list_of(result) or {}
    if #skills == 0 then
      return vim.notify('Cairn: no skills found')
    end
    vim.ui.select(skills, { prompt = 'Cairn skills', format_item = views.entry_line }, function(skill)
      if type(skill) == 'table' and type(skill.name) == 'string' then
        open_skill(skill.name)
      end
    end)
  end)
end

function M.handlers.status()
  M.call(C.status, vim.empty_dict(), function(result)
    views.show('cairn://status', views.status_lines(result, progress.recent))
  end)
end

function M.handlers.restart()
  server.stop_all(function()
    server.start(vim.api.nvim_get_current_buf())
    vim.notify('Cairn: restarted')
  end)
end

-- name, handler, nargs, range, description
M.definitions = {
  { 'CairnChat', 'chat', '*', true, 'Ask Cairn (with a range: about those lines)' },
  { 'CairnExplain', 'explain', '*', true, 'Explain the selected lines (or the cursor line)' },
  { 'CairnCancel', 'cancel', 0, false, 'Cancel everything Cairn is running' },
  { 'CairnNewSession', 'new_session', 0, false, 'Start a new chat session' },
  { 'CairnConsolidate', 'consolidate', 0, false, 'Consolidate the workspace memory now' },
  { 'CairnMemory', 'memory', '*', false, 'Show the workspace memory, or search it for the words given' },
  { 'CairnForget', 'forget', 1, false, 'Forget the memory with this id' },
  { 'CairnSkills', 'skills', '?', false, 'List skills and open one' },
  { 'CairnStatus', 'status', 0, false, 'Show the server status' },
  { 'CairnRestart', 'restart', 0, false, 'Restart the server' },
}

function M.create()
  for _, def in ipairs(M.definitions) do
    local name, handler, nargs, range, desc = def[1], def[2], def[3], def[4], def[5]
    vim.api.nvim_create_user_command(name, function(opts)
      M.handlers[handler](opts)
    end, { nargs = nargs, range = range or nil, desc = desc, force = true })
  end
end

return M
