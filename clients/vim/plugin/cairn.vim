" Cairn in Vim, through ALE's LSP client: the commands ALE has no equivalent for.
" Setup (vimrc): put this folder on the runtimepath, let g:cairn_python = '/path/to/.venv/bin/python'
" and add 'cairn' to g:ale_linters for Python (README.md).
if exists('g:loaded_cairn')
    finish
endif
let g:loaded_cairn = 1

command! -nargs=+ CairnChat call cairn#Chat(<q-args>)
command! -range CairnExplain call cairn#Explain(<line1>, <line2>)
command! CairnResult call cairn#Result()
command! CairnCancel call cairn#Execute('cairn.cancel', {}, {-> cairn#Say('cancelled')})
command! CairnNewSession call cairn#Execute('cairn.newSession', {}, {-> cairn#Say('new session')})

augroup cairn
    autocmd!
    " ALE cannot answer a server's requests: Cairn's handler does, once a connection is up
    autocmd User ALELSPStarted call cairn#Attach()
augroup END
