"""db.userQuery, messages, organizations, names and user search, as a member and as the
site admin."""

from __future__ import annotations

from tests.hub_server.conftest import HubApi, Member


def test_user_query_reads_and_sets(api: HubApi, member: Member) -> None:
    # account-creation-actions.ts: a new account gets "My First Project".
    mine = {"project_id": None, "title": "My First Project"}
    (first,) = member.api.call("db.userQuery", {"query": {"projects_all": [mine]}})["projects_all"]
    assert member.api.call("db.userQuery", {"query": {"accounts": {"first_name": "Mia"}}}) == {}
    got = member.api.call(
        "db.userQuery", {"query": {"accounts": {"first_name": None, "autosave": None}}}
    )
    # db-schema/accounts.ts: autosave's default is 45.
    assert got == {"accounts": {"first_name": "Mia", "autosave": 45}}
    # postgres-user-queries.coffee: the database's bare FATAL strings.
    assert member.api.call("db.userQuery", {"query": {"projects": [{"foo": None}]}}) == {
        "error": "FATAL: user get query not allowed for projects.foo"
    }
    assert member.api.call(
        "db.userQuery", {"query": {"accounts": {"email_address": "x@example.com"}}}
    ) == {"error": "FATAL: changing accounts.email_address not allowed"}
    assert (
        member.api.call(
            "db.userQuery",
            {"query": {"projects": {"project_id": first["project_id"], "title": "T"}}},
        )
        == {}
    )
    hide = {"users": {member.account_id: {"hide": True}}}
    member.api.call(
        "db.userQuery", {"query": {"projects": {"project_id": first["project_id"], **hide}}}
    )
    (row,) = member.api.call(
        "db.userQuery",
        {
            "query": {
                "projects": [{"project_id": first["project_id"], "title": None, "users": None}]
            }
        },
    )["projects"]
    assert row["title"] == "T"
    assert row["users"][member.account_id] == {"group": "owner", "hide": True}
    assert (
        api.call(
            "db.userQuery",
            {"query": {"projects": {"project_id": first["project_id"], "title": "X"}}},
        )
        == {}
    )  # the site admin may write any project
    assert member.api.call(
        "db.userQuery", {"query": {"projects": [{"project_id": api.new_project(), "title": None}]}}
    )["error"].startswith("FATAL: you do not have read access to this project")


def test_messages_between_accounts(api: HubApi, member: Member) -> None:
    message_id = api.call(
        "messages.send", {"subject": "Hi", "body": "there", "to_ids": [member.email]}
    )
    received = member.api.call("messages.get", {})
    mine = next(m for m in received if m["id"] == message_id)
    # server/messages/get.ts: the non-bitset fields plus read/saved/deleted for the reader.
    assert {k: mine[k] for k in ("subject", "body", "from_id", "to_ids")} == {
        "subject": "Hi",
        "body": "there",
        "from_id": api.hub.account_id,
        "to_ids": [member.account_id],
    }
    assert (mine["read"], mine["saved"], mine["deleted"]) == (False, False, False)
    assert member.api.call("messages.get", {"limit": 501}) == {
        "error": "Error: limit must be at most 500"
    }
    reply = member.api.call(
        "messages.send",
        {"subject": "Re: Hi", "body": "!", "to_ids": [api.hub.account_id], "reply_id": message_id},
    )
    (sent,) = [m for m in member.api.call("messages.get", {"type": "sent"}) if m["id"] == reply]
    assert sent["thread_id"] == message_id


def test_organizations(api: HubApi, member: Member) -> None:
    # server/conat/api/org.ts: site admins only for these.
    assert member.api.call("org.create", {"name": "mine"}) == {
        "error": "Error: only admins may create organizations"
    }
    assert member.api.call("org.getAll", {}) == {"error": "Error: must be a site admin"}
    assert member.api.call("org.getUsers", {"name": member.org}) == {
        "error": "Error: user must be an admin of the organization or site-admin"
    }
    assert api.call("org.addAdmin", {"name": member.org, "user": member.email}) is None
    assert [u["account_id"] for u in member.api.call("org.getUsers", {"name": member.org})] == [
        member.account_id
    ]
    assert member.api.call("org.set", {"name": member.org, "title": "Members"}) is None
    got = member.api.call("org.get", {"name": member.org})
    assert (got["title"], got["admin_account_ids"]) == ("Members", [member.account_id])
    assert member.api.call("org.removeUser", {"name": member.org, "user": member.email}) == {
        "error": "Error: admin cannot be removed from org; first remove them from being an admin"
    }
    token = member.api.call("org.createToken", {"user": member.account_id})
    assert token["url"].endswith(f"/auth/impersonate?auth_token={token['token']}")
    assert member.api.call("org.expireToken", {"token": token["token"]}) is None
    assert api.call("org.removeAdmin", {"name": member.org, "user": member.account_id}) is None
    assert api.call("org.get", {"name": member.org})["admin_account_ids"] == []
    assert api.call("org.message", {"name": member.org, "subject": "All", "body": "hands"}) is None
    assert any(m["subject"] == "All" for m in member.api.call("messages.get", {}))


def test_names_and_search(api: HubApi, member: Member) -> None:
    unknown = "00000000-0000-4000-8000-000000000000"
    names = api.call("system.getNames", [member.account_id, unknown])
    # server/accounts/get-name.ts: unknown ids are a deleted user.
    assert names[unknown] == {"first_name": "Deleted", "last_name": "User"}
    assert names[member.account_id]["last_name"] == "Ber"
    (by_email,) = api.call("system.userSearch", {"query": member.email})
    # server/accounts/search.ts: the address only when searching by it; times in ms.
    assert by_email["email_address"] == member.email and isinstance(by_email["created"], int)
    by_name = api.call("system.userSearch", {"query": "ber"})
    assert [u["account_id"] for u in by_name] == [member.account_id]
    assert "email_address" not in by_name[0]
    assert api.call("sync.history", {"project_id": api.new_project(), "path": "a.txt"}) == {
        "patches": [],
        "info": {},
    }
