"""Korean text of the demo: names, fund names, review notes and the analysts' rating comments.

Company, manager and analyst names, legal-style fund names, the notes of the yearly qualitative
reviews and the comments that go with each expert grade. Part of the synthetic demo
(`engine.demo.build`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.demo.market import CATEGORIES

EOK = 1e8  # 억원

# ---------------------------------------------------------------- names

COMPANY_NAMES = (
    "한빛자산운용", "가람자산운용", "누리별자산운용", "청솔자산운용", "미르에셋운용",
    "다온자산운용", "해솔투자신탁운용", "새뜸자산운용", "늘품자산운용", "한울에셋자산운용",
    "아라자산운용", "푸른들자산운용", "초록별자산운용", "너울자산운용", "단비자산운용",
    "미리내자산운용", "가온누리자산운용", "여울목자산운용", "벼리자산운용", "나래에셋운용",
    "도담자산운용", "별하자산운용", "솔바람자산운용", "은가람자산운용", "마루투자자산운용",
    "라온길자산운용", "바다솔자산운용", "햇귀자산운용", "온새미자산운용", "윤슬자산운용",
)  # fmt: skip
COMPANY_SUFFIXES = ("투자신탁운용", "투자자산운용", "에셋자산운용", "에셋운용", "자산운용")
SURNAMES = tuple("김이박최정강조윤장임한오서신권황안송류홍")
GIVEN_NAMES = (
    "민준", "서연", "지훈", "수빈", "현우", "지영", "성민", "은지", "동현", "혜진",
    "재원", "유진", "준호", "소영", "태윤", "하늘", "승민", "다은", "정우", "예린",
    "상훈", "미경", "영수", "수정", "진호", "보람", "경민", "나연", "우진", "선영",
    "기현", "은비", "도현", "채원", "시우", "주희", "건우", "가은", "형준", "윤서",
)  # fmt: skip
ANALYST_NAMES = ("김서연", "박준혁", "이하은", "최도윤", "정민지")  # the house's analysts
SHARE_CLASSES = ("C-e", "A", "C", "A-e", "C-P2e", "S")
SHARE_CLASS_WEIGHTS = (0.35, 0.2, 0.15, 0.15, 0.1, 0.05)


def _brand(company: str) -> str:
    """The brand a company puts in front of its fund names: '한빛자산운용' -> '한빛'."""
    for suffix in COMPANY_SUFFIXES:
        if company.endswith(suffix):
            return company[: -len(suffix)]
    return company


def _person_names(rng: np.random.Generator, count: int) -> np.ndarray:
    """`count` Korean full names, unique while the name space lasts, never an analyst's."""
    taken = set(ANALYST_NAMES)
    names = [s + g for s in SURNAMES for g in GIVEN_NAMES if s + g not in taken]
    return np.resize(rng.permutation(np.array(names, dtype=object)), count)


def _fund_names(
    rng: np.random.Generator, brands: np.ndarray, cat: np.ndarray, usd: np.ndarray
) -> list[str]:
    """Legal-style fund names such as '한빛 코리아밸류 증권자투자신탁(주식) C-e', all distinct."""
    classes = rng.choice(len(SHARE_CLASSES), len(cat), p=SHARE_CLASS_WEIGHTS)
    feeder = rng.random(len(cat)) < 0.7
    theme_pick = rng.random(len(cat))
    seen: dict[str, int] = {}
    names = []
    for i, c in enumerate(cat):
        spec = CATEGORIES[c]
        theme = spec.themes[int(theme_pick[i] * len(spec.themes))]
        stem = f"{brands[i]} {theme}"
        seen[stem] = seen.get(stem, 0) + 1
        if seen[stem] > 1:
            stem += f" {seen[stem]}호"
        trust = "증권자투자신탁" if feeder[i] else "증권투자신탁"
        currency = "(USD)" if usd[i] else ""
        names.append(f"{stem} {trust}({spec.asset_label}){currency} {SHARE_CLASSES[classes[i]]}")
    return names


# ---------------------------------------------------------------- qualitative review notes

PHILOSOPHY_NOTES = {
    5: ("운용철학이 명확하고 종목 선정 프로세스가 일관되게 지켜짐",
        "리서치-포트폴리오 구성-사후점검 프로세스가 체계적이며 문서화 수준 우수"),
    4: ("바텀업 리서치 중심 프로세스 양호, 스타일 일관성 유지",
        "투자 아이디어 검증 절차가 정립되어 있고 실행력 양호"),
    3: ("프로세스는 표준적이나 차별화 요소 부족",
        "운용 원칙은 있으나 포트폴리오 반영의 일관성은 보통 수준"),
    2: ("시장 상황에 따라 운용 스타일 변화가 잦아 일관성 부족",
        "종목 선정 근거의 문서화 미흡"),
    1: ("의사결정 근거와 운용 원칙이 불명확, 프로세스 재정립 필요",
        "벤치마크 추종과 액티브 운용 사이에서 방향성 불분명"),
}  # fmt: skip
RISK_NOTES = {
    5: ("위험 한도 체계와 사전·사후 모니터링이 정교함", "독립 리스크관리 조직의 점검이 정례화됨"),
    4: ("위험 한도 관리 양호, 정기 리스크 점검 실시", "유동성·집중도 한도 관리가 적절함"),
    3: ("기본적인 한도 관리는 되고 있으나 사후점검 주기 보완 필요", "표준적인 리스크관리 수준"),
    2: ("종목 집중도가 높은 편이며 한도 관리가 느슨함", "하락장 대응 원칙이 명확하지 않음"),
    1: ("위험 한도 초과 사례 반복, 관리 체계 개선 시급", "리스크 모니터링이 운용역 재량에 의존"),
}  # fmt: skip
ESG_NOTES = {
    5: ("ESG 통합 전략을 전 펀드에 적용, 스튜어드십 활동 공시 충실",
        "의결권 행사 및 기업관여 활동 우수"),
    4: ("ESG 요소를 종목 평가에 반영, 관련 정책 공시 양호",
        "스튜어드십 코드 참여 및 의결권 행사 내역 공개"),
    3: ("ESG 정책은 보유하나 투자 의사결정 반영은 제한적", "네거티브 스크리닝 수준의 ESG 적용"),
    2: ("ESG 정책 공시 수준 미흡", "ESG 전담 인력 부재"),
    1: ("ESG 고려 체계가 사실상 없음", "ESG 관련 정책 및 공시 전무"),
}  # fmt: skip
ORG_NOTES = {
    5: "조직 안정성 매우 높음", 4: "조직 안정적", 3: "조직 안정성 보통",
    2: "운용 연속성 우려", 1: "운용 연속성 심각한 우려",
}  # fmt: skip
CAPABILITY_NOTES = {
    5: "리서치 역량과 장기 성과 모두 업계 최상위권", 4: "리서치 인력 충실, 장기 성과 양호",
    3: "운용역량 업계 평균 수준", 2: "핵심 운용인력 의존도가 높고 성과 편차 큼",
    1: "운용역량 전반적으로 열위",
}  # fmt: skip
COMPANY_ORG_NOTES = {
    5: "인력 이탈 거의 없고 성과보상 체계 안정적", 4: "조직 구성 안정적",
    3: "인력 변동 업계 평균 수준", 2: "인력 이탈이 잦은 편", 1: "핵심 인력 연쇄 이탈, 조직 재정비 필요",
}  # fmt: skip
SYSTEMS_NOTES = {
    5: "통합 리스크관리 시스템 및 OMS 고도화 완료", 4: "운용·리스크 시스템 양호",
    3: "시스템 인프라 표준 수준", 2: "수작업 의존 업무가 남아 있음", 1: "시스템 투자 부족, 운영 리스크 우려",
}  # fmt: skip


def _krw_text(amount: float) -> str:
    """An amount in KRW as analysts write it: '1.2조원' or '350억원'."""
    return f"{amount / 1e12:.1f}조원" if amount >= 1e12 else f"{amount / EOK:,.0f}억원"


def _org_note(score: int, changes_3y: int, manager: str, tenure: float, pick: float) -> str:
    """The org_stability note, citing the manager history."""
    if changes_3y > 0:
        fact = f"최근 3년 매니저 {changes_3y}회 교체"
        if tenure < 1.5:
            fact += f", 현 매니저({manager}) 취임 {max(1, round(tenure * 12))}개월"
    elif tenure >= 1.0:
        fact = f"현 매니저({manager}) {tenure:.0f}년째 운용, 최근 3년 교체 이력 없음"
    else:
        fact = f"설정 이후 매니저({manager}) 교체 없음"
    return fact if pick < 0.3 else f"{fact}. {ORG_NOTES[score]}"


def _pick(pool: dict[int, tuple[str, ...]], scores: np.ndarray, pick: np.ndarray) -> list[str]:
    """One note per score, a variant from its pool chosen by `pick` in [0, 1)."""
    return [pool[s][int(p * len(pool[s]))] for s, p in zip(scores, pick, strict=True)]


# ---------------------------------------------------------------- rating comments

PERF_TEMPLATES = (
    "3년 연환산 수익률 {ret3:.1f}%로 유형 내 {position}, 샤프지수 {sharpe:.2f}.",
    "최근 3년 연 {ret3:.1f}% 수익으로 동일유형 {peers}개 중 {rank}위, 샤프 {sharpe:.2f}.",
    "3년 기준 연 {ret3:.1f}%, 정보비율 {ir:.2f}로 벤치마크 대비 {ir_word}.",
)
RISK_TEMPLATES = (
    "3년 최대낙폭 {mdd:.1f}%로 {mdd_word}.",
    "하락 구간 최대낙폭 {mdd:.1f}%, {mdd_word}.",
)
MDD_WORDS = {
    5: "방어력 우수",
    4: "방어력 양호",
    3: "유형 평균 수준",
    2: "변동성 관리 필요",
    1: "하락 방어 취약",
}
TURNOVER_SENTENCES = (
    "잦은 매니저 교체를 감안해 한 단계 하향 조정.",
    "운용 연속성 우려로 등급 한 단계 하향.",
)
COMMENT_FACTS = (  # column, indicator, window
    ("ret3", "ann_return", "3y"),
    ("ret3_pct", "ann_return_pct", "3y"),
    ("sharpe3", "sharpe", "3y"),
    ("ir3", "information_ratio", "3y"),
    ("mdd3", "max_drawdown", "3y"),
    ("ret1", "cum_return", "1y"),
)
CLOSINGS = {
    5: ("적극 추천.", "핵심 추천 펀드로 유지."),
    4: ("추천 유지.", "편입 유지 의견."),
    3: ("중립 의견.", "관찰 유지."),
    2: ("비중 축소 검토.", "주의 관찰 필요."),
    1: ("교체 검토 권고.", "편입 제외 검토."),
}  # fmt: skip


def _position(percentile: float) -> str:
    """A category percentile as analysts say it: '상위 8%' or '하위 15%'."""
    if np.isnan(percentile):
        return "비교 펀드 없음"
    if percentile >= 50.0:
        return f"상위 {max(100.0 - percentile, 1.0):.0f}%"
    return f"하위 {max(percentile, 1.0):.0f}%"


def _comment(row: pd.Series, pick: np.ndarray) -> str:
    """A Korean analyst comment citing the fund's real numbers and the habits that applied."""
    ir = 0.0 if np.isnan(row["ir3"]) else row["ir3"]
    ir_word = "초과성과 양호" if ir > 0.3 else ("소폭 초과" if ir > 0 else "열위")
    facts = dict(
        ret3=row["ret3"] * 100, position=_position(row["ret3_pct"]), sharpe=row["sharpe3"],
        peers=int(row["peers"]), rank=int(row["ret3_rank"]), ir=ir, ir_word=ir_word,
        mdd=row["mdd3"] * 100, mdd_word=MDD_WORDS[int(row["max_drawdown_3y"])],
    )  # fmt: skip
    parts = [PERF_TEMPLATES[int(pick[0] * len(PERF_TEMPLATES))].format(**facts)]
    if pick[1] < 0.6:
        parts.append(RISK_TEMPLATES[int(pick[2] * len(RISK_TEMPLATES))].format(**facts))
    if row["changes_3y"] > 0:
        parts.append(f"최근 3년 매니저 {int(row['changes_3y'])}회 교체.")
    elif row["tenure_years"] >= 5:
        parts.append(f"현 매니저 {row['tenure_years']:.0f}년째 운용으로 운용 일관성 양호.")
    if row["turnover_notch"]:
        parts.append(TURNOVER_SENTENCES[int(pick[3] * len(TURNOVER_SENTENCES))])
    elif row["adj_recent_change"] < 0:
        parts.append("신임 매니저의 운용 성과는 추가 확인 필요.")
    if row["adj_long_record"] > 0 and pick[5] < 0.5:
        parts.append(f"설정 후 {row['age_years']:.0f}년의 장기 운용 이력은 긍정적.")
    if row["adj_recent_slump"] < 0:
        parts.append(f"최근 1년 수익률 {row['ret1'] * 100:.1f}%로 유형 하위권, 단기 부진 유의.")
    if row["small_fund"]:
        aum = _krw_text(row["aum"])
        parts.append(
            f"순자산 {aum}의 소규모 펀드로 청산 위험을 고려해 등급 상단 제한."
            if row["small_fund_cap"]
            else f"순자산 {aum}의 소규모 펀드로 청산 위험 유의."
        )
    parts.append(CLOSINGS[int(row["grade"])][int(pick[4] * 2)])
    return " ".join(parts)
