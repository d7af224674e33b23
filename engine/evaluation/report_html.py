"""The comparison report's HTML: `render(data, lang)` turns `engine.evaluation.report.report_data` into one
self-contained page (plotly.js inlined once; no network needed to open it), in Korean or
English. Figures are formatted by `pct` (one decimal) and `num` (three decimals).
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Any

from engine.evaluation.labels import LABELS

GRADE_COLUMNS = ("1", "2", "3", "4", "5", "invalid")

# key -> (Korean, English)
TEXT: dict[str, tuple[str, str]] = {
    "title": ("평가자 비교 보고서", "Evaluator comparison report"),
    "made": ("작성: {when} · 평가 {ids}", "Made {when} · evaluations {ids}"),
    "synthetic": (
        "합성 데모 데이터 — 실제 펀드가 아닙니다. 수치는 방법을 보여줄 뿐 투자 판단에 쓰지 마십시오.",
        "Synthetic demo data — generated, not real funds. The figures show the method only; "
        "do not use them for investment decisions.",
    ),
    "as_of_differs": (
        "주의: 평가 기준일이 서로 다릅니다. 각 평가는 자기 기준일의 전문가 등급과 비교했습니다.",
        "Note: the evaluations have different rating dates; each is compared with the experts' "
        "grades at its own date.",
    ),
    "methodology_differs": (
        "주의: 평가마다 방법론 버전이 다릅니다.",
        "Note: the evaluations use different methodology versions.",
    ),
    "training_note": (
        "비교한 펀드 {total}개 중 {n}개는 {run}의 학습용 펀드입니다. 이 펀드에서 {run}에서 나온 평가자의 "
        "수치는 학습한 데이터로 잰(in-sample) 수치입니다. 공정한 비교는 시험용(held-out) 펀드로 하십시오.",
        "{n} of the {total} compared funds are in {run}'s training split: on them, the figures of "
        "evaluators from {run} are in-sample (measured on funds they learned from). Compare on "
        "held-out test funds for a fair figure.",
    ),
    "training_unknown": (
        "{run}의 학습 분할을 읽을 수 없어, 비교한 펀드 중 학습용 펀드가 몇 개인지 알 수 없습니다.",
        "{run}'s training split cannot be read: how many of the compared funds it trained on is "
        "unknown.",
    ),
    "verdict": ("요약", "Verdict"),
    "verdict_best": (
        "{n}개 펀드(모든 평가자가 같은 펀드)에서 전문가 등급과 가장 잘 맞는 평가자는 {best}입니다 "
        "(QWK {qwk}, 정확 일치 {exact}).",
        "On the same {n} funds for every evaluator, {best} agrees best with the experts "
        "(QWK {qwk}, exact agreement {exact}).",
    ),
    "verdict_beats": (
        "95% 신뢰구간이 겹치지 않아 분명히 앞서는 상대: {names}.",
        "Its 95 % interval clearly beats: {names}.",
    ),
    "verdict_ties": (
        "신뢰구간이 겹쳐 이 데이터로는 구별할 수 없는 상대: {names}.",
        "Not distinguishable from it on this data (intervals overlap): {names}.",
    ),
    "verdict_invalid": (
        "답의 절반 이상이 읽을 수 없는 평가자: {names}.",
        "More than half of the answers cannot be read for: {names}.",
    ),
    "verdict_none": ("비교할 수 있는 QWK가 없습니다.", "No evaluator has a defined QWK."),
    "verdict_training": (
        "주의: {best}의 수치에는 학습용 펀드 {n}개가 들어 있습니다.",
        "Note: {best}'s figures include {n} of its training funds.",
    ),
    "agreement": ("전문가 등급과의 일치", "Agreement with the experts"),
    "col_evaluator": LABELS["evaluator"],
    "col_kind": ("종류", "Kind"),
    "col_n": LABELS["funds"],
    "col_exact": LABELS["exact"],
    "col_within": ("±1 등급 이내", "Within one"),
    "col_mae": ("MAE", "MAE"),
    "col_qwk": LABELS["qwk"],
    "col_spearman": ("스피어만", "Spearman"),
    "col_invalid": ("읽을 수 없는 답", "Invalid outputs"),
    "col_consistency": LABELS["consistency"],
    "col_self": ("자기 일관성", "Self-consistency"),
    "col_latency": ("답당 ms", "ms per answer"),
    "col_training": ("학습용 펀드", "Training funds"),
    "training_cell": ("{n}개 포함", "includes {n}"),
    "training_cell_unknown": ("알 수 없음", "unknown"),
    "consistency_help": (
        "일관성: 답의 등급이 그 답의 세부 점수에 방법론 규칙을 적용한 등급과 같은 비율 (읽을 수 없거나 "
        "세부 점수가 없는 답은 불일치). 자기 일관성: 펀드마다 k개 답 중 가장 많은 등급의 비율 (k>1일 때만).",
        "Consistency: share of answers whose grade equals what the methodology gives the answer's "
        "own sub-scores (an invalid answer or one without sub-scores is not consistent). "
        "Self-consistency: share of a fund's k answers giving its most frequent grade (k > 1 only).",
    ),
    "ci_help": (
        "괄호 안은 펀드를 {n_boot}번 재표집한 부트스트랩 95% 구간(시드 {seed})입니다.",
        "Brackets: bootstrap 95 % interval, {n_boot} resamples of the funds (seed {seed}).",
    ),
    "fig_qwk": ("QWK와 95% 구간", "QWK with its 95 % interval"),
    "fig_rates": ("정확 일치 · ±1 이내 · 읽을 수 없는 답", "Exact · within one · invalid"),
    "distribution": ("예측 등급 분포", "Predicted-grade distribution"),
    "expert": ("전문가", "Experts"),
    "confusion": (
        "혼동 행렬 (행: 전문가, 열: 평가자)",
        "Confusion matrices (rows: expert, columns: evaluator)",
    ),
    "invalid": ("읽을 수 없음", "invalid"),
    "cost": ("학습 비용", "Training cost"),
    "cost_none": (
        "학습 실행에서 나온 평가자가 없습니다.",
        "No evaluator comes from a training run.",
    ),
    "col_run": LABELS["run"],
    "col_algorithm": ("알고리즘", "Algorithm"),
    "col_state": LABELS["state"],
    "col_device": LABELS["device"],
    "col_wall": ("전체 시간 (s)", "Wall time (s)"),
    "col_sps": ("RL 단계당 s", "s per RL step"),
    "col_rl_steps": ("RL 단계", "RL steps"),
    "col_sft_steps": ("예열 단계", "Warm-up steps"),
    "col_memory": ("최대 메모리 (MB)", "Peak memory (MB)"),
    "settings": ("실행 설정 비교", "Run settings side by side"),
    "col_setting": ("설정", "Setting"),
    "data": ("데이터", "Data"),
    "data_funds": (
        "비교한 펀드: {n} (모든 평가자가 등급을 매기고 전문가가 평가한 펀드)",
        "Funds compared: {n} (graded by every evaluator and rated by the experts)",
    ),
    "data_hash": (
        "비교 데이터 해시 (펀드·기준일·전문가 등급): {sha}",
        "Hash of the compared data (fund, date, expert grade): {sha}",
    ),
    "snapshot_hash": (
        "{run} 학습 데이터 스냅샷 해시: {sha}",
        "{run} training snapshot hash: {sha}",
    ),
    "invalid_rule": (
        "읽을 수 없는 답은 불일치로 셉니다: 정확 일치와 ±1 이내에서는 틀린 답으로, MAE·QWK·스피어만에서는 "
        "전문가 등급에서 가장 먼 등급(전문가가 3 이상이면 1, 아니면 5)으로 바꿉니다.",
        "Invalid answers: {rule}",
    ),
    "ppo": ("PPO를 비교하지 않는 이유", "Why PPO is not compared"),
    "ppo_text": (
        "PPO는 정책 모델 옆에 가치(value) 모델을 하나 더 학습해 기준선을 추정합니다. TRL 1.16에는 PPO "
        "트레이너가 더 이상 없습니다(trl.experimental에도 없음). GRPO와 RLOO는 같은 펀드에 대한 다른 답들의 "
        "보상으로 기준선을 잡으므로 가치 모델이 필요 없고, 같은 데이터·보상·예산으로 공정하게 비교할 수 "
        "있습니다. 그래서 이 보고서의 두 번째 RL 방법은 RLOO입니다.",
        "PPO estimates its baseline with a learned value model, a second network trained beside "
        "the policy. TRL 1.16 no longer ships a PPO trainer (not in trl.experimental either). "
        "GRPO and RLOO take their baseline from the rewards of the other answers to the same "
        "fund, need no value model, and so compare fairly on identical data, rewards and budget: "
        "RLOO is the second RL method of this report.",
    ),
    "ceiling_label": ("상한 (데모 전용)", "Ceiling (demo only)"),
    "ceiling_kind": ("데모", "demo"),
    "ceiling_help": (
        "상한 (데모 전용): 합성 데모가 숨겨 둔 등급, 곧 문서화된 방법론에 분석가들의 숨은 습관을 더하고 "
        "관대함과 잡음은 뺀 등급입니다. 이 데모에서 어떤 평가자든 닿을 수 있는 최선이며, 합성 데모만 알 수 "
        "있습니다. 하우스가 쓸 수 있는 평가자가 아니므로 요약(순위)에서 뺐습니다.",
        "Ceiling (demo only): the grade the synthetic demo keeps hidden, the written method plus "
        "the analysts' hidden habits without their leniency and noise: the best any evaluator can "
        "reach on this demo. Only the synthetic demo knows it; it is not an evaluator the house "
        "can use, so the verdict leaves it out.",
    ),
    "verdict_ceiling": (
        "참고: 데모의 상한(데모 전용, 평가자가 아님)은 이 펀드에서 QWK {qwk}, 정확 일치 {exact}입니다.",
        "For reference, the demo's ceiling (demo only, not an evaluator) reaches QWK {qwk}, "
        "exact agreement {exact} on these funds.",
    ),
    "ceiling_no_file": (
        "데모 상한 행 없음: 상한 파일이 없습니다(이 기능 이전에 만든 데모). 데모를 다시 만들면 보입니다.",
        "No demo ceiling row: its file is missing (a demo built before the ceiling was recorded); "
        "rebuild the demo to see it.",
    ),
    "ceiling_dates": (
        "데모 상한 행 없음: 평가 기준일이 서로 달라 한 날짜의 상한과 비교할 수 없습니다.",
        "No demo ceiling row: the evaluations have different rating dates, so no one date's "
        "ceiling matches them all.",
    ),
    "ceiling_unreadable": (
        "데모 상한 행 없음: 상한 파일을 읽을 수 없습니다. 데모를 다시 만드십시오.",
        "No demo ceiling row: its file cannot be read; rebuild the demo.",
    ),
    "ceiling_missing": (
        "데모 상한 행 없음: 비교한 펀드 {total}개 중 {n}개는 {as_of}의 상한 등급이 없습니다.",
        "No demo ceiling row: {n} of the {total} compared funds have no ceiling grade at {as_of}.",
    ),
    "ceiling_stale": (
        "데모 상한 행 없음: 비교한 펀드 {total}개 중 {n}개는 {as_of}의 전문가 등급이 데모가 만든 등급과 "
        "다릅니다(데모 뒤에 등급을 다시 올림).",
        "No demo ceiling row: for {n} of the {total} compared funds the experts' grade at {as_of} "
        "is not the one the demo made (ratings uploaded after the demo).",
    ),
    "none": ("–", "–"),
}


def text(key: str, lang: str, **fmt: Any) -> str:
    """The report's text for `key` in `lang` (ko or en), formatted."""
    value = TEXT[key][0 if lang == "ko" else 1]
    return value.format(**fmt) if fmt else value


def pct(value: Any) -> str:
    return "–" if value is None or value != value else f"{value:.1%}"


def num(value: Any) -> str:
    return "–" if value is None or value != value else f"{value:.3f}"


def _ci(figures: dict, key: str, as_pct: bool) -> str:
    low, high = figures.get("ci", {}).get(key, [None, None])
    show = pct if as_pct else num
    point = show(figures.get(key))
    return point if low is None else f"{point} [{show(low)}, {show(high)}]"


def _training_cell(evaluator: dict, lang: str) -> str:
    """'includes 43' (its run trained on 43 of the funds), '0', 'unknown' or '–' (no run)."""
    n = evaluator.get("training_funds")
    if not evaluator.get("training_run"):
        return "–"
    if n is None:
        return text("training_cell_unknown", lang)
    return text("training_cell", lang, n=n) if n else "0"


def training_notes(data: dict, lang: str) -> list[str]:
    """One line per run with training funds among the compared funds (or an unreadable split)."""
    lines = []
    for item in data.get("training_funds", []):
        if item["n"] is None:
            lines.append(text("training_unknown", lang, run=item["run_id"]))
        else:
            lines.append(
                text("training_note", lang, n=item["n"], total=data["n_funds"], run=item["run_id"])
            )
    return lines


def ceiling_note(data: dict, lang: str) -> str | None:
    """Why the demo's ceiling row is missing, in one line; None when it is there or off the demo."""
    note = data.get("ceiling_note")
    if not note:
        return None
    return text(note["key"], lang, **{k: v for k, v in note.items() if k != "key"})


def _table(
    header: list[str], rows: list[list[Any]], cls: str = "", row_classes: list[str] | None = None
) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    row_classes = row_classes or [""] * len(rows)
    body = "".join(
        (f'<tr class="{c}">' if c else "<tr>")
        + "".join(f"<td>{html.escape(str(v))}</td>" for v in row)
        + "</tr>"
        for row, c in zip(rows, row_classes, strict=True)
    )
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


class _Figures:
    """Plotly figures as HTML divs: plotly.js is inlined into the first one only."""

    def __init__(self) -> None:
        self.first = True

    def div(self, figure) -> str:
        figure.update_layout(template="plotly_white", margin={"l": 40, "r": 20, "t": 50, "b": 40})
        out = figure.to_html(
            full_html=False,
            include_plotlyjs="inline" if self.first else False,
            config={"displaylogo": False},
        )
        self.first = False
        return out


def _agreement_section(data: dict, lang: str, figs: _Figures) -> str:
    import plotly.graph_objects as go  # plotly is slow to load: only when a chart is drawn

    ev = data["evaluators"]
    header = [
        text(k, lang)
        for k in (
            "col_evaluator", "col_kind", "col_n", "col_exact", "col_within", "col_mae",
            "col_qwk", "col_spearman", "col_invalid", "col_consistency", "col_self",
            "col_latency", "col_training",
        )
    ]  # fmt: skip
    rows = []
    for e in ev:
        f = e["figures"]
        latency = e["latency_ms"]
        rows.append(
            [
                e["label"], e["kind"], f["n"], _ci(f, "exact", True), _ci(f, "within_one", True),
                num(f["mae"]), _ci(f, "qwk", False), num(f["spearman"]), pct(f["invalid_share"]),
                pct(e["consistency"]["share"]), pct(e["self_consistency"]),
                "–" if latency is None else f"{latency:.1f}", _training_cell(e, lang),
            ]
        )  # fmt: skip
    top = data.get("ceiling")
    if top:
        f = top["figures"]
        rows.append(
            [
                text("ceiling_label", lang), text("ceiling_kind", lang), f["n"],
                _ci(f, "exact", True), _ci(f, "within_one", True), num(f["mae"]),
                _ci(f, "qwk", False), num(f["spearman"]), pct(f["invalid_share"]),
                "–", "–", "–", "–",
            ]
        )  # fmt: skip
    labels = [e["label"] for e in ev]
    qwk = [e["figures"]["qwk"] for e in ev]
    lows = [e["figures"]["ci"]["qwk"][0] for e in ev]
    highs = [e["figures"]["ci"]["qwk"][1] for e in ev]
    bar = go.Figure(
        go.Bar(
            x=labels,
            y=qwk,
            error_y={
                "type": "data",
                "symmetric": False,
                "array": [
                    (h - q) if None not in (h, q) else 0 for h, q in zip(highs, qwk, strict=True)
                ],
                "arrayminus": [
                    (q - lo) if None not in (lo, q) else 0 for lo, q in zip(lows, qwk, strict=True)
                ],
            },
        )
    )
    bar.update_layout(title=text("fig_qwk", lang), yaxis_range=[-0.2, 1])
    if top and top["figures"]["qwk"] is not None:
        bar.add_hline(
            y=top["figures"]["qwk"],
            line_dash="dash",
            line_color="#8a4b00",
            annotation_text=text("ceiling_label", lang),
        )
    rates = go.Figure()
    for key, name in (("exact", "col_exact"), ("within_one", "col_within"),
                      ("invalid_share", "col_invalid")):  # fmt: skip
        rates.add_bar(x=labels, y=[e["figures"][key] for e in ev], name=text(name, lang))
    rates.update_layout(title=text("fig_rates", lang), barmode="group", yaxis_tickformat=".0%")
    why = ceiling_note(data, lang)
    return (
        f"<h2>{text('agreement', lang)}</h2>"
        + _table(header, rows, "figures", [""] * len(ev) + (["ceiling"] if top else []))
        + (f"<p class='help ceiling'>{html.escape(text('ceiling_help', lang))}</p>" if top else "")
        + (f"<p class='note ceiling'>{html.escape(why)}</p>" if why else "")
        + f"<p class='help'>{html.escape(text('ci_help', lang, n_boot=data['n_boot'], seed=data['seed']))}</p>"
        + f"<p class='help'>{html.escape(text('consistency_help', lang))}</p>"
        + f"<p class='help'>{html.escape(text('invalid_rule', lang, rule=data['invalid_rule']))}</p>"
        + figs.div(bar)
        + figs.div(rates)
    )


def _distribution_section(data: dict, lang: str, figs: _Figures) -> str:
    import plotly.graph_objects as go

    names = [text("expert", lang)] + [e["label"] for e in data["evaluators"]]
    counts = [data["expert_counts"]] + [e["grade_counts"] for e in data["evaluators"]]
    columns = [text("invalid", lang) if c == "invalid" else c for c in GRADE_COLUMNS]
    figure = go.Figure()
    for name, count in zip(names, counts, strict=True):
        figure.add_bar(x=columns, y=[count[c] for c in GRADE_COLUMNS], name=name)
    figure.update_layout(title=text("distribution", lang), barmode="group")
    rows = [
        [name, *[count[c] for c in GRADE_COLUMNS]]
        for name, count in zip(names, counts, strict=True)
    ]
    return (
        f"<h2>{text('distribution', lang)}</h2>"
        + _table([text("col_evaluator", lang), *columns], rows, "distribution")
        + figs.div(figure)
    )


def _confusion_section(data: dict, lang: str, figs: _Figures) -> str:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    ev = data["evaluators"]
    cols = min(3, len(ev))
    rows = (len(ev) + cols - 1) // cols
    figure = make_subplots(rows=rows, cols=cols, subplot_titles=[e["label"] for e in ev])
    columns = [text("invalid", lang) if c == "invalid" else c for c in GRADE_COLUMNS]
    for i, e in enumerate(ev):
        matrix = e["figures"]["confusion"]["matrix"]
        figure.add_trace(
            go.Heatmap(
                z=matrix, x=columns, y=[str(g) for g in range(1, 6)], text=matrix,
                texttemplate="%{text}", colorscale="Blues", showscale=False,
            ),
            row=i // cols + 1, col=i % cols + 1,
        )  # fmt: skip
    figure.update_layout(height=320 * rows)
    return f"<h2>{text('confusion', lang)}</h2>" + figs.div(figure)


def _cost_section(data: dict, lang: str, figs: _Figures) -> str:
    import plotly.graph_objects as go

    runs = {}
    for e in data["evaluators"]:
        if e["run"] and e["run"]["run_id"] not in runs:
            runs[e["run"]["run_id"]] = e["run"]
    if not runs:
        return f"<h2>{text('cost', lang)}</h2><p>{text('cost_none', lang)}</p>"
    header = [text(k, lang) for k in ("col_run", "col_algorithm", "col_state", "col_device",
              "col_wall", "col_sps", "col_rl_steps", "col_sft_steps", "col_memory")]  # fmt: skip
    rows = []
    for run_id, run in runs.items():
        c = run["cost"]
        rows.append(
            [
                run_id, str(run["settings"].get("algorithm", "–")).upper(), c["state"] or "–",
                c["device"] or "–", _plain(c["wall_s"], 1), _plain(c["sec_per_rl_step"], 3),
                _plain(c["rl_steps"]), _plain(c["sft_steps"]), _plain(c["peak_memory_mb"], 1),
            ]
        )  # fmt: skip
    figure = go.Figure(
        go.Bar(x=list(runs), y=[r["cost"]["wall_s"] for r in runs.values()],
               text=[str(r["settings"].get("algorithm", "")).upper() for r in runs.values()])
    )  # fmt: skip
    figure.update_layout(title=text("col_wall", lang))
    settings_rows = []
    keys = list(next(iter(runs.values()))["settings"]) or []
    for key in keys:
        settings_rows.append([key, *[_setting(r["settings"].get(key)) for r in runs.values()]])
    return (
        f"<h2>{text('cost', lang)}</h2>"
        + _table(header, rows, "cost")
        + figs.div(figure)
        + f"<h2>{text('settings', lang)}</h2>"
        + _table([text("col_setting", lang), *runs], settings_rows, "settings")
    )


def _plain(value: Any, decimals: int = 0) -> str:
    if value is None or value != value:
        return "–"
    return f"{value:.{decimals}f}" if decimals else f"{value:g}"


def _setting(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(
            f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in value.items()
        )
    return "–" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def _verdict_section(data: dict, lang: str) -> str:
    v = data["verdict"]
    if not v.get("best"):
        lines = [text("verdict_none", lang)]
    else:
        lines = [
            text("verdict_best", lang, n=data["n_funds"], best=v["best"], qwk=num(v["best_qwk"]),
                 exact=pct(v["best_exact"]))
        ]  # fmt: skip
        if v["beats"]:
            lines.append(text("verdict_beats", lang, names=", ".join(v["beats"])))
        if v["ties"]:
            lines.append(text("verdict_ties", lang, names=", ".join(v["ties"])))
        if v.get("best_training_funds"):
            lines.append(text("verdict_training", lang, best=v["best"], n=v["best_training_funds"]))
    top = data.get("ceiling")
    if top:
        f = top["figures"]
        lines.append(text("verdict_ceiling", lang, qwk=num(f["qwk"]), exact=pct(f["exact"])))
    if v.get("mostly_invalid"):
        lines.append(text("verdict_invalid", lang, names=", ".join(v["mostly_invalid"])))
    body = "".join(f"<p>{html.escape(line)}</p>" for line in lines)
    return f"<h2>{text('verdict', lang)}</h2><div class='verdict'>{body}</div>"


def _data_section(data: dict, lang: str) -> str:
    lines = [
        text("data_funds", lang, n=data["n_funds"]),
        text("data_hash", lang, sha=data["data_sha256"]),
        *training_notes(data, lang),
    ]
    seen = set()
    for e in data["evaluators"]:
        run = e["run"]
        if run and run["run_id"] not in seen and run.get("snapshot_sha256"):
            seen.add(run["run_id"])
            lines.append(text("snapshot_hash", lang, run=run["run_id"], sha=run["snapshot_sha256"]))
    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    return f"<h2>{text('data', lang)}</h2><ul>{items}</ul>"


STYLE = """
body{font-family:'Noto Sans KR','NanumGothic',system-ui,sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#1f2933}
h1{margin-bottom:.2em}h2{margin-top:1.8em;border-bottom:1px solid #ddd;padding-bottom:.2em}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}
th,td{border:1px solid #ccd;padding:.3em .6em;text-align:right}th{background:#f2f4f8}
td:first-child,th:first-child{text-align:left}
.banner{background:#fff4e5;border:1px solid #f0a030;padding:.6em 1em;border-radius:4px}
.note{color:#8a4b00}.help{color:#555;font-size:.85em}.verdict{font-size:1.05em}
tr.ceiling td{background:#fff4e5;font-style:italic}
"""


def render(data: dict, lang: str) -> str:
    """The whole report as one HTML document in `lang`."""
    figs = _Figures()
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        f"<h1>{text('title', lang)}</h1>",
        f"<p>{html.escape(text('made', lang, when=when, ids=', '.join(data['evaluation_ids'])))}</p>",
    ]
    if data["synthetic"]:
        parts.append(f"<p class='banner synthetic'>{html.escape(text('synthetic', lang))}</p>")
    for note in data["notes"]:
        parts.append(f"<p class='note'>{html.escape(text(note, lang))}</p>")
    for line in training_notes(data, lang):
        parts.append(f"<p class='note training'>{html.escape(line)}</p>")
    parts += [
        _verdict_section(data, lang),
        _agreement_section(data, lang, figs),
        _distribution_section(data, lang, figs),
        _confusion_section(data, lang, figs),
        _cost_section(data, lang, figs),
        _data_section(data, lang),
        f"<h2>{text('ppo', lang)}</h2><p>{html.escape(text('ppo_text', lang))}</p>",
    ]
    title = html.escape(text("title", lang))
    return (
        f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'>"
        f"<title>{title}</title><style>{STYLE}</style></head><body>"
        + "\n".join(parts)
        + "</body></html>"
    )
