"""Dialogs: channel mapping, errors."""
