"""The sim's USB layer: descriptor sets built from the specifications, their umockdev
device descriptions (`fixtures/sim/usb/`), and the testbed that hot-plugs them."""
