"""Where a benchmark writes: the management command's stdout, stderr (progress bars) and styles."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.management.base import OutputWrapper
from django.core.management.color import Style


@dataclass(frozen=True)
class Console:
    stdout: OutputWrapper
    stderr: OutputWrapper
    style: Style
