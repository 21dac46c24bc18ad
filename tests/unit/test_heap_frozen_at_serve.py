"""`duo serve` moves what its service imported out of the garbage collector's full passes before it serves
(shared/heap.py)."""

from __future__ import annotations

import argparse
import gc

import uvicorn

from devtool import cli_services
from shared import logging as logging_setup
from shared.heap import freeze_startup_objects


def test_freezing_moves_the_objects_alive_now_out_of_the_collectors_passes():
    try:
        frozen = freeze_startup_objects()
        assert frozen == gc.get_freeze_count() > 10_000  # the test session's imports, at least
    finally:
        gc.unfreeze()  # a test session starts many apps: nothing of it is kept for good


def test_duo_serve_freezes_the_services_startup_objects_before_it_serves(monkeypatch):
    frozen_when_served: list[int] = []
    monkeypatch.setattr(uvicorn, "run", lambda *_, **__: frozen_when_served.append(gc.get_freeze_count()))
    monkeypatch.setattr(logging_setup, "configure_logging", lambda *_, **__: None)  # the session's logging stays
    gc.unfreeze()
    try:
        args = argparse.Namespace(service="reporting", host="127.0.0.1", port=0)
        assert cli_services._serve(args) == 0
    finally:
        gc.unfreeze()
    assert frozen_when_served and frozen_when_served[0] > 10_000
