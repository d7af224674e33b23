"""The CLI's argument parsers, one module per command group, free of engine imports."""
