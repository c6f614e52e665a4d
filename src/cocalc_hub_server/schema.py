"""The tables of the hub's SQLite database: the real PostgreSQL tables' names and columns.

Each table lists the columns this hub keeps, with how a value is stored: ``json`` columns
(PostgreSQL JSONB, arrays and maps) as JSON text, ``time`` columns (TIMESTAMP) as ISO 8601
text in UTC with milliseconds (so they sort as text), ``bool`` as 0/1. Column names are those
of src/packages/util/db-schema/{accounts,projects,api-keys,organizations,messages,
jupyter,auth}.ts.
"""

from __future__ import annotations

import json
from typing import Any, Literal

Kind = Literal["text", "json", "time", "bool", "int"]

ACCOUNTS: dict[str, Kind] = {
    "account_id": "text",
    "email_address": "text",
    "password_hash": "text",
    "first_name": "text",
    "last_name": "text",
    "name": "text",
    "groups": "json",
    "api_key": "text",
    "created": "time",
    "last_active": "time",
    "deleted": "bool",
    "banned": "bool",
    "profile": "json",
    "org": "text",
    "unlisted": "bool",
    "owner_id": "text",
    "email_address_verified": "json",
    "creation_actions_done": "bool",
    "editor_settings": "json",
    "other_settings": "json",
    "terminal": "json",
    "autosave": "int",
    "evaluate_key": "text",
    "font_size": "int",
    "ssh_keys": "json",
    "sign_up_usage_intent": "text",
    "tags": "json",
    "tours": "json",
    "email_daily_statements": "bool",
    "auto_balance": "json",
    "passports": "json",
    "unread_message_count": "int",
}

PROJECTS: dict[str, Kind] = {
    "project_id": "text",
    "name": "text",
    "title": "text",
    "description": "text",
    "users": "json",
    "invite": "json",
    "invite_requests": "json",
    "deleted": "bool",
    "host": "json",
    "settings": "json",
    "run_quota": "json",
    "site_license": "json",
    "status": "json",
    "manage_users_owner_only": "bool",
    "secret_token": "text",
    "state": "json",
    "last_edited": "time",
    "last_active": "json",
    "action_request": "json",
    "course": "json",
    "compute_image": "text",
    "created": "time",
    "ephemeral": "int",
    "env": "json",
    "sandbox": "bool",
    "avatar_image_tiny": "text",
    "avatar_image_full": "text",
    "color": "text",
    "pay_as_you_go_quotas": "json",
}

API_KEYS: dict[str, Kind] = {
    "id": "int",
    "account_id": "text",
    "expire": "time",
    "created": "time",
    "hash": "text",
    "name": "text",
    "trunc": "text",
    "project_id": "text",
    "last_active": "time",
}

ORGANIZATIONS: dict[str, Kind] = {
    "organization_id": "text",
    "created": "time",
    "deleted": "bool",
    "name": "text",
    "title": "text",
    "description": "text",
    "link": "text",
    "email_address": "text",
    "api_key": "text",
    "profile": "json",
    "users": "json",
    "invitations": "json",
    "admin_account_ids": "json",
}

MESSAGES: dict[str, Kind] = {
    "id": "int",
    "sent": "time",
    "from_id": "text",
    "to_ids": "json",
    "subject": "text",
    "body": "text",
    "thread_id": "int",
    # Bit strings: bit 0 is the sender, bit i the i-th recipient (db-schema/messages.ts).
    "read": "text",
    "saved": "text",
    "starred": "text",
    "liked": "text",
    "deleted": "text",
    "expire": "text",
}

JUPYTER_API_CACHE: dict[str, Kind] = {
    "id": "int",
    "hash": "text",
    "created": "time",
    "output": "json",
    "last_active": "time",
    "expire": "time",
}

AUTH_TOKENS: dict[str, Kind] = {
    "auth_token": "text",
    "expire": "time",
    "account_id": "text",
    "created_by": "text",
    "created": "time",
    "is_admin": "bool",
}

TABLES: dict[str, dict[str, Kind]] = {
    "accounts": ACCOUNTS,
    "projects": PROJECTS,
    "api_keys": API_KEYS,
    "organizations": ORGANIZATIONS,
    "messages": MESSAGES,
    "jupyter_api_cache": JUPYTER_API_CACHE,
    "auth_tokens": AUTH_TOKENS,
}

# The SQL of each column beyond its kind: keys, and the unique indexes of the real tables.
_COLUMN_SQL = {
    ("accounts", "account_id"): "PRIMARY KEY",
    ("accounts", "email_address"): "UNIQUE",
    ("accounts", "api_key"): "UNIQUE",
    ("projects", "project_id"): "PRIMARY KEY",
    ("api_keys", "id"): "PRIMARY KEY AUTOINCREMENT",
    ("organizations", "organization_id"): "PRIMARY KEY",
    ("messages", "id"): "PRIMARY KEY AUTOINCREMENT",
    ("jupyter_api_cache", "id"): "PRIMARY KEY AUTOINCREMENT",
    ("auth_tokens", "auth_token"): "PRIMARY KEY",
}
_SQL_TYPE = {"text": "TEXT", "json": "TEXT", "time": "TEXT", "bool": "INTEGER", "int": "INTEGER"}
_INDEXES = [
    "CREATE UNIQUE INDEX IF NOT EXISTS accounts_name ON accounts(LOWER(name))",
    "CREATE INDEX IF NOT EXISTS accounts_org ON accounts(org)",
    "CREATE UNIQUE INDEX IF NOT EXISTS organizations_name ON organizations(LOWER(name))",
    "CREATE INDEX IF NOT EXISTS projects_last_edited ON projects(last_edited)",
    "CREATE INDEX IF NOT EXISTS api_keys_account_id ON api_keys(account_id)",
    "CREATE INDEX IF NOT EXISTS jupyter_api_cache_hash ON jupyter_api_cache(hash)",
]


def ddl() -> list[str]:
    """The statements that create every table and index (idempotent)."""
    statements = []
    for table, columns in TABLES.items():
        parts = []
        for column, kind in columns.items():
            extra = _COLUMN_SQL.get((table, column), "")
            parts.append(f'"{column}" {_SQL_TYPE[kind]} {extra}'.rstrip())
        statements.append(f"CREATE TABLE IF NOT EXISTS {table} ({', '.join(parts)})")
    return statements + _INDEXES


def encode(table: str, column: str, value: Any) -> Any:
    """A Python value as it is stored in ``table.column``."""
    if value is None:
        return None
    kind = TABLES[table][column]
    if kind == "json":
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if kind == "bool":
        return 1 if value else 0
    return value


def decode_row(table: str, row: dict[str, Any]) -> dict[str, Any]:
    """A stored row (or part of one) as Python values."""
    columns = TABLES[table]
    out: dict[str, Any] = {}
    for column, value in row.items():
        kind = columns.get(column)
        if value is None or kind is None:
            out[column] = value
        elif kind == "json":
            out[column] = json.loads(value)
        elif kind == "bool":
            out[column] = bool(value)
        else:
            out[column] = value
    return out
