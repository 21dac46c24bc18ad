"""`duo demo --profile`'s report: CPU by part and PostgreSQL's statements by database (devtool/demo/profile.py)."""

import os
import time

from devtool.demo.profile import CpuSampler, call_lines, report
from devtool.demo.simulator import route_of


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


def test_the_simulators_tries_are_tallied_by_route_template_and_status_most_first():
    duo = "/duos/0b0f9a3e-3f4c-4b8a-9d2e-1c1a2b3c4d5e"
    assert route_of(f"{duo}/meetings/batch") == "/duos/{id}/meetings/batch"
    assert route_of("/suggestions/mentees/0b0f9a3e-3f4c-4b8a-9d2e-1c1a2b3c4d5e?limit=50") == "/suggestions/mentees/{id}"
    assert route_of("/duos/batch") == "/duos/batch"
    assert route_of("/suggestions/offices/be-sint-niklaas?limit=50") == "/suggestions/offices/{office}"
    tries = {("tracking", "POST", "/duos/batch", 200): 30, ("tracking", "POST", "/duos/batch", 404): 6}
    tries[("intake", "POST", "/mentees", 201)] = 60
    lines = call_lines(tries, duos=60, waits=4)
    assert lines[0] == "The simulator's tries by route and status: 96 (1.6 a duo), 4 poll pauses"
    assert lines[1].split() == ["60", "1.00", "a", "duo", "201", "intake", "POST", "/mentees"]
    assert lines[3].split()[:5] == ["6", "0.10", "a", "duo", "404"]


def test_the_sampler_leaves_its_own_reading_out_of_the_simulators_cpu():
    sampler = CpuSampler(lambda: {"itself": os.getpid()}, every_s=0.005)
    before = sum(os.times()[:2])
    sampler.start()
    deadline = time.monotonic() + 0.3
    while time.monotonic() < deadline:  # the simulator's work, while the sampler reads /proc beside it
        pass
    cpu = sampler.stop()
    spent = sum(os.times()[:2]) - before
    assert sampler.sampler_seconds > 0
    assert cpu["simulator"] == sampler.own_seconds
    assert abs(cpu["simulator"] + sampler.sampler_seconds - spent) < 0.05  # the process's CPU, the sampler's apart
