-- Server progress ($/progress) in the command line. The standard handler runs first, so
-- statusline plugins that read Neovim's own progress state keep working.
local M = {}

local titles = {}
M.recent = {} -- the last lines echoed, newest last (also shown by :CairnStatus)
local KEEP = 20

local function remember(line)
  table.insert(M.recent, line)
  if #M.recent > KEEP then
    table.remove(M.recent, 1)
  end
end

--- The line to show for one `$/progress` value (nil for values that are not work-done progress).
function M.format(token, value)
  if type(value) ~= 'table' or not value.kind then
    return nil
  end
  if value.kind == 'begin' then
    titles[token] = value.title or 'Cairn'
  end
  local title = titles[token] or 'Cairn'
  local parts = { title }
  if type(value.message) == 'string' and value.message ~= '' then
    table.insert(parts, value.message)
  end
  local line = table.concat(parts, ': ')
  if type(value.percentage) == 'number' and value.kind ~= 'end' then
    line = string.format('%s (%d%%)', line, value.percentage)
  end
  if value.kind == 'end' then
    titles[token] = nil
  end
  return line
end

--- A `$/progress` handler: the standard one, then (with `echo`) a line in the command line.
function M.handler(echo)
  return function(err, result, ctx, config)
    local standard = vim.lsp.handlers['$/progress']
    if standard then
      standard(err, result, ctx, config)
    end
    local line = result and M.format(result.token, result.value)
    if line then
      remember(line)
      if echo then
        vim.api.nvim_echo({ { line, 'Comment' } }, false, {})
      end
    end
  end
end

return M
