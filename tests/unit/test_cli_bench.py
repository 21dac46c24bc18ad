"""`duo bench` outside a checkout (bench/ is not installed with the package) says so, whatever options it was given,
instead of argparse refusing options it never registered."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from devtool import cli_bench


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="duo")
    cli_bench.add_bench_commands(top.add_subparsers(dest="command"))
    return top


def test_outside_a_checkout_duo_bench_with_options_says_to_run_it_from_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli_bench, "CHECKOUT", tmp_path)  # an installed package: no bench/ beside devtool/
    args = parser().parse_args(["bench", "--only", "reads", "--scale", "1"])
    assert args.handler(args) == 2
    assert "run it from a checkout of the repository" in capsys.readouterr().err


def test_in_a_checkout_duo_bench_takes_the_runners_options() -> None:
    args = parser().parse_args(["bench", "--only", "reads", "--scale", "0.5"])
    assert args.scale == 0.5 and args.only == ["reads"]
