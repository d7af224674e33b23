"""Files the workbench writes: safe targets and formula-safe tables."""
