" The user's scenario in Vim with ALE: a project's mod.py and a file outside any project; a
" chat longer than 10 s that never blocks, a chat, Explain (code action and :CairnExplain), Add
" docstring (the edit lands in the buffer, then on disk when saved), a dismissed approval.
" Set by the pytest: CAIRN_PYTHON, CAIRN_VIM_PROJECT (holds mod.py), CAIRN_VIM_LOOSE (loose.py),
" and the scripted model's variables. What the model was sent is checked by the pytest.

let s:here = expand('<sfile>:p:h')
execute 'source ' . fnameescape(s:here . '/harness.vim')
set nocompatible hidden
set runtimepath^=/usr/share/vim-ale
execute 'set runtimepath^=' . fnameescape(fnamemodify(s:here, ':h'))
filetype plugin indent on
runtime plugin/ale.vim
runtime plugin/cairn.vim
let g:ale_linters = {'python': ['cairn']}
let g:ale_linters_explicit = 1
let g:cairn_python = $CAIRN_PYTHON
let g:cairn_settings = {'trusted': v:true, 'approvalTimeout': 1}

" How the user answers prompts in this test: ALE's code-action menu (it types the number of
" the action titled s:pick) and Cairn's approval prompt (s:approval_answer: -1 is Esc).
runtime autoload/ale/util.vim
let s:pick = ''
function! ale#util#Input(message, default) abort
    let l:number = matchstr(a:message, '\v(\d+)\) \V' . escape(s:pick, '\') . '\v\n@=')
    call CairnCheck(!empty(l:number), 'the menu offers ' . s:pick . ': ' . a:message)
    return matchstr(l:number, '\d\+')
endfunction
runtime autoload/cairn.vim
let s:asked = ''
function! cairn#Choose(message, titles) abort
    let s:asked = a:message
    return -1
endfunction

let s:mod = $CAIRN_VIM_PROJECT . '/mod.py'
let s:source = "def add(a, b):\n    return a + c\n"

function! s:Open(file) abort
    execute 'edit ' . fnameescape(a:file)
    let l:buffer = bufnr('')
    call CairnWait({-> !empty(cairn#ConnectionFor(l:buffer))
    \   && ale#lsp#GetConnections()[cairn#ConnectionFor(l:buffer)].initialized}, 60, 'Cairn to start for ' . a:file)
    return l:buffer
endfunction

" The run id a chat or explanation started with, from its message.
function! s:Started(before) abort
    return CairnWait({-> matchstr(CairnMessages()[a:before :], 'started (run \zs\x\+\ze)')}, 30, 'the run to start')
endfunction

function! s:Chat(prompt) abort
    let s:mark = CairnShownCount()
    let l:before = len(CairnMessages())
    execute 'CairnChat ' . a:prompt
    return s:Started(l:before)
endfunction

" Wait until a:text is shown in a message that came after the latest request (s:mark).
function! s:WaitShown(text) abort
    call CairnWait({-> stridx(CairnShownText(s:mark), a:text) >= 0}, 60, string(a:text) . ' to be shown')
    if !empty(s:long_run) && s:Status(s:long_run) is# 'running'
        call add(s:seen_while_long, a:text)
    endif
endfunction

" A run's status from mod.py's server (cairn.result, asked without blocking).
function! s:Status(run_id) abort
    let l:answer = {}
    let l:current = bufnr('')
    execute 'buffer ' . s:buffer
    call cairn#Execute('cairn.result', {'runId': a:run_id}, {run -> extend(l:answer, {'status': run.status})})
    execute 'buffer ' . l:current
    return CairnWait({-> get(l:answer, 'status', '')}, 30, 'cairn.result')
endfunction

function! s:CodeAction(first, last, title) abort
    let s:mark = CairnShownCount()
    let s:pick = a:title
    call setpos("'<", [0, a:first, 1, 0])
    call setpos("'>", [0, a:last, len(getline(a:last)), 0])
    execute a:first . ',' . a:last . 'ALECodeAction'
endfunction

let s:long_run = ''
let s:mark = 0
let s:long_started = 0
let s:seen_while_long = []

function! s:Connects() abort
    " the file outside any project first, so that its server starts (and imports the model
    " library) alongside
    let s:loose = s:Open($CAIRN_VIM_LOOSE . '/loose.py')
    let s:buffer = s:Open(s:mod)
    call CairnCheck(&filetype is# 'python', 'mod.py is a Python buffer')
    call CairnCheck(cairn#ConnectionFor(s:loose) isnot# cairn#ConnectionFor(s:buffer), 'a server per root')
endfunction

function! s:LongRunStarts() abort
    let s:long_started = reltimefloat(reltime())
    let s:long_run = s:Chat('Take your time')
    call CairnCheck(s:Status(s:long_run) is# 'running', 'the slow chat is running')
    let l:before = len(CairnMessages())
    CairnNewSession
    call CairnWait({-> stridx(CairnMessages()[l:before :], 'Cairn: new session') >= 0}, 30, 'the new session')
endfunction

function! s:ChatAnswer() abort
    call s:Chat('Say hello')
    call s:WaitShown('Hello, world.')
endfunction

" An edit from a chat, before any :ALECodeAction (whose handler would apply it): Cairn's plugin
" applies it and tells the server; the file changes when the user saves.
function! s:ChatEdit() abort
    call s:Chat('Print a sum')
    let l:want = s:source . "\n\nprint(add(1, 2))\n"
    call CairnWait({-> CairnBufferText(s:buffer) is# l:want}, 60, 'the print in the buffer')
    call CairnCheck(getbufvar(s:buffer, '&modified'), 'the buffer is modified')
    call CairnCheck(join(readfile(s:mod), "\n") . "\n" is# s:source, 'the file is unchanged until saved')
    call s:WaitShown('Added a print.')
    write
    call CairnCheck(join(readfile(s:mod), "\n") . "\n" is# l:want, 'the saved file has the print')
endfunction

function! s:ExplainCodeAction() abort
    call s:CodeAction(1, 2, 'Cairn: Explain this code')
    call s:WaitShown('It adds a to an undefined name c.')
endfunction

function! s:ExplainCommand() abort
    let s:mark = CairnShownCount()
    let l:before = len(CairnMessages())
    1,2CairnExplain
    call s:Started(l:before)
    call s:WaitShown('It adds a to an undefined name c.')
endfunction

function! s:DocstringEdit() abort
    call s:CodeAction(1, 1, 'Cairn: Add docstring')
    let l:saved = s:source . "\n\nprint(add(1, 2))\n"
    let l:want = "def add(a, b):\n    \"\"\"Add a and c.\"\"\"\n    return a + c\n\n\nprint(add(1, 2))\n"
    call CairnWait({-> CairnBufferText(s:buffer) is# l:want}, 60, 'the docstring in the buffer')
    call CairnCheck(getbufvar(s:buffer, '&modified'), 'the buffer is modified')
    call CairnCheck(join(readfile(s:mod), "\n") . "\n" is# l:saved, 'the file is unchanged until saved')
    call s:WaitShown('Added a docstring.')
    execute 'buffer ' . s:buffer
    write
    call CairnCheck(join(readfile(s:mod), "\n") . "\n" is# l:want, 'the saved file has the docstring')
endfunction

function! s:DismissedApproval() abort
    call s:Chat('Clean the build')
    call s:WaitShown('I did not run it.')
    call CairnCheck(s:asked =~# 'Cairn wants to run `touch cleaned.txt`', 'asked: ' . s:asked)
    call CairnCheck(!filereadable($CAIRN_VIM_PROJECT . '/cleaned.txt'), 'nothing ran')
endfunction

function! s:FileOutsideAnyProject() abort
    execute 'buffer ' . s:loose
    call s:Chat('What is VALUE?')
    call s:WaitShown('VALUE is seven.')
    execute 'buffer ' . s:buffer
endfunction

function! s:LongRunEnds() abort
    call CairnWait({-> stridx(CairnShownText(), 'Slow and steady.') >= 0}, 60, 'the slow answer (any time)')
    call CairnCheck(reltimefloat(reltime()) - s:long_started > 10, 'the slow run took longer than 10 s')
    call CairnCheck(s:Status(s:long_run) is# 'done', 'the slow run is done')
    call CairnCheck(index(s:seen_while_long, 'Hello, world.') >= 0, 'a chat was answered meanwhile')
    call CairnCheck(CairnMessages() !~? 'timed\? \?out\|error', 'no timeout or error: ' . CairnMessages())
endfunction

function! s:Shutdown() abort
    let l:jobs = map(values(ale#lsp#GetConnections()), 'v:val.job_id')
    call ale#lsp#StopAll()
    call CairnWait({-> empty(filter(map(copy(l:jobs), 'ale#job#IsRunning(v:val)'), 'v:val'))}, 30, 'the servers to end')
endfunction

call CairnTest('cairn-ale-connects', function('s:Connects'))
call CairnTest('cairn-ale-long-run-starts', function('s:LongRunStarts'))
call CairnTest('cairn-ale-chat-answer', function('s:ChatAnswer'))
call CairnTest('cairn-ale-chat-edit', function('s:ChatEdit'))
call CairnTest('cairn-ale-explain-code-action', function('s:ExplainCodeAction'))
call CairnTest('cairn-ale-explain-command', function('s:ExplainCommand'))
call CairnTest('cairn-ale-docstring-edit', function('s:DocstringEdit'))
call CairnTest('cairn-ale-dismissed-approval', function('s:DismissedApproval'))
call CairnTest('cairn-ale-file-outside-any-project', function('s:FileOutsideAnyProject'))
call CairnTest('cairn-ale-long-run-ends', function('s:LongRunEnds'))
call CairnTest('cairn-ale-shutdown', function('s:Shutdown'))
call CairnRun()
