"""`python -m workbench` runs the command-line interface, its files private to the user."""

from store.home import private_umask
from workbench.cli.core import main

private_umask()
raise SystemExit(main())
