"""pytest-usbgate: USB audio/MIDI gear as release gates.

The public surface for gate tests and tools; the plugin itself is `pytest_usbgate.plugin`.
"""

from pytest_usbgate.config.catalog import builtin_catalog
from pytest_usbgate.config.rig import Rig, load_rig
from pytest_usbgate.errors import ConfigError, InfrastructureError, UsbgateError
from pytest_usbgate.gate.checker import Criteria, CriterionFailed
from pytest_usbgate.gate.criteria import GATES, CriterionDef, Limit, Record, Verdict

__all__ = [
    "GATES",
    "ConfigError",
    "Criteria",
    "CriterionDef",
    "CriterionFailed",
    "InfrastructureError",
    "Limit",
    "Record",
    "Rig",
    "UsbgateError",
    "Verdict",
    "builtin_catalog",
    "load_rig",
]
