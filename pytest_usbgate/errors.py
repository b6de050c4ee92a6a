"""Error families. Each message is one line a bench engineer can act on."""

from __future__ import annotations


class UsbgateError(Exception):
    """Base of every error pytest-usbgate raises on purpose."""


class ConfigError(UsbgateError):
    """A rig file, profile or option is wrong: `<file>: <key>: <what was expected>`."""

    def __init__(self, source: str, key: str, message: str) -> None:
        self.source = source
        self.key = key
        self.message = message
        super().__init__(f"{source}: {key}: {message}" if key else f"{source}: {message}")


class InfrastructureError(UsbgateError):
    """The rig itself is broken (a service is down, a device file cannot be opened).

    Raised inside a test, this is an error (Allure "broken"), not a failed criterion.
    """


class NativeLibraryError(InfrastructureError):
    """A hardware library or the native library under it cannot be loaded."""
