"""Collects the measured agreement of every conformance test and prints it as a table at
the end of the pytest run (terminal summary)."""
from __future__ import annotations

RECORDS: list[tuple[str, str, str]] = []  # (case, target[variant], measured agreement)


def record(case: str, target: str, text: str) -> None:
    RECORDS.append((case, target, text))


def pytest_terminal_summary(terminalreporter):
    if not RECORDS:
        return
    terminalreporter.section("conformance: agreement with the numpy target")
    width = max(len(c) for c, _, _ in RECORDS)
    twidth = max(len(t) for _, t, _ in RECORDS)
    for case, target, text in sorted(RECORDS):
        terminalreporter.write_line(f"{case:<{width}}  {target:<{twidth}}  {text}")
