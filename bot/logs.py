"""Logging helpers. Logs never carry what people write: not their messages, and not exception
messages, which may quote them."""

from __future__ import annotations


def where(exc: BaseException) -> str:
    """file:line of the innermost frame of an exception: enough to find a bug, no user text."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}" if tb else "?"
