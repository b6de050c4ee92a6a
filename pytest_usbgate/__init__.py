"""pytest-usbgate: USB audio/MIDI gear as release gates.

The public surface for gate tests and tools; the plugin itself is `pytest_usbgate.plugin`.
"""

from pytest_usbgate.catalog import builtin_catalog
from pytest_usbgate.checker import Criteria, CriterionFailed
from pytest_usbgate.criteria import CriterionDef, Limit, Record, Verdict
from pytest_usbgate.errors import ConfigError, InfrastructureError, UsbgateError
from pytest_usbgate.gates import GATES
from pytest_usbgate.rig import Rig, load_rig

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
