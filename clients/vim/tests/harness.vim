" Headless tests of Cairn in a real Vim with ALE: tests run in order, TAP on stdout.
"   vim -N -u NONE -i NONE -n -es -S clients/vim/tests/ale-spec.vim
" Waits sleep, which lets Vim run job callbacks and timers as it does while a user waits.
" The spec's server is $CAIRN_PYTHON -m cairn serve with the scripted model (set up by
" tests/e2e/clients/test_vim.py).

let s:tests = []
let s:failures = []

function! CairnTestOut(line) abort
    call writefile([a:line], '/dev/stdout', 'a')
endfunction

" Define the test a:name (run in definition order): a:Body is a Funcref.
function! CairnTest(name, Body) abort
    call add(s:tests, [a:name, a:Body])
endfunction

" Fail the running test with a:what.
function! CairnFail(what) abort
    throw 'cairn-test-failed: ' . a:what
endfunction

function! CairnCheck(condition, what) abort
    if !a:condition
        call CairnFail(a:what)
    endif
endfunction

" Sleep until a:Predicate() is truthy, at most a:timeout seconds; its value. Fails with a:what.
function! CairnWait(Predicate, timeout, what) abort
    let l:deadline = reltimefloat(reltime()) + a:timeout
    while 1
        let l:value = a:Predicate()
        if !empty(l:value)
            return l:value
        endif
        if reltimefloat(reltime()) > l:deadline
            call CairnFail('timed out after ' . a:timeout . ' s waiting for ' . a:what)
        endif
        sleep 50m
    endwhile
endfunction

" Everything :messages holds.
function! CairnMessages() abort
    return execute('messages')
endfunction

" The text of every window now showing an ALE message (its preview window), joined.
function! s:PreviewText() abort
    let l:text = []
    for l:window in range(1, winnr('$'))
        let l:buffer = winbufnr(l:window)
        if getbufvar(l:buffer, '&filetype') is# 'ale-preview.message'
            call extend(l:text, getbufline(l:buffer, 1, '$'))
        endif
    endfor
    return join(l:text, "\n")
endfunction

" Everything the preview window has shown so far: ALE shows each message in the same window,
" so a message can be replaced by the next before a test looks (noted every 20 ms meanwhile).
let s:shown = []
function! s:NoteShown(...) abort
    let l:text = s:PreviewText()
    if !empty(l:text) && (empty(s:shown) || s:shown[-1] isnot# l:text)
        call add(s:shown, l:text)
    endif
endfunction
call timer_start(20, function('s:NoteShown'), {'repeat': -1})

" How many messages the preview window has shown so far.
function! CairnShownCount() abort
    call s:NoteShown()
    return len(s:shown)
endfunction

" What the preview window has shown after its first a:since messages (default: all), joined.
function! CairnShownText(...) abort
    call s:NoteShown()
    return join(s:shown[get(a:000, 0, 0) :], "\n")
endfunction

function! CairnBufferText(buffer) abort
    return join(getbufline(a:buffer, 1, '$'), "\n") . "\n"
endfunction

function! CairnRun() abort
    call CairnTestOut('# ' . split(execute('version'), "\n")[0] . ', ' . $CAIRN_VIM_CLIENT)
    let l:number = 0
    let l:failed = 0
    for [l:name, l:Body] in s:tests
        let l:number += 1
        let l:started = reltime()
        try
            call l:Body()
            call CairnTestOut('ok ' . l:number . ' - ' . l:name)
        catch
            let l:failed += 1
            call CairnTestOut('not ok ' . l:number . ' - ' . l:name)
            call CairnTestOut('# ' . v:exception . ' (' . v:throwpoint . ')')
            for l:line in split(CairnMessages(), "\n")
                call CairnTestOut('# ' . l:line)
            endfor
        endtry
        call CairnTestOut(printf('# %.1f s', reltimefloat(reltime(l:started))))
    endfor
    call CairnTestOut('1..' . l:number)
    execute (l:failed ? 'cquit 1' : 'qall!')
endfunction
