"""The sim's USB layer: descriptor sets built from the specifications, their umockdev
device descriptions (`sim/data/usb/`), and the testbed that hot-plugs them."""
