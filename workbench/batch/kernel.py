"""A kernel manager that sends the kernel's stderr to a log file instead of the caller's.

nbclient starts kernels through ``NotebookClient.kernel_manager_class`` and papermill gives
no way to pass Popen arguments, so the log is a setting of the manager (``stderr_path``).
"""

from __future__ import annotations

from typing import Any

from jupyter_client.manager import AsyncKernelManager
from traitlets import Unicode


class LoggedKernelManager(AsyncKernelManager):
    """``AsyncKernelManager`` whose kernel appends its stderr to ``stderr_path`` (if set)."""

    stderr_path = Unicode("", config=True, help="File the kernel's stderr is appended to.")

    async def _async_start_kernel(self, **kw: Any) -> None:
        if not self.stderr_path or "stderr" in kw:
            await super()._async_start_kernel(**kw)
            return
        # Popen hands the child its own copy of the descriptor, so ours can close at once.
        # The saved launch arguments must not keep the closed file: a restart goes through
        # this method again and reopens the log.
        with open(self.stderr_path, "ab") as log:
            kw["stderr"] = log
            try:
                await super()._async_start_kernel(**kw)
            finally:
                if isinstance(self._launch_args, dict):
                    self._launch_args.pop("stderr", None)

    # jupyter_client's start and restart both go through ``_async_start_kernel``; the async
    # manager's public name is bound to the base function, so it is bound again here.
    start_kernel = _async_start_kernel
