-- Showing command results: text for scratch buffers and messages. Results are plain JSON; a
-- string, a `markdown`/`text`/`summary` field or a known list is shown as such, anything else
-- as inspected data, so a new field never hides the answer.
local M = {}

local TEXT_FIELDS = { 'markdown', 'text', 'content', 'summary' }
local LIST_FIELDS = { 'results', 'memories', 'items', 'skills', 'entries' }

local function is_list(value)
  return type(value) == 'table' and (vim.islist or vim.tbl_islist)(value)
end

--- The list inside a result (the result itself, or a known list field), else nil.
function M.list_of(result)
  if is_list(result) and next(result) ~= nil then
    return result
  end
  if type(result) == 'table' then
    for _, field in ipairs(LIST_FIELDS) do
      if is_list(result[field]) then
        return result[field]
      end
    end
  end
  return nil
end

--- One line for a list entry: its best text, then `#id` and kind.
function M.entry_line(item)
  if type(item) ~= 'table' then
    return tostring(item)
  end
  local label = item.line or item.title or item.name or item.text or vim.inspect(item)
  label = tostring(label):gsub('%s+', ' ')
  local extra = {}
  if item.id ~= nil and not tostring(label):find('#' .. tostring(item.id), 1, true) then
    table.insert(extra, '#' .. tostring(item.id))
  end
  if type(item.description) == 'string' then
    table.insert(extra, item.description)
  end
  return #extra > 0 and (label .. ' — ' .. table.concat(extra, ' — ')) or label
end

--- Lines of markdown for a result under `title`.
function M.render(title, result)
  local lines = { '# ' .. title, '' }
  local function add_text(text)
    vim.list_extend(lines, vim.split(text, '\n', { plain = true }))
  end
  if type(result) == 'string' then
    add_text(result)
    return lines
  end
  if type(result) == 'table' then
    for _, field in ipairs(TEXT_FIELDS) do
      if type(result[field]) == 'string' and result[field] ~= '' then
        add_text(result[field])
        return lines
      end
    end
  end
  local list = M.list_of(result)
  if list then
    if #list == 0 then
      table.insert(lines, '_Nothing yet._')
    end
    for _, item in ipairs(list) do
      table.insert(lines, '- ' .. M.entry_line(item))
    end
    return lines
  end
  if type(result) == 'table' and next(result) == nil or result == nil or result == vim.NIL then
    table.insert(lines, '_Nothing yet._')
    return lines
  end
  add_text(vim.inspect(result))
  return lines
end

--- The status report as lines (server/status.py's report).
function M.status_lines(report, recent_progress)
  if type(report) ~= 'table' then
    return M.render('Cairn status', report)
  end
  local memory = type(report.memory) == 'table' and report.memory or {}
  local lines = {
    string.format('Cairn %s (%s)', tostring(report.version), tostring(report.transport)),
    'workspace: ' .. tostring(report.workspace) .. (report.trusted and '' or '  [untrusted: restricted mode]'),
    'model:     ' .. ((type(report.model) == 'string' and report.model ~= '') and report.model or '(none configured)'),
    'memory:    ' .. tostring(memory.path) .. (report.memoryState and ('  (' .. tostring(report.memoryState) .. ')') or ''),
  }
  if is_list(report.running) and #report.running > 0 then
    table.insert(lines, 'running:   ' .. table.concat(report.running, ', '))
  end
  for _, problem in ipairs(is_list(report.problems) and report.problems or {}) do
    table.insert(lines, 'problem:   ' .. tostring(problem))
  end
  for _, line in ipairs(recent_progress or {}) do
    table.insert(lines, 'progress:  ' .. line)
  end
  return lines
end

--- Show `lines` in a scratch markdown buffer named `name` in a split (reused if open).
function M.show(name, lines)
  local buf = vim.fn.bufnr(name)
  if buf == -1 then
    buf = vim.api.nvim_create_buf(false, true)
    vim.api.nvim_buf_set_name(buf, name)
    vim.api.nvim_buf_set_option(buf, 'filetype', 'markdown')
    vim.api.nvim_buf_set_option(buf, 'bufhidden', 'wipe')
  end
  vim.api.nvim_buf_set_option(buf, 'modifiable', true)
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.api.nvim_buf_set_option(buf, 'modifiable', false)
  if vim.fn.bufwinid(buf) == -1 then
    vim.cmd('botright split')
    vim.api.nvim_win_set_buf(0, buf)
  end
  return buf
end

return M
