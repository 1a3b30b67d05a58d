-- Differences between Neovim 0.7 and 0.11 in one place, so the other modules read the same
-- on both: method-call clients (0.11), vim.lsp.start (0.8+), get_clients (0.10+).
local M = {}

M.has_start = vim.lsp.start ~= nil -- 0.8+
M.method_calls = vim.fn.has('nvim-0.11') == 1 -- client:request() instead of client.request()

--- Send a request through `client`; returns (ok, request_id).
function M.request(client, method, params, handler, bufnr)
  if M.method_calls then
    return client:request(method, params, handler, bufnr)
  end
  return client.request(method, params, handler, bufnr)
end

function M.notify(client, method, params)
  if M.method_calls then
    return client:notify(method, params)
  end
  return client.notify(method, params)
end

function M.stop(client, force)
  if M.method_calls then
    return client:stop(force)
  end
  return client.stop(force)
end

function M.is_stopped(client)
  if M.method_calls then
    return client:is_stopped()
  end
  return client.is_stopped()
end

--- Clients named `name` (optionally attached to `bufnr`).
function M.clients(name, bufnr)
  if vim.lsp.get_clients then
    return vim.lsp.get_clients({ name = name, bufnr = bufnr })
  end
  local found = {}
  local source = bufnr and vim.lsp.buf_get_clients(bufnr) or vim.lsp.get_active_clients()
  for _, client in pairs(source) do
    if client.name == name then
      table.insert(found, client)
    end
  end
  return found
end

local uv = vim.uv or vim.loop

--- A random (version 4) UUID: the id of a stream, chosen by the client.
function M.uuid()
  local bytes = {}
  for i = 1, 16 do
    bytes[i] = math.random(0, 255)
  end
  bytes[7] = bit.bor(bit.band(bytes[7], 0x0f), 0x40)
  bytes[9] = bit.bor(bit.band(bytes[9], 0x3f), 0x80)
  local hex = {}
  for i, byte in ipairs(bytes) do
    hex[#hex + 1] = string.format('%02x', byte)
    if i == 4 or i == 6 or i == 8 or i == 10 then
      hex[#hex + 1] = '-'
    end
  end
  return table.concat(hex)
end
math.randomseed(tonumber(tostring(uv.hrtime()):sub(-9)) + uv.os_getpid())

--- The nearest ancestor of `path` (a file or directory) holding one of `markers`, else nil.
function M.find_root(path, markers)
  local dir = vim.fn.fnamemodify(path, ':p')
  if vim.fn.isdirectory(dir) == 0 then
    dir = vim.fn.fnamemodify(dir, ':h')
  end
  dir = dir:gsub('/$', '')
  while dir ~= '' do
    for _, marker in ipairs(markers) do
      if uv.fs_stat(dir .. '/' .. marker) then
        return dir
      end
    end
    local parent = vim.fn.fnamemodify(dir, ':h')
    if parent == dir then
      break
    end
    dir = parent
  end
  return nil
end

return M
