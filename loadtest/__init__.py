"""Load and spike scenarios for `shownotes serve --prod`; see run.py."""
