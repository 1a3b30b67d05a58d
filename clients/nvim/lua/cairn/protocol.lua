-- The contract with the Cairn server, mirrored from server/commands.py (the test suite's
-- tests/e2e/clients/test_protocol_sync.py fails when they drift apart).
local M = {}

M.STREAM_NOTIFICATION = 'cairn/stream'
-- The initializationOptions key that opts in to `cairn/stream` (without it the server shows
-- answers with window/showDocument and window/showMessage instead).
M.STREAM_OPT_IN = 'streamNotifications'

M.commands = {
  status = 'cairn.status',
  chat = 'cairn.chat',
  run_action = 'cairn.runAction',
  cancel = 'cairn.cancel',
  result = 'cairn.result',
  new_session = 'cairn.newSession',
  memory_consolidate = 'cairn.memory.consolidate',
  memory_show = 'cairn.memory.show',
  memory_search = 'cairn.memory.search',
  memory_forget = 'cairn.memory.forget',
  skills_list = 'cairn.skills.list',
  skills_open = 'cairn.skills.open',
  skills_eval = 'cairn.skills.eval',
  skills_eval_result = 'cairn.skills.evalResult',
}

-- Server setting keys (README's settings table).
M.setting_keys = {
  'model', 'apiBase', 'apiKey', 'actionProtocol', 'contextWindow', 'memoryPath', 'trusted',
  'shell', 'shellTimeout', 'approvalTimeout', 'maxSteps', 'requestTimeout', 'logLevel',
}

-- Keys a workspace may set only once trusted: sent at start-up only while untrusted.
M.sensitive = { model = true, apiBase = true, apiKey = true, memoryPath = true, shell = true }

return M
