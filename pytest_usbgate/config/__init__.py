"""TOML in, frozen validated values out (no pytest): the strict reader (`reader`), limit
tables (`limits`), the criterion catalog (`catalog`), device profiles (`profiles`), rig
files with the limits chain rig -> profile -> default (`rig`), and the design gate's
static checks of a rig (`checks`)."""

from __future__ import annotations

from pytest_usbgate.config.checks import rig_problems, threshold_problems

__all__ = ["rig_problems", "threshold_problems"]
