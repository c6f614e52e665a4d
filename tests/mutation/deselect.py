"""A pytest plugin for `make mutate` only: leaves out the tests that wait on purpose.

Each of these waits for a real backoff, stall or trickle (0.3 to 8 s each, 68 s of the 84 s the
mutation subset would take), and a surviving mutant in a function every call runs (settings,
request building, sending) runs all of its tests. The unit tests that state the same contracts
without waiting (tests/test_retry_policy.py, tests/test_transport_policy.py) stand in for them
here; `make test` still runs them all.
"""

from __future__ import annotations

from fnmatch import fnmatch

import pytest

SLOW = [
    "tests/faults/test_faults.py::test_connection_refused_with_retries_is_bounded_by_the_backoff*",
    "tests/faults/test_faults.py::test_retry_safe_call*",
    "tests/faults/test_retries.py::test_backoff_grows_and_all_attempts_are_made*",
    "tests/faults/test_retries.py::test_first_retry_under_warnings_as_errors*",
    "tests/faults/test_retries.py::test_retry_after_is_honoured*",
    "tests/faults/test_retries.py::test_retry_after_longer_than_the_backoff_is_honoured*",
    "tests/faults/test_timeouts.py::test_a_stall_shorter_than_the_deadline_is_retried*",
    "tests/faults/test_timeouts.py::test_a_timeout_of_4_s_is_the_calls_deadline*",
    "tests/faults/test_timeouts.py::test_stall_after_headers_ends_at_the_deadline*",
    "tests/faults/test_timeouts.py::test_stall_non_idempotent_is_sent_once*",
    "tests/faults/test_timeouts.py::test_trickling_body_ends_at_the_call_limit*",
    "tests/faults/test_timeouts.py::test_trickling_headers_end_at_the_call_limit*",
    "tests/server/test_protocol.py::test_envelope_timeout_gives_the_408_text*",
    "tests/server/test_protocol.py::test_ping_is_answered_while_a_long_call_runs*",
    "tests/test_client.py::test_info_logging_reports_each_call_and_each_retry*",
    "tests/test_generator.py::test_cli_reports_a_broken_method_table_without_a_traceback*",
    "tests/test_jobs.py::test_async_wait_chains_calls_past_the_poll_limit*",
    "tests/test_jobs.py::test_start_returns_a_handle_to_a_running_job*",
    "tests/test_jobs.py::test_wait_progress_true_writes_lines_to_stderr*",
    "tests/test_jobs.py::test_wait_reports_progress_to_a_callback*",
    "tests/test_jobs.py::test_wait_with_a_timeout_leaves_the_job_running*",
    "tests/test_jobs.py::test_a_40_second_job*",
    # Whole runs of pytest, the generator or a console script in a child process: nothing
    # there is traced, and each takes 1 to 11 s.
    "tests/test_testing_helpers.py::test_a_users_test_file_passes_on_the_local_server_then*",
    "tests/test_testing_helpers.py::test_a_users_hub_tests_pass_on_the_local_hub_then*",
    "tests/test_testing_helpers.py::test_recording_against_a_real_host_scrubs_the_key*",
    "tests/test_cli.py::test_a_method_added_to_the_spec_gets_its_subcommand*",
    "tests/test_mcp.py::test_a_spec_edit_adds_a_tool_with_no_handwritten_change*",
    "tests/test_mcp.py::test_console_script_over_*",
    # The trampolines mutmut puts around every function add stack frames, so a warning's
    # stacklevel cannot point at the caller under mutmut.
    "tests/faults/test_secrets.py::test_insecure_host_warning_points_at_the_caller*",
]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    kept, dropped = [], []
    for item in items:
        nodeid = item.nodeid.removeprefix("mutants/")
        (dropped if any(fnmatch(nodeid, pattern) for pattern in SLOW) else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
