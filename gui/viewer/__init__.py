"""The signal viewer: traces, channel labels, time axis, overview strip."""
