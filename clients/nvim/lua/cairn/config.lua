-- Options of require('cairn').setup{}: defaults, validation (a clear error, nothing half-set),
-- and what the server receives.
local protocol = require('cairn.protocol')

local M = {}

M.defaults = {
  -- The command that starts the server. Default: { python, '-m', 'cairn', 'serve' } when
  -- `python` is set, else { 'cairn', 'serve' } from PATH.
  cmd = nil,
  python = nil,
  -- Whether you trust the workspaces Cairn opens (shell commands, workspace skills, workspace
  -- settings). Never read from the workspace itself.
  trusted = false,
  -- Server settings (camelCase keys of the README's settings table), e.g. { model = 'openai/gpt-4.1' }.
  settings = {},
  root_markers = { '.git', '.hg', 'pyproject.toml', 'setup.py', 'package.json', 'Cargo.toml', 'go.mod', 'Makefile' },
  -- Filetypes to attach to; nil attaches to every file buffer.
  filetypes = nil,
  autostart = true,
  chat = {
    layout = 'vsplit', -- 'vsplit', 'split' or 'float'
    size = 0.4, -- fraction of the editor (width for vsplit/float, height for split)
  },
  progress = 'cmdline', -- 'cmdline': echo the server's progress; 'none': only the standard handlers
}

local function fail(message)
  error('cairn.setup: ' .. message, 0)
end

local function check(value, expected, name, optional)
  if value == nil and optional then
    return
  end
  if type(value) ~= expected then
    fail(string.format('%s must be a %s, got %s', name, expected, type(value)))
  end
end

local function is_setting(key)
  for _, known in ipairs(protocol.setting_keys) do
    if known == key then
      return true
    end
  end
  return false
end

--- Merge `opts` over the defaults and validate everything; raises a readable error.
function M.resolve(opts)
  check(opts, 'table', 'options', true)
  local merged = vim.tbl_deep_extend('force', vim.deepcopy(M.defaults), opts or {})
  check(merged.cmd, 'table', 'cmd', true)
  check(merged.python, 'string', 'python', true)
  check(merged.trusted, 'boolean', 'trusted')
  check(merged.settings, 'table', 'settings')
  check(merged.root_markers, 'table', 'root_markers')
  check(merged.filetypes, 'table', 'filetypes', true)
  check(merged.autostart, 'boolean', 'autostart')
  check(merged.chat, 'table', 'chat')
  check(merged.chat.size, 'number', 'chat.size')
  if not vim.tbl_contains({ 'vsplit', 'split', 'float' }, merged.chat.layout) then
    fail("chat.layout must be 'vsplit', 'split' or 'float', got " .. vim.inspect(merged.chat.layout))
  end
  if not vim.tbl_contains({ 'cmdline', 'none' }, merged.progress) then
    fail("progress must be 'cmdline' or 'none', got " .. vim.inspect(merged.progress))
  end
  for key in pairs(merged.settings) do
    if key == 'trusted' then
      fail('settings.trusted is not a setting here: use the top-level `trusted` option')
    elseif not is_setting(key) then
      fail(string.format("unknown setting %q (known: %s)", tostring(key), table.concat(protocol.setting_keys, ', ')))
    end
  end
  if merged.cmd then
    if #merged.cmd == 0 then
      fail('cmd must not be empty')
    end
  elseif merged.python then
    merged.cmd = { merged.python, '-m', 'cairn', 'serve' }
  else
    merged.cmd = { 'cairn', 'serve' }
  end
  return merged
end

--- `initializationOptions`: every setting, plus `trusted` from the option, and the opt-in to
--- `cairn/stream` (the chat view streams answers).
function M.init_options(options)
  local settings = vim.deepcopy(options.settings)
  settings.trusted = options.trusted
  return { settings = settings, [protocol.STREAM_OPT_IN] = true }
end

--- The `cairn` section for `workspace/configuration`: no `trusted`, no key, and while
--- untrusted no sensitive key (the server would refuse them from that layer).
function M.configuration_section(options)
  local section = {}
  for key, value in pairs(options.settings) do
    if key ~= 'apiKey' and (options.trusted or not protocol.sensitive[key]) then
      section[key] = value
    end
  end
  return next(section) and section or vim.empty_dict() -- {} would be sent as a JSON list
end

return M
