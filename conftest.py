"""Defaults for running pytest from the checkout.

The plugin itself loads through its `pytest11` entry point once the package is
installed (`./dev setup`); nothing here is needed to use it elsewhere.
"""

# Generated evidence and benchmark scratch suites are never test modules.
collect_ignore = ["reports", "bench"]
