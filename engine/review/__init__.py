"""Review: analysts' feedback on grades and retraining with it."""
