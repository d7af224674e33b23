"""The app shell's texts (title, language, demo banner) and the risk grade names."""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    "app_title": ("LEARN-GRPO 분석 워크벤치", "LEARN-GRPO analyst workbench"),
    "nav_home": ("홈", "Home"),
    "nav_data": ("데이터", "Data"),
    "lang_label": ("언어 / Language", "Language / 언어"),
    "home_path": (
        "작업 폴더 (WORKBENCH_HOME): `{path}`",
        "State folder (WORKBENCH_HOME): `{path}`",
    ),
    "demo_badge": ("합성 데모 데이터", "Synthetic demo data"),
    "demo_banner": (
        "합성 데모 데이터 — 실제 펀드가 아닙니다. 생성된 데이터이므로 투자 판단에 쓰지 마십시오.",
        "Synthetic demo data — generated, not real funds. Do not use it for investment decisions.",
    ),
    "store_busy_hint": (
        "다른 프로세스(CLI 등)가 데이터베이스를 사용 중입니다. 잠시 후 새로고침하십시오.",
        "Another process (the CLI, a job) is using the database. Reload in a moment.",
    ),
}

RISK_GRADES: dict[int, tuple[str, str]] = {
    1: ("1등급 (매우 높은 위험)", "Grade 1 (very high risk)"),
    2: ("2등급 (높은 위험)", "Grade 2 (high risk)"),
    3: ("3등급 (다소 높은 위험)", "Grade 3 (fairly high risk)"),
    4: ("4등급 (보통 위험)", "Grade 4 (moderate risk)"),
    5: ("5등급 (낮은 위험)", "Grade 5 (low risk)"),
    6: ("6등급 (매우 낮은 위험)", "Grade 6 (very low risk)"),
}
