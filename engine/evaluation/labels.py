"""Bilingual names of what an evaluation measures, shared by the HTML report
(`engine.evaluation.report_html`) and the app's pages (`workbench.i18n`), so both say the same."""

from __future__ import annotations

# key -> (Korean, English)
LABELS: dict[str, tuple[str, str]] = {
    "evaluator": ("평가자", "Evaluator"),
    "funds": ("펀드 수", "Funds"),
    "exact": ("정확 일치", "Exact"),
    "qwk": ("QWK", "QWK"),
    "consistency": ("일관성", "Consistency"),
    "run": ("실행", "Run"),
    "state": ("상태", "State"),
    "device": ("장치", "Device"),
}
