"""Texts of the Home page (pages/home.py): key -> (Korean, English)."""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    "home_intro": (
        "이 워크벤치는 사내 펀드평가 방법론을 작은 언어모델에 강화학습(GRPO)으로 가르치고, "
        "모델이 매긴 등급을 우리 애널리스트의 등급과 나란히 비교해 검증합니다. "
        "펀드 자료와 전문가 등급을 올리고, 방법론 PDF를 규칙으로 바꾸고, 학습시킨 뒤, "
        "불일치를 검토해 피드백으로 다시 학습시키는 순서로 진행합니다.",
        "This workbench teaches a small language model your house's fund-rating methodology "
        "by reinforcement learning (GRPO) and checks the model's grades against your own "
        "analysts'. You load fund data and expert ratings, turn the methodology PDF into rules, "
        "train, then review the disagreements and retrain with your feedback.",
    ),
    "loaded_header": ("적재된 데이터", "What is loaded"),
    "m_funds": ("펀드", "Funds"),
    "m_companies": ("운용사", "Management companies"),
    "m_nav_rows": ("기준가격 행", "NAV rows"),
    "m_nav_start": ("기준가격 시작일", "First NAV date"),
    "m_nav_end": ("기준가격 종료일", "Last NAV date"),
    "m_latest_rating": ("최근 평가 기준일", "Latest rating date"),
    "m_benchmarks": ("벤치마크", "Benchmarks"),
    "m_ratings": ("전문가 등급", "Expert ratings"),
    "m_rating_dates": ("평가 기준일 {n}개", "{n} rating dates"),
    "m_qualitative": ("정성평가 점수", "Qualitative scores"),
    "m_uploads": ("업로드 기록", "Uploads logged"),
    "m_methodologies": ("평가 방법론", "Methodologies"),
    "m_runs": ("학습 실행", "Training runs"),
    "not_yet": ("아직 제공되지 않음", "not yet available"),
    "m_versions": ("버전 {n}개", "{n} versions"),
    "m_finished_runs": ("완료 {n}개", "{n} finished"),
    "next_header": ("다음 단계", "Next step"),
    "next_empty": (
        "데이터베이스가 비어 있습니다. 데모 데이터를 불러와 둘러보거나, 직접 가진 펀드 자료를 올리십시오.",
        "The database is empty. Load the demo data to look around, or upload your own fund files.",
    ),
    "next_nav": (
        "펀드 기본정보는 있지만 기준가격이 없습니다. 기준가격 파일을 올리십시오.",
        "Fund master data is loaded but there are no NAVs. Upload a NAV file.",
    ),
    "next_benchmarks": (
        "벤치마크 지수가 없습니다. 상대 지표(베타, 알파, 추적오차)를 계산하려면 벤치마크 파일을 올리십시오.",
        "There are no benchmark levels. Upload a benchmark file to compute relative indicators "
        "(beta, alpha, tracking error).",
    ),
    "next_ratings": (
        "전문가 등급이 없습니다. 학습의 정답이 될 등급 파일을 올리십시오.",
        "There are no expert ratings. Upload a ratings file: they are what the model learns from.",
    ),
    "next_explore": (
        "필요한 자료가 모두 있습니다. 펀드 탐색기에서 펀드별 지표와 등급을 확인하십시오.",
        "Everything needed is loaded. Open the fund explorer to check each fund's indicators "
        "and ratings.",
    ),
    "btn_load_demo": ("데모 둘러보기", "Explore the demo"),
    "demo_help": (
        "합성 펀드 {n}개와 벤치마크, 등급, 정성평가를 생성해 적재합니다 (1분 이내).",
        "Generates and loads {n} synthetic funds with benchmarks, ratings and qualitative "
        "scores (under a minute).",
    ),
    "demo_running": ("데모 데이터를 생성하는 중…", "Building the demo data…"),
    "demo_done": (
        "데모 데이터 적재 완료: 펀드 {funds}개, {seconds:.1f}초",
        "Demo data loaded: {funds} funds in {seconds:.1f} s",
    ),
    "demo_failed": ("데모 데이터를 만들지 못했습니다", "Could not build the demo data"),
    "link_upload": ("내 데이터 올리기 →", "Upload your own data →"),
    "link_explore": ("펀드 탐색기 열기 →", "Open the fund explorer →"),
    "home_welcome": ("시작하기", "Getting started"),
    "home_demo_header": ("데모 둘러보기", "Explore the demo"),
    "home_own_header": ("내 데이터로 시작하기", "Start with your own data"),
    "home_own_help": (
        "펀드 기본정보, 기준가격, 벤치마크, 전문가 등급 파일(CSV, 엑셀; 한글 헤더 가능)을 "
        "데이터 화면에서 올립니다. 파일마다 미리보기를 확인한 뒤 적재합니다.",
        "Upload your fund list, NAVs, benchmark levels and expert ratings (CSV or Excel; "
        "Korean headers are fine) on the Data page. Each file is previewed before it is loaded.",
    ),
    "link_own_data": ("내 데이터로 시작하기 →", "Start with your own data →"),
    "home_nothing_loaded": (
        "아직 적재된 자료가 없습니다. 위에서 데모를 불러오거나 파일을 올리면 숫자가 채워집니다.",
        "Nothing is loaded yet. Load the demo or upload files above and these counts fill in.",
    ),
    "home_loop_header": ("학습 단계", "Where the loop stands"),
    "next_methodology": (
        "평가방법론이 없습니다. 방법론 PDF를 올려 규칙(JSON)으로 추출하고 저장하십시오.",
        "There is no methodology yet. Upload the methodology PDF, extract its rules (JSON) "
        "and save them.",
    ),
    "next_train": (
        "자료와 방법론이 준비되었습니다. 학습 화면에서 첫 학습을 시작하십시오.",
        "Data and methodology are ready. Start a first training run on the Training page.",
    ),
    "next_wait_run": (
        "학습 실행 {runs}개가 아직 끝나지 않았습니다. 학습 이력에서 진행 상황을 확인하십시오 "
        "(다른 화면으로 가도 학습은 계속됩니다).",
        "{runs} training runs have not finished yet. Follow them on the Runs page (training "
        "goes on while you use other pages).",
    ),
    "next_review": (
        "완료된 학습이 {n}개 있습니다. 검토 화면에서 모델 등급을 평가하고 전문가 등급과 비교하십시오.",
        "{n} training runs have finished. Evaluate the model on the Review page and compare "
        "its grades with the experts'.",
    ),
    "link_runs": ("학습 이력 보기 →", "Follow the runs →"),
    "link_review": ("모델 등급 검토하기 →", "Review the model's grades →"),
}
