"""Fault injection: ways to take a USB device away and give it back."""
