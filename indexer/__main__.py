"""`python -m indexer` is the `shownotes` command line."""

from .cli import main

main()
