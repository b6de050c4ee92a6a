"""The sim rig: real services standing in for the hardware (jackd with device models,
an umockdev testbed, QEMU with QMP, a pty serial port, replayed logs), started and
stopped by the plugin for each test session. See `session.SimSession`."""
