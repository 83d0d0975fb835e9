"""The former lab mapping profiles, now montages (engine.channels.montages): kept so that
old imports and old profile files keep working."""

from __future__ import annotations

from engine.channels.montages import MappingProfile, Montage, MontageStore

ProfileStore = MontageStore

__all__ = ["MappingProfile", "Montage", "MontageStore", "ProfileStore"]
