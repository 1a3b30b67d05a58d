"""`python -m cairn` is the same as the `cairn` command."""

from cairn.cli import main

raise SystemExit(main())
