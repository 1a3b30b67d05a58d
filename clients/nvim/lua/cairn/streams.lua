-- Routing `cairn/stream` events to the view that asked for them. The client picks the stream
-- id before sending the command, so events arriving before the response already have a home;
-- events for ids nobody opened (a server-made id) go to the fallback view.
--
-- A sink is a table of functions: text(s), status(s), error(s), and optional done(outcome).
local M = {}

local routes = {}
local fallback = nil

--- Route `stream_id`'s events to `sink` until `done`.
function M.open(stream_id, sink)
  if routes[stream_id] then
    error('cairn: stream ' .. stream_id .. ' is already open')
  end
  routes[stream_id] = { sink = sink, outcome = { stream_id = stream_id, text = '', errors = {}, done = false } }
  return routes[stream_id].outcome
end

--- Stop routing `stream_id` (a failed command never sends `done`).
function M.close(stream_id)
  local route = routes[stream_id]
  routes[stream_id] = nil
  if route and route.sink.done then
    route.sink.done(route.outcome)
  end
end

--- `make_sink(stream_id)` makes a sink for streams nobody opened.
function M.set_fallback(make_sink)
  fallback = make_sink
end

local KINDS = { text = true, status = true, error = true, done = true }

--- Handle the params of one `cairn/stream` notification; malformed params are ignored.
function M.dispatch(params)
  if type(params) ~= 'table' or type(params.streamId) ~= 'string' or not KINDS[params.kind] then
    return
  end
  local id = params.streamId
  local route = routes[id]
  if not route and fallback and params.kind ~= 'done' then
    M.open(id, fallback(id))
    route = routes[id]
  end
  if not route then
    return
  end
  local text = type(params.text) == 'string' and params.text or ''
  if params.kind == 'text' then
    route.outcome.text = route.outcome.text .. text
    route.sink.text(text)
  elseif params.kind == 'status' then
    route.sink.status(text)
  elseif params.kind == 'error' then
    table.insert(route.outcome.errors, text)
    route.sink.error(text)
  else
    route.outcome.done = true
    M.close(id)
  end
end

--- Ids of the streams currently open.
function M.open_streams()
  local ids = {}
  for id in pairs(routes) do
    table.insert(ids, id)
  end
  table.sort(ids)
  return ids
end

return M
