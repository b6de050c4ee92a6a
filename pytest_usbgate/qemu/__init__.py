"""QEMU layer: the QMP client (`qmp`)."""
