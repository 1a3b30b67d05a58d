-- Starting Cairn's server for a buffer's workspace root and talking to it.
-- Neovim 0.8+ uses vim.lsp.start (one client per root, reused); 0.7 uses vim.lsp.start_client
-- with the same reuse done here.
local compat = require('cairn.compat')
local config = require('cairn.config')
local progress = require('cairn.progress')
local protocol = require('cairn.protocol')
local streams = require('cairn.streams')

local M = {}

local options = nil
local last_client_id = nil

-- How long a command waits for a server that is still initializing.
M.start_timeout_ms = 20000

function M.configure(resolved)
  options = resolved
end

function M.options()
  return options
end

--- The workspace root for `bufnr`: the nearest marker above its file, else the cwd.
function M.root_for(bufnr)
  local name = vim.api.nvim_buf_get_name(bufnr)
  local start = name ~= '' and name or vim.fn.getcwd()
  return compat.find_root(start, options.root_markers) or vim.fn.getcwd()
end

local function client_config(root)
  return {
    name = 'cairn',
    cmd = options.cmd,
    root_dir = root,
    workspace_folders = { { uri = vim.uri_from_fname(root), name = vim.fn.fnamemodify(root, ':t') } },
    init_options = config.init_options(options),
    settings = { cairn = config.configuration_section(options) },
    handlers = {
      -- Scheduled in arrival order, like command responses, so a view never sees a stream's
      -- events after the command that produced them returned.
      [protocol.STREAM_NOTIFICATION] = function(_, params)
        vim.schedule(function()
          streams.dispatch(params)
        end)
      end,
      ['$/progress'] = progress.handler(options.progress == 'cmdline'),
    },
    commands = {
      -- A picked code action: give it a stream id and the chat view before it runs.
      [protocol.commands.run_action] = function(command, ctx)
        require('cairn.chat').run_action(command, ctx)
      end,
    },
  }
end

--- Start (or reuse) the server for `bufnr`'s root and attach the buffer; returns the client id.
function M.start(bufnr)
  assert(options, 'cairn: call require("cairn").setup{} first')
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local root = M.root_for(bufnr)
  local id
  if compat.has_start then
    id = vim.lsp.start(client_config(root), { bufnr = bufnr })
  else
    for _, client in ipairs(compat.clients('cairn')) do
      if client.config.root_dir == root and not compat.is_stopped(client) then
        id = client.id
      end
    end
    id = id or vim.lsp.start_client(client_config(root))
    if id then
      vim.lsp.buf_attach_client(bufnr, id)
    end
  end
  last_client_id = id or last_client_id
  return id
end

--- The Cairn client for `bufnr` (attached), else the one used last, else any.
function M.client(bufnr)
  local attached = compat.clients('cairn', bufnr or vim.api.nvim_get_current_buf())[1]
  if attached then
    return attached
  end
  local last = last_client_id and vim.lsp.get_client_by_id(last_client_id)
  return last or compat.clients('cairn')[1]
end

--- `workspace/executeCommand`; `callback(err_message, result)` runs on the main loop.
--- `opts.client_id` picks the client (a code action's), else the current buffer's.
function M.execute(command, args, callback, opts)
  opts = opts or {}
  local client = opts.client_id and vim.lsp.get_client_by_id(opts.client_id) or M.client(opts.bufnr)
  if not client then
    vim.schedule(function()
      callback('Cairn is not running: open a file in a workspace, or :CairnRestart')
    end)
    return
  end
  last_client_id = client.id
  local params = { command = command, arguments = { args or vim.empty_dict() } }
  local function send()
    compat.request(client, 'workspace/executeCommand', params, function(err, result)
      vim.schedule(function()
        callback(err and (err.message or tostring(err)) or nil, result)
      end)
    end)
  end
  -- A server that is still starting answers every request with "not initialized": wait for it.
  local waited = 0
  local function when_ready()
    if client.initialized then
      send()
    elseif compat.is_stopped(client) or waited >= M.start_timeout_ms then
      callback('Cairn did not start (see :LspLog, or run `cairn serve` in a terminal)')
    else
      waited = waited + 50
      vim.defer_fn(when_ready, 50)
    end
  end
  when_ready()
end

--- Stop every Cairn client (shutdown + exit); `on_stopped()` once they are gone.
function M.stop_all(on_stopped)
  local clients = compat.clients('cairn')
  for _, client in ipairs(clients) do
    compat.stop(client)
  end
  local timer = (vim.uv or vim.loop).new_timer()
  local waited = 0
  timer:start(50, 50, vim.schedule_wrap(function()
    waited = waited + 50
    local alive = 0
    for _, client in ipairs(clients) do
      if not compat.is_stopped(client) then
        alive = alive + 1
      end
    end
    if alive == 0 or waited >= 5000 then
      timer:stop()
      timer:close()
      if alive > 0 then
        for _, client in ipairs(clients) do
          compat.stop(client, true)
        end
      end
      if on_stopped then
        on_stopped()
      end
    end
  end))
end

return M
