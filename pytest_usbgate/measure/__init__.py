"""Pure analysis: arrays and numbers in, numbers out. No I/O, no pytest."""
