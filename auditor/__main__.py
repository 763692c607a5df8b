"""`python -m auditor ...`: the command line (the scheduler starts each audit this way, in a fresh process)."""

from auditor.cli import main

main()
