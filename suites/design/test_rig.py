"""Design gate: the rig file agrees with its device profiles and its thresholds can be met."""

from pytest_usbgate import Criteria, Rig, builtin_catalog
from pytest_usbgate.config import rig_problems, threshold_problems


def test_rig_matches_device_profiles(rig: Rig, criteria: Criteria) -> None:
    problems = rig_problems(rig)
    criteria.check("rig.config_errors", len(problems), detail="\n".join(problems))


def test_thresholds_can_be_met(rig: Rig, criteria: Criteria) -> None:
    problems = threshold_problems(rig, builtin_catalog())
    criteria.check("rig.threshold_errors", len(problems), detail="\n".join(problems))
