"""Runtime power management of USB devices, judged from sysfs text (DOMAIN.md §3). Pure.

An audio or MIDI device must never autosuspend: `power/control` must read `on` (with
`auto` the kernel suspends it after `power/autosuspend_delay_ms` idle, and a stream or
a MIDI port opened later meets a waking device). The boot option
`usbcore.autosuspend=-1` makes `on` the default for devices that enumerate later.
A bus-powered device's `bMaxPower` must fit what its port supplies.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

PORT_BUDGET_MA: Final = {"usb2": 500, "usb3": 900}  # USB 2.0 §7.2.1; USB 3.x §11.4.1
SUPERSPEED_MBPS: Final = 5000.0


@dataclass(frozen=True, slots=True)
class PowerState:
    control: str | None  # "on" | "auto"
    autosuspend_delay_ms: int | None
    runtime_status: str | None  # "active" | "suspended" | …
    authorized: bool | None
    max_power_ma: int | None
    speed_mbps: float | None

    @property
    def autosuspend_off(self) -> bool:
        return self.control == "on"

    @property
    def port_budget_ma(self) -> int:
        superspeed = self.speed_mbps is not None and self.speed_mbps >= SUPERSPEED_MBPS
        return PORT_BUDGET_MA["usb3" if superspeed else "usb2"]

    def describe(self) -> str:
        delay = (
            "" if self.autosuspend_delay_ms is None else f", delay {self.autosuspend_delay_ms} ms"
        )
        return (
            f"power/control={self.control or '?'}{delay}, runtime_status="
            f"{self.runtime_status or '?'}, authorized={_flag(self.authorized)}, "
            f"bMaxPower={'?' if self.max_power_ma is None else f'{self.max_power_ma}mA'} "
            f"of {self.port_budget_ma} mA"
        )


def _flag(value: bool | None) -> str:
    return "?" if value is None else str(int(value))


def _integer(text: str | None) -> int | None:
    if text is None:
        return None
    match = re.fullmatch(r"\s*(-?\d+)\s*(mA)?\s*", text)
    return int(match.group(1)) if match else None


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def power_state(attributes: Mapping[str, str]) -> PowerState:
    """From sysfs attribute text (`power/control`, `bMaxPower` "500mA", …); missing or
    unreadable values are None."""
    authorized = _integer(attributes.get("authorized"))
    return PowerState(
        control=(attributes.get("power/control") or "").strip() or None,
        autosuspend_delay_ms=_integer(attributes.get("power/autosuspend_delay_ms")),
        runtime_status=(attributes.get("power/runtime_status") or "").strip() or None,
        authorized=None if authorized is None else authorized != 0,
        max_power_ma=_integer(attributes.get("bMaxPower")),
        speed_mbps=_number(attributes.get("speed")),
    )


def port_budget_pct(state: PowerState) -> float | None:
    """bMaxPower as a share of what the port supplies (None: not declared)."""
    if state.max_power_ma is None:
        return None
    return 100.0 * state.max_power_ma / state.port_budget_ma


def cmdline_autosuspend_s(cmdline: str) -> int | None:
    """`usbcore.autosuspend=N` from a kernel command line (the last one wins; None: not
    set, the kernel's default of 2 s applies)."""
    values = re.findall(r"(?:^|\s)usbcore\.autosuspend=(-?\d+)(?=\s|$)", cmdline)
    return int(values[-1]) if values else None


def describe_cmdline(setting: int | None) -> str:
    if setting is None:
        return "usbcore.autosuspend not set (new devices autosuspend after 2 s)"
    if setting < 0:
        return f"usbcore.autosuspend={setting} (autosuspend off for new devices)"
    return f"usbcore.autosuspend={setting} (new devices autosuspend after {setting} s)"
