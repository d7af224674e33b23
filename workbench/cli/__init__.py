"""The command line, `python -m workbench`: one module per command group."""
