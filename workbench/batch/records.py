"""Records of batch runs and schedules, as handed to users (frozen dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import StrEnum
from pathlib import Path
from typing import Any


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    #: Its process ended (killed, power loss) while the run was queued or running.
    INTERRUPTED = "interrupted"


class CatchUp(StrEnum):
    """What a schedule does about occurrences that passed while no scheduler ran.

    ``latest`` runs once for all of them, ``skip`` runs none of them (only the next
    occurrence that is on time), ``all`` runs each of them, at most ``MAX_CATCH_UP``.
    """

    LATEST = "latest"
    SKIP = "skip"
    ALL = "all"


def _utc(value: datetime | None) -> datetime | None:
    return value.astimezone(timezone.utc) if value is not None else None


def existing_output(path: str | None) -> Path | None:
    """``path`` when a non-empty file is there (an output reserved but never written is not)."""
    if not path:
        return None
    try:
        return Path(path) if Path(path).stat().st_size > 0 else None
    except OSError:
        return None


@dataclass(frozen=True)
class RunInfo:
    """One batch run of a notebook: its parameters, its state and where its outputs are."""

    id: int
    notebook: str
    parameters: dict[str, Any]
    status: str
    schedule_id: int | None
    scheduled_for: datetime | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    duration_seconds: float | None
    output_ipynb: Path | None
    output_html: Path | None
    error_cell: int | None
    error: str | None
    runner: str | None = field(default=None, repr=False)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "RunInfo":
        """The run of a ``runs`` row; an output path is kept only while its file exists."""
        return cls(
            id=row["id"], notebook=row["notebook"], parameters=row["parameters"],
            status=row["status"], schedule_id=row["schedule_id"],
            scheduled_for=_utc(row["scheduled_for"]), created_at=_utc(row["created_at"]),
            started_at=_utc(row["started_at"]), finished_at=_utc(row["finished_at"]),
            duration_seconds=row["duration_seconds"],
            output_ipynb=existing_output(row["output_ipynb"]),
            output_html=existing_output(row["output_html"]),
            error_cell=row["error_cell"], error=row["error"], runner=row["runner"],
        )

    @property
    def ok(self) -> bool:
        return self.status == RunStatus.SUCCEEDED.value

    def raise_for_status(self) -> "RunInfo":
        """Return the run when it succeeded; raise :class:`~workbench.errors.RunFailed` if not."""
        from ..errors import RunFailed

        if self.status in (RunStatus.FAILED.value, RunStatus.INTERRUPTED.value):
            where = f" in cell {self.error_cell}" if self.error_cell else ""
            output = f"; the executed notebook is at {self.output_ipynb}" if self.output_ipynb else ""
            raise RunFailed(f"run #{self.id} of {Path(self.notebook).name} failed{where}: "
                            f"{self.error}{output}", run_id=self.id,
                            cell=self.error_cell, notebook=self.notebook,
                            output=str(self.output_ipynb) if self.output_ipynb else None)
        return self


@dataclass(frozen=True)
class ScheduleInfo:
    """A notebook run by cron expression (evaluated in UTC)."""

    id: int
    name: str
    notebook: str
    parameters: dict[str, Any]
    cron: str
    enabled: bool
    catch_up: str
    next_due: datetime
    last_run_id: int | None
    created_at: datetime
    claimed_by: str | None = field(default=None, repr=False)
    claimed_at: datetime | None = field(default=None, repr=False)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "ScheduleInfo":
        return cls(
            id=row["id"], name=row["name"], notebook=row["notebook"],
            parameters=row["parameters"], cron=row["cron"], enabled=row["enabled"],
            catch_up=row["catch_up"], next_due=_utc(row["next_due"]),  # type: ignore[arg-type]
            last_run_id=row["last_run_id"], created_at=_utc(row["created_at"]),  # type: ignore[arg-type]
            claimed_by=row["claimed_by"], claimed_at=_utc(row["claimed_at"]),
        )
