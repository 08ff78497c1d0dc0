"""A write-ahead log with a damaged header is kept and announced, never dropped silently."""

from __future__ import annotations

import logging

import pytest

from tests.test_crash import _db_with_wal
from workbench import Config, Workbench


@pytest.mark.parametrize("damage", [
    lambda raw: b"\xff" + raw[1:],            # the version record's first byte
    lambda raw: b"\0" * 64 + raw[64:],       # zeroed header
    lambda raw: raw[:5],                      # cut inside the header
    lambda raw: raw[:2] + b"\x07" + raw[3:],  # the entry type
])
def test_a_wal_with_a_damaged_header_is_moved_aside_with_a_notice(tmp_path, caplog, damage):
    data = tmp_path / "data"
    wal = _db_with_wal(data)
    damaged = damage(wal.read_bytes())
    wal.write_bytes(damaged)
    with caplog.at_level(logging.WARNING, logger="workbench.store"):
        wb = Workbench(config=Config(data_dir=data))
        names = [p.name for p in wb.projects()]
    assert names == ["before"]  # opened without the WAL's transactions ...
    aside = list(data.glob("workbench.duckdb.wal.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == damaged  # ... which are kept, as they were
    assert any("header is damaged" in r.message for r in caplog.records)
    notices = wb.status()["notices"]
    assert notices[0]["kind"] == "corrupt-wal" and str(aside[0]) in notices[0]["message"]
    wb.close()


def test_a_healthy_wal_is_replayed_not_moved(tmp_path):
    data = tmp_path / "data"
    _db_with_wal(data)
    wb = Workbench(data)
    assert len(wb.projects()) == 2001
    assert not list(data.glob("workbench.duckdb.wal.corrupt-*"))
    assert wb.status()["notices"] == []
    wb.close()
