"""The offline skill trainer (`cairn skills train`). Never imported by the language server."""
