" Cairn as an ALE linter for Python (ALE loads ale_linters/FILETYPE/*.vim when it first lints
" such a buffer). Another filetype: the same line in ale_linters/FILETYPE/cairn.vim.
call ale#linter#Define('python', cairn#Linter())
