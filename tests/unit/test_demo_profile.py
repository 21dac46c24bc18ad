"""`duo demo --profile`'s report: CPU by part and PostgreSQL's statements by database (devtool/demo/profile.py)."""

from devtool.demo.profile import report


def test_the_report_gives_cpu_a_call_and_each_databases_statements_by_time_and_by_calls():
    cpu = {"tracking": 20.0, "postgres duo_tracking": 10.0, "simulator": 5.0}
    rows: list[dict] = [
        {"db": "duo_tracking", "calls": 1000, "ms": 500.0, "rows": 1000, "blocks": 4000, "query": "SELECT  1\n FROM x"},
        {"db": "duo_tracking", "calls": 10, "ms": 900.0, "rows": 20, "blocks": 30000, "query": "WITH slow AS (...)"},
        {
            "db": "duo_tracking",
            "scans": [{"relname": "rm_steps", "seq_scan": 7, "seq_tup_read": 700, "idx_scan": 1, "n_live_tup": 100}],
        },
    ]
    lines = report(cpu, rows, requests=1000)
    text = "\n".join(lines)
    assert "  tracking                         20.0 s   20.00 ms a call" in lines
    # The simulator is the client: not the platform's CPU.
    assert "  the platform, together           30.0 s   30.00 ms a call" in lines
    assert "PostgreSQL: 1010 statements (1.0 an API call), 1.4 s executing" in text
    by_time = lines.index("    top by time:     calls     total ms   ms/call  rows/call  blocks/call")
    assert "WITH slow" in lines[by_time + 1] and "90.000" in lines[by_time + 1]
    by_calls = lines.index("    top by calls:     calls     total ms   ms/call  rows/call  blocks/call")
    assert lines[by_calls + 1].endswith("SELECT 1 FROM x")  # one line a statement, whitespace folded
    assert any(line.split()[:3] == ["rm_steps", "7", "700"] for line in lines)
