"""The MCP server's words for what an error advises: its tools' arguments and the settings of
`cocalc-mcp` (the key and the project are its settings, not the agent's)."""

from __future__ import annotations

from cocalc_api.wording import Wording

MCP = Wording(
    key_given="given to cocalc-mcp",
    give_key="set COCALC_API_KEY where cocalc-mcp starts",
    choose_project="cocalc-mcp --project-id or COCALC_PROJECT_ID",
    drop_project="leave cocalc-mcp's --project-id out (and COCALC_PROJECT_ID unset)",
    project_client="cocalc-mcp's project tools",
    add_collaborator="the hub_projects_add_collaborator tool",
    make_project_keys="the hub_system_manage_api_keys tool",
    longer_command=(
        "pass a larger timeout, or async_call=true (then system_exec_status) for long work"
    ),
    keep_output="pass err_on_exit=false to get the exit code, stdout and stderr as a result",
    wait_again="call system_exec_status again",
    wait_longer="call system_exec_status with wait=true again, or poll it",
)
