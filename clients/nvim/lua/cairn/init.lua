-- Cairn for Neovim: require('cairn').setup{} starts Cairn's language server for each buffer's
-- workspace root and adds :CairnChat, :CairnExplain, :CairnCancel, :CairnConsolidate,
-- :CairnMemory, :CairnSkills and friends. Code actions come through vim.lsp.buf.code_action().
local M = {}

--- Configure Cairn (see config.lua for the options); raises a readable error on bad options.
function M.setup(opts)
  local config = require('cairn.config')
  local resolved = config.resolve(opts)
  local server = require('cairn.server')
  server.configure(resolved)
  local chat = require('cairn.chat')
  require('cairn.streams').set_fallback(function(stream_id)
    return chat.sink('Cairn (' .. stream_id:sub(1, 8) .. ')')
  end)
  require('cairn.commands').create()
  local group = vim.api.nvim_create_augroup('cairn', { clear = true })
  if resolved.autostart then
    vim.api.nvim_create_autocmd('FileType', {
      group = group,
      pattern = resolved.filetypes or '*',
      callback = function(args)
        if vim.bo[args.buf].buftype == '' and vim.api.nvim_buf_get_name(args.buf) ~= '' then
          server.start(args.buf)
        end
      end,
      desc = 'Start Cairn for this buffer',
    })
  end
  M.options = resolved
  return resolved
end

--- Start (or reuse) the server for a buffer (default: the current one); returns the client id.
function M.start(bufnr)
  return require('cairn.server').start(bufnr)
end

--- Ask Cairn; the answer streams into the chat view.
function M.chat(prompt, context)
  return require('cairn.chat').ask(prompt, context)
end

--- Run any server command: `callback(err, result)`.
function M.execute(command, args, callback)
  return require('cairn.server').execute(command, args, callback)
end

return M
