"""The user-query rules of the tables ``db.userQuery`` serves: which fields may be read (and
their defaults), which may be set, and how rows are limited (src/packages/util/db-schema/
projects.ts and accounts.ts, ``user_query``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# src/packages/util/upgrade-spec.ts (DEFAULT_QUOTAS)
DEFAULT_QUOTAS = {
    "disk_quota": 3000,
    "cores": 1,
    "cpu_shares": 0,
    "memory": 1000,
    "memory_request": 0,
    "mintime": 1800,
    "network": 0,
    "member_host": 0,
    "ephemeral_state": 0,
    "ephemeral_disk": 0,
    "always_running": 0,
}
# src/packages/util/db-schema/defaults.ts
FALLBACK_COMPUTE_IMAGE = "default"
DEFAULT_FONT_SIZE = 14
# src/packages/util/db-schema/accounts.ts
DEFAULT_THEME = "cocalc-light"
PROJECTS_LIMIT = 300
PROJECTS_CUTOFF_DAYS = 6 * 7

_PROJECT_GET: dict[str, Any] = {
    "project_id": None,
    "name": None,
    "title": "",
    "description": "",
    "users": {},
    "invite": None,
    "invite_requests": None,
    "deleted": None,
    "host": None,
    "settings": DEFAULT_QUOTAS,
    "run_quota": None,
    "site_license": None,
    "status": None,
    "manage_users_owner_only": None,
    "secret_token": None,
    "state": None,
    "last_edited": None,
    "last_active": None,
    "action_request": None,
    "course": None,
    "compute_image": FALLBACK_COMPUTE_IMAGE,
    "created": None,
    "ephemeral": None,
    "env": None,
    "sandbox": None,
    "avatar_image_tiny": None,
    "color": None,
    "pay_as_you_go_quotas": None,
}
_PROJECT_SET = {
    "project_id": "project_write",
    "title": True,
    "name": True,
    "description": True,
    "deleted": True,
    "invite_requests": True,
    "users": "users",
    "manage_users_owner_only": True,
    "action_request": True,
    "compute_image": True,
    "site_license": True,
    "env": True,
    "sandbox": True,
    "avatar_image_tiny": True,
    "avatar_image_full": True,
    "color": True,
}
_EDITOR_SETTINGS = {
    "strip_trailing_whitespace": False,
    "show_trailing_whitespace": False,
    "line_wrapping": True,
    "line_numbers": True,
    "jupyter_line_numbers": False,
    "smart_indent": True,
    "electric_chars": True,
    "match_brackets": True,
    "auto_close_brackets": True,
    "code_folding": True,
    "match_xml_tags": True,
    "auto_close_xml_tags": True,
    "auto_close_latex": True,
    "spaces_instead_of_tabs": True,
    "multiple_cursors": True,
    "track_revisions": True,
    "extra_button_bar": True,
    "build_on_save": True,
    "first_line_number": 1,
    "indent_unit": 4,
    "tab_size": 4,
    "bindings": "standard",
    "theme": DEFAULT_THEME,
    "undo_depth": 300,
    "jupyter_classic": False,
    "jupyter_window": False,
    "disable_jupyter_windowing": True,
    "show_exec_warning": True,
    "physical_keyboard": "default",
    "keyboard_variant": "",
    "ask_jupyter_kernel": True,
    "show_my_other_cursors": False,
    "disable_jupyter_virtualization": True,
}
_ACCOUNT_GET: dict[str, Any] = {
    "account_id": None,
    "email_address": None,
    "org": None,
    "lti_id": None,
    "stripe_checkout_session": None,
    "email_address_verified": None,
    "email_address_problem": None,
    "editor_settings": _EDITOR_SETTINGS,
    # Its defaults (about 30 settings) are not reproduced here.
    "other_settings": None,
    "name": None,
    "first_name": "",
    "last_name": "",
    "terminal": {
        "font_size": DEFAULT_FONT_SIZE,
        "color_scheme": DEFAULT_THEME,
        "font": "monospace",
    },
    "autosave": 45,
    "evaluate_key": "Shift-Enter",
    "font_size": DEFAULT_FONT_SIZE,
    "passports": {},
    "groups": [],
    "last_active": None,
    "stripe_customer": None,
    "coupon_history": None,
    "profile": {"color": "rgb(170,170,170)"},
    "customize": None,
    "ssh_keys": {},
    "created": None,
    "ephemeral": None,
    "unlisted": False,
    "tags": None,
    "tours": None,
    "min_balance": None,
    "balance": None,
    "balance_alert": None,
    "auto_balance": None,
    "purchase_closing_day": None,
    "stripe_usage_subscription": None,
    "email_daily_statements": None,
    "unread_message_count": None,
}
_ACCOUNT_SET = {
    "account_id": "account_id",
    "name": True,
    "editor_settings": True,
    "other_settings": True,
    "first_name": True,
    "last_name": True,
    "terminal": True,
    "autosave": True,
    "evaluate_key": True,
    "font_size": True,
    "profile": True,
    "ssh_keys": True,
    "sign_up_usage_intent": True,
    "unlisted": True,
    "tags": True,
    "tours": True,
    "email_daily_statements": True,
    "auto_balance": True,
}


@dataclass(frozen=True)
class QueryTable:
    name: str
    # The table rows are stored in (projects_all is a view of projects).
    db_table: str
    primary_key: str
    get_fields: dict[str, Any]
    set_fields: dict[str, Any]
    # Default get options: [{limit, order_by}], or none.
    options: list[dict[str, Any]] = field(default_factory=list)
    # Only projects edited in the last weeks (the ``projects`` table).
    recent_only: bool = False


QUERY_TABLES: dict[str, QueryTable] = {
    "projects": QueryTable(
        "projects",
        "projects",
        "project_id",
        _PROJECT_GET,
        _PROJECT_SET,
        [{"limit": PROJECTS_LIMIT, "order_by": "-last_edited"}],
        recent_only=True,
    ),
    "projects_all": QueryTable(
        "projects_all", "projects", "project_id", _PROJECT_GET, _PROJECT_SET
    ),
    "accounts": QueryTable("accounts", "accounts", "account_id", _ACCOUNT_GET, _ACCOUNT_SET),
}
