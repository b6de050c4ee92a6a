"""pytest-usbgate: USB audio/MIDI gear as release gates.

The public surface for gate tests and tools (each name imported from its module on
first use, so that loading the plugin stays light); the plugin itself is
`pytest_usbgate.plugin`, the domains' checks are in `pytest_usbgate.<domain>`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_usbgate._lazy import exports
from pytest_usbgate.errors import ConfigError as ConfigError
from pytest_usbgate.errors import InfrastructureError as InfrastructureError
from pytest_usbgate.errors import UsbgateError as UsbgateError
from pytest_usbgate.gate.names import GATES as GATES

if TYPE_CHECKING:
    from pytest_usbgate.config.catalog import builtin_catalog as builtin_catalog
    from pytest_usbgate.config.rig import Rig as Rig
    from pytest_usbgate.config.rig import load_rig as load_rig
    from pytest_usbgate.gate.checker import Criteria as Criteria
    from pytest_usbgate.gate.checker import CriterionFailed as CriterionFailed
    from pytest_usbgate.gate.checker import NotMeasured as NotMeasured
    from pytest_usbgate.gate.criteria import CriterionDef as CriterionDef
    from pytest_usbgate.gate.criteria import Limit as Limit
    from pytest_usbgate.gate.criteria import Record as Record
    from pytest_usbgate.gate.criteria import Verdict as Verdict

_MODULES = {
    "config.catalog": ("builtin_catalog",),
    "config.rig": ("Rig", "load_rig"),
    "gate.checker": ("Criteria", "CriterionFailed", "NotMeasured"),
    "gate.criteria": ("CriterionDef", "Limit", "Record", "Verdict"),
}
__all__ = sorted(
    ["GATES", "ConfigError", "InfrastructureError", "UsbgateError"]
    + [name for names in _MODULES.values() for name in names]
)
__getattr__ = exports(__name__, _MODULES)
