"""Texts of the Admin page (pages/admin.py) and of the password policy's refusals."""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    "adm_title": (
        "관리: 사용자 · 위탁사 · 모델 · 릴리스 · API 기록",
        "Admin: users, clients, models, releases, API log",
    ),
    "adm_tab_users": ("사용자", "Users"),
    "adm_tab_clients": ("위탁사와 API 키", "Clients and API keys"),
    "adm_tab_models": ("모델 승인", "Model registry"),
    "adm_tab_releases": ("릴리스", "Releases"),
    "adm_tab_audit": ("API 감사 기록", "API audit log"),
    "adm_secret_once": (
        "이 값은 지금 한 번만 표시되며 저장되지 않습니다. 지금 안전한 곳에 옮겨 두십시오.",
        "Shown only this once and never stored: copy it somewhere safe now.",
    ),
    "adm_no_users": (
        "사용자가 없습니다 (단일 사용자 모드). 첫 관리자를 추가하면 로그인이 켜집니다.",
        "No users (single-user mode). Adding a first admin turns log-in on.",
    ),
    "adm_user_add": ("사용자 추가", "Add user"),
    "adm_role": ("역할", "Role"),
    "adm_client_for_user": ("위탁사 (위탁사 사용자만)", "Client (client users only)"),
    "adm_password_optional": (
        "비밀번호 (비우면 자동 생성)",
        "Password (blank: generate one)",
    ),
    "adm_user_added": ("사용자 '{name}'을(를) 추가했습니다.", "User '{name}' added."),
    "adm_pick_user": ("사용자", "User"),
    "adm_disable": ("사용 중지", "Disable"),
    "adm_enable": ("다시 사용", "Enable"),
    "adm_reset_password": ("비밀번호 재설정", "Reset password"),
    "adm_password_reset": (
        "'{name}'의 새 일회용 비밀번호:",
        "New one-time password of '{name}':",
    ),
    # password policy refusals (engine/clients/password_policy.py codes)
    "pw_blank": (
        "비밀번호가 비어 있거나 공백뿐입니다.",
        "The password is empty or only spaces.",
    ),
    "pw_short": (
        "비밀번호는 {n}자 이상이어야 합니다.",
        "The password must have at least {n} characters.",
    ),
    "pw_name": (
        "비밀번호가 사용자 이름과 같으면 안 됩니다.",
        "The password must not be the user name.",
    ),
    "pw_common": (
        "가장 흔한 비밀번호 중 하나입니다. 다른 비밀번호를 고르십시오.",
        "This is one of the most common passwords: choose another.",
    ),
    "pw_guessable": (
        "너무 쉽게 추측되는 비밀번호입니다 (흔한 단어, 패턴 또는 사용자 이름). 서로 관계없는 "
        "단어 몇 개로 더 길게 만드십시오.",
        "This password is too easy to guess (a common word, a pattern or the user name): use a "
        "longer phrase of unrelated words.",
    ),
    "adm_no_clients": ("등록된 위탁사가 없습니다.", "No clients yet."),
    "adm_client_create": ("위탁사 등록", "Create client"),
    "adm_client_name": ("위탁사 이름", "Client name"),
    "adm_client_company": (
        "운용사의 모든 펀드 (선택)",
        "All funds of a management company (optional)",
    ),
    "adm_client_funds": (
        "또는 펀드코드 (쉼표로 구분)",
        "Or fund ids (comma-separated)",
    ),
    "adm_client_created": (
        "위탁사 {id} 등록 (펀드 {n}개). API 키:",
        "Client {id} created ({n} funds). API key:",
    ),
    "adm_keys": ("API 키", "API keys"),
    "adm_client_edit": ("{id}의 펀드와 상태", "Funds and state of {id}"),
    "adm_client_funds_pick": ("이 위탁사가 보는 펀드", "Funds this client sees"),
    "adm_save_funds": ("펀드 저장", "Save funds"),
    "adm_funds_saved": ("{id}: 펀드 {n}개 저장.", "{id}: {n} funds saved."),
    "adm_disable_client": ("위탁사 사용 중지 (키 정지)", "Disable client (keys stop)"),
    "adm_enable_client": ("위탁사 다시 사용", "Enable client"),
    "adm_pick_client": ("위탁사", "Client"),
    "adm_pick_key": ("사용 중인 키", "Active key"),
    "adm_revoke_key": ("키 폐기", "Revoke key"),
    "adm_new_key": ("새 키 발급", "New key"),
    "adm_key_created": ("{id}의 새 API 키:", "New API key of {id}:"),
    "adm_all_clients": ("모든 위탁사", "all clients"),
    "adm_no_models": ("아직 승인 기록이 없습니다.", "No model has been promoted yet."),
    "adm_promote": ("모델 승인 · 퇴역", "Approve or retire a model"),
    "adm_run": ("학습 실행 (완료된 것)", "Training run (finished)"),
    "adm_scope": ("대상", "For"),
    "adm_reason": ("사유", "Reason"),
    "adm_approve": ("승인", "Approve"),
    "adm_retire": ("퇴역", "Retire"),
    "adm_history": ("승인 이력", "Promotion history"),
    "adm_no_releases": ("발행된 릴리스가 없습니다.", "No release has been published."),
    "adm_publish": ("릴리스 발행", "Publish a release"),
    "adm_as_of": ("기준일 (비우면 최신)", "As of (blank: latest)"),
    "adm_note": ("메모", "Note"),
    "adm_published": (
        "{id}의 릴리스 {version} 발행 (펀드 {n}개).",
        "Release {version} of {id} published ({n} funds).",
    ),
    "adm_status": ("응답 코드", "Status"),
    "adm_all_statuses": ("전체", "all"),
    "adm_path_contains": ("경로에 포함", "Path contains"),
    "adm_audit_rows": ("{n}건", "{n} calls"),
}
