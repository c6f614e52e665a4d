"""The command line's words for what an error advises: its flags and commands, not Python's
arguments (`--timeout`, not `timeout=...`)."""

from __future__ import annotations

from cocalc_api.wording import Wording

CLI = Wording(
    key_given="given with --api-key",
    give_key="set COCALC_API_KEY (or pass --api-key)",
    choose_project="--project-id or COCALC_PROJECT_ID",
    drop_project="leave --project-id out (and COCALC_PROJECT_ID unset)",
    project_client="cocalc-project",
    add_collaborator="cocalc-hub projects add-collaborator PROJECT_ID ACCOUNT_ID",
    make_project_keys="cocalc-hub system manage-api-keys",
    longer_command=(
        "pass a larger --timeout (0: none), or run it as a job (cocalc-project jobs run) for "
        "long work"
    ),
    keep_output=(
        "run it with cocalc-project exec, or pass --no-err-on-exit, to get the exit code, "
        "stdout and stderr"
    ),
    wait_again=(
        "wait again (cocalc-project jobs wait {job_id}), or stop it (cocalc-project jobs kill "
        "{job_id})"
    ),
    wait_longer="wait for it with cocalc-project jobs wait JOB_ID, which has no time limit",
)
