" Cairn as an ALE linter (ALE's LSP client), plus what ALE lacks: answering the server's
" requests (workspace/applyEdit, window/showMessageRequest), a chat and an explain command.

" The initializationOptions key saying that this plugin answers workspace/applyEdit (ALE
" declares applyEdit: false and offers no way to declare otherwise).
let s:APPLY_EDITS_OPT_IN = 'applyEdits'

" The ALE linter definition of Cairn (ale_linters/python/cairn.vim): `python -m cairn serve`
" with g:cairn_python, else `cairn serve` from PATH; g:cairn_settings go in initializationOptions.
function! cairn#Linter() abort
    let l:python = get(g:, 'cairn_python', '')
    " Cairn's answers and one-line results are Info messages; ALE shows only errors by default
    if get(g:, 'ale_lsp_show_message_severity', 'error') is# 'error'
        let g:ale_lsp_show_message_severity = 'information'
    endif
    return {
    \   'name': 'cairn',
    \   'lsp': 'stdio',
    \   'executable': empty(l:python) ? 'cairn' : l:python,
    \   'command': empty(l:python) ? '%e serve' : '%e -m cairn serve',
    \   'project_root': function('cairn#ProjectRoot'),
    \   'initialization_options': {
    \       'settings': get(g:, 'cairn_settings', {}),
    \       s:APPLY_EDITS_OPT_IN: v:true,
    \   },
    \}
endfunction

" The buffer's git repository, else its folder (ALE starts no server without a root).
function! cairn#ProjectRoot(buffer) abort
    let l:file = fnamemodify(bufname(a:buffer), ':p')
    let l:git = finddir('.git', fnamemodify(l:file, ':h') . ';')
    if empty(l:git)
        let l:git = findfile('.git', fnamemodify(l:file, ':h') . ';')
    endif
    return empty(l:git) ? fnamemodify(l:file, ':h') : fnamemodify(l:git, ':p:h:h')
endfunction

" ALE's connections that are Cairn's (started with this plugin's initializationOptions).
function! s:Connections() abort
    return filter(copy(ale#lsp#GetConnections()),
    \   {_, conn -> type(get(conn, 'init_options', 0)) is v:t_dict
    \       && get(conn.init_options, s:APPLY_EDITS_OPT_IN, v:false) is v:true})
endfunction

" The id of the Cairn connection that has a:buffer open, or ''.
function! cairn#ConnectionFor(buffer) abort
    for [l:id, l:conn] in items(s:Connections())
        if has_key(l:conn.open_documents, a:buffer)
            return l:id
        endif
    endfor
    return ''
endfunction

" Handle the server's requests on every Cairn connection (called when ALE starts one).
function! cairn#Attach() abort
    for l:id in keys(s:Connections())
        call ale#lsp#RegisterCallback(l:id, function('cairn#HandleMessage'))
    endfor
endfunction

function! cairn#Say(text) abort
    echomsg 'Cairn: ' . a:text
endfunction

" Send a JSON-RPC response (ALE only sends requests and notifications).
function! s:Respond(conn_id, id, result) abort
    let l:conn = get(ale#lsp#GetConnections(), a:conn_id, {})
    if !has_key(l:conn, 'job_id')
        return
    endif
    let l:body = json_encode({'jsonrpc': '2.0', 'id': a:id, 'result': a:result})
    call ale#job#SendRaw(l:conn.job_id, 'Content-Length: ' . len(l:body) . "\r\n\r\n" . l:body)
endfunction

" Ask the user to pick one of a:titles after a:message: the index, or -1 when dismissed.
" (A function of its own so that tests can answer as a user would.)
function! cairn#Choose(message, titles) abort
    let l:choices = map(copy(a:titles), {index, title -> '&' . (index + 1) . ' ' . title})
    return confirm(a:message, join(l:choices, "\n"), 0) - 1
endfunction

function! cairn#HandleMessage(conn_id, message) abort
    let l:method = get(a:message, 'method', '')
    if !has_key(a:message, 'id') || empty(l:method)
        return
    endif
    if l:method is# 'workspace/applyEdit'
        call s:ApplyEdit(a:conn_id, a:message)
    elseif l:method is# 'window/showMessageRequest'
        let l:params = a:message.params
        let l:actions = get(l:params, 'actions', [])
        let l:index = cairn#Choose(l:params.message, map(copy(l:actions), 'v:val.title'))
        call s:Respond(a:conn_id, a:message.id, l:index < 0 ? v:null : l:actions[l:index])
    elseif l:method is# 'window/workDoneProgress/create'
        call s:Respond(a:conn_id, a:message.id, v:null)
    endif
endfunction

function! s:ApplyEdit(conn_id, message) abort
    let l:conn = get(ale#lsp#GetConnections(), a:conn_id, {})
    " after :ALECodeAction, ALE's own handler applies every applyEdit it sees (and answers none)
    let l:ale_applies = index(get(l:conn, 'callback_list', []), function('ale#codefix#HandleLSPResponse')) >= 0
    let l:applied = v:true
    try
        if !l:ale_applies
            let l:changes = ale#code_action#BuildChangesList(ale#code_action#GetChanges(a:message.params.edit))
            for l:change in l:changes
                call ale#code_action#ApplyChanges(l:change.fileName, l:change.textChanges, {'conn_id': a:conn_id})
            endfor
        endif
    catch
        let l:applied = v:false
        call cairn#Say('the edit could not be applied: ' . v:exception)
    endtry
    " tell the server what the buffers hold now (ALE's handler does not)
    for l:buffer in keys(get(l:conn, 'open_documents', {}))
        call ale#lsp#NotifyForChanges(a:conn_id, str2nr(l:buffer))
    endfor
    call s:Respond(a:conn_id, a:message.id, {'applied': l:applied})
endfunction

" Send Cairn's a:command with a:arguments (a dict) for the current buffer without waiting;
" a:OnResult is called with the result.
function! cairn#Execute(command, arguments, OnResult) abort
    let l:buffer = bufnr('')
    let l:conn_id = cairn#ConnectionFor(l:buffer)
    if !empty(l:conn_id)
        " the server must see edits ALE has not sent yet
        call ale#lsp#NotifyForChanges(l:conn_id, l:buffer)
    endif
    call ale#lsp_linter#SendRequest(l:buffer, 'cairn',
    \   ale#lsp#message#ExecuteCommand(a:command, [a:arguments]),
    \   {response -> s:OnResponse(a:command, response, a:OnResult)})
endfunction

function! s:OnResponse(command, response, OnResult) abort
    if has_key(a:response, 'error')
        call cairn#Say(a:command . ' failed: ' . get(a:response.error, 'message', ''))
    else
        call a:OnResult(get(a:response, 'result', v:null))
    endif
endfunction

function! s:Started(what) abort
    return {result -> cairn#Say(a:what . ' started (run ' . get(result, 'runId', '?')
    \   . '); the answer will show when it is ready.')}
endfunction

function! s:Uri() abort
    return ale#path#ToFileURI(expand('%:p'))
endfunction

" :CairnChat {prompt}
function! cairn#Chat(prompt) abort
    call cairn#Execute('cairn.chat', {'prompt': a:prompt, 'uri': s:Uri()}, s:Started('chat'))
endfunction

" :[range]CairnExplain: explain lines a:first..a:last.
function! cairn#Explain(first, last) abort
    let l:range = {'start': {'line': a:first - 1, 'character': 0},
    \              'end': {'line': a:last, 'character': 0}}
    call cairn#Execute('cairn.runAction', {'action': 'explain', 'uri': s:Uri(), 'range': l:range},
    \   s:Started('explanation'))
endfunction

" :CairnResult: the latest run's transcript, opened in a split.
function! cairn#Result() abort
    call cairn#Execute('cairn.result', {}, function('s:ShowResult'))
endfunction

function! s:ShowResult(run) abort
    let l:transcript = get(a:run, 'transcript', v:null)
    if type(l:transcript) is v:t_string && filereadable(l:transcript)
        execute 'split ' . fnameescape(l:transcript)
    else
        call cairn#Say(get(a:run, 'status', '') . ': ' . get(a:run, 'text', ''))
    endif
endfunction
