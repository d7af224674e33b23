"""Texts of users, roles and log-in (workbench/web/auth.py)."""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    "auth_title": ("로그인", "Log in"),
    "auth_name": ("사용자 이름", "User name"),
    "auth_password": ("비밀번호", "Password"),
    "auth_submit": ("로그인", "Log in"),
    "auth_missing": ("사용자 이름과 비밀번호를 입력하십시오.", "Enter a user name and a password."),
    "auth_bad": (
        "사용자 이름 또는 비밀번호가 맞지 않습니다.",
        "The user name or the password is wrong.",
    ),
    "auth_slow": (
        "실패가 반복되어 다음 시도는 {s}초 뒤에 할 수 있습니다.",
        "After repeated failures the next try is possible in {s} s.",
    ),
    "auth_throttled": (
        "로그인 실패가 너무 많습니다. {s}초 뒤에 다시 시도하십시오.",
        "Too many failed log-ins. Try again in {s} s.",
    ),
    "auth_disabled": (
        "이 사용자는 사용 중지되었습니다. 관리자에게 문의하십시오.",
        "This user is disabled. Ask an administrator.",
    ),
    "auth_help": (
        "계정이 없으면 관리자에게 요청하십시오. 관리자는 `python -m workbench user add NAME "
        "--role analyst|admin|client`로 사용자를 만듭니다.",
        "No account? Ask an administrator; they add users with `python -m workbench user add "
        "NAME --role analyst|admin|client`.",
    ),
    "auth_forbidden": (
        "이 페이지를 볼 권한이 없습니다.",
        "You are not allowed to see this page.",
    ),
    "auth_as": ("**{name}** ({role})", "**{name}** ({role})"),
    "auth_logout": ("로그아웃", "Log out"),
    "auth_role_analyst": ("애널리스트", "analyst"),
    "auth_role_admin": ("관리자", "admin"),
    "auth_role_client": ("위탁사", "client"),
    "auth_single_user_short": ("단일 사용자 모드 (로그인 없음)", "Single-user mode (no log-in)"),
    "auth_single_user": (
        "단일 사용자 모드: 사용자가 아직 없어 로그인 없이 열려 있으며, 모든 기록은 "
        "'{user}'의 이름으로 남습니다. 로그인을 켜려면 관리자 페이지에서 사용자를 추가하거나 "
        "`python -m workbench user add NAME --role admin` (또는 `python -m workbench init "
        "--admin`)을 실행하십시오.",
        "Single-user mode: there are no users yet, so the app is open without log-in and every "
        "write is recorded as '{user}'. To turn log-in on, add a user on the Admin page or run "
        "`python -m workbench user add NAME --role admin` (or `python -m workbench init --admin`).",
    ),
    "nav_admin": ("관리", "Admin"),
    "nav_client": ("위탁사 대시보드", "Client dashboard"),
}
