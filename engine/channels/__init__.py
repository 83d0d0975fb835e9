"""Canonical model channels, vendor alias mapping, unit conversion and resampling."""
