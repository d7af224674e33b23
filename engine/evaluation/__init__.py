"""Evaluation: evaluators, evaluation jobs and their process, agreement, the tabular baseline, reports, exports, backtest, monitoring."""
