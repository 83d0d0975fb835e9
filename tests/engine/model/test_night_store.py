"""The model's night on disk (engine.model.night_store): the same numbers as in memory,
nothing left behind, and memory when no disk will do."""

from __future__ import annotations

import numpy as np
import pytest

import engine.model.night_store as ns
from engine.model.night_store import DiskArray, night_array


def test_a_disk_array_reads_back_what_was_written(tmp_path):
    rng = np.random.default_rng(3)
    ref = rng.normal(size=(4, 1000)).astype(np.float16)
    d = DiskArray(ref.shape, np.float16, tmp_path)
    assert d.shape == (4, 1000) and d.dtype == np.float16 and d.nbytes == ref.nbytes and len(d) == 4
    np.testing.assert_array_equal(d[:, :], np.zeros_like(ref))  # zeroed when made
    d[:, 0:600] = ref[:, 0:600]
    d[:, 600:1000] = ref[:, 600:1000].astype(np.float32)  # converted like numpy
    np.testing.assert_array_equal(d[:, 123:777], ref[:, 123:777])
    np.testing.assert_array_equal(d[2], ref[2])
    np.testing.assert_array_equal(d[1, 10:20], ref[1, 10:20])
    np.testing.assert_array_equal(np.asarray(d), ref)
    assert d.astype(np.float32).dtype == np.float32 and np.array_equal(d.copy(), ref)
    mask = np.array([True, False, True, False])
    d[mask] = 0.0  # rows zeroed (finish_night: channels flat all night)
    want = ref.copy()
    want[mask] = 0
    np.testing.assert_array_equal(np.asarray(d), want)
    assert d[:, 990:2000].shape == (4, 10) and d[:, 5:5].shape == (4, 0)
    with pytest.raises(IndexError):
        d[:, ::2]
    assert list(tmp_path.iterdir()) == []  # unlinked at once: nothing to clean up, even after a crash
    d.close()


def test_the_night_goes_to_disk_only_where_disk_is_not_ram(tmp_path, monkeypatch):
    monkeypatch.setattr(ns, "MIN_DISK_BYTES", 1000)
    monkeypatch.setattr(ns, "_filesystem_type", lambda path: "ext4")
    assert isinstance(night_array((2, 1000), np.float16, tmp_path), DiskArray)
    assert isinstance(night_array((2, 100), np.float16, tmp_path), np.ndarray)  # small: memory
    monkeypatch.setattr(ns, "_filesystem_type", lambda path: "tmpfs")
    assert isinstance(night_array((2, 1000), np.float16, tmp_path), np.ndarray)  # a file there is RAM too
    monkeypatch.setattr(ns, "_filesystem_type", lambda path: "ext4")
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    z = night_array((2, 1000), np.float16, blocker / "cache")  # cannot be made: memory
    assert isinstance(z, np.ndarray) and z.shape == (2, 1000) and not z.any()


def test_a_full_disk_leaves_the_night_in_memory(tmp_path, monkeypatch):
    import os

    def no_room(fd, offset, length):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ns, "MIN_DISK_BYTES", 1000)
    monkeypatch.setattr(ns, "_filesystem_type", lambda path: "ext4")
    monkeypatch.setattr(os, "posix_fallocate", no_room)
    z = night_array((2, 1000), np.float16, tmp_path)
    assert isinstance(z, np.ndarray)
    assert list(tmp_path.iterdir()) == []


def test_the_models_night_is_the_same_on_disk_and_in_memory(tmp_path, monkeypatch):
    from engine.channels.mapping import map_study
    from engine.channels.model_input import load_model_night
    from engine.io import open_study
    from tests.helpers.edf_factory import psg_signals, write_edf

    p = tmp_path / "night.edf"
    write_edf(p, psg_signals(256.0), n_records=1200)
    study = open_study(p)
    chmap = map_study(study)
    monkeypatch.setenv("PEDSLEEP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(ns, "_filesystem_type", lambda path: "ext4")
    monkeypatch.setattr(ns, "MIN_DISK_BYTES", 1)
    on_disk = load_model_night(study, chmap)
    monkeypatch.setattr(ns, "MIN_DISK_BYTES", 1 << 40)
    in_memory = load_model_night(study, chmap)
    assert isinstance(on_disk.z, DiskArray) and isinstance(in_memory.z, np.ndarray)
    np.testing.assert_array_equal(np.asarray(on_disk.z), in_memory.z)
    np.testing.assert_array_equal(on_disk.flat, in_memory.flat)
    np.testing.assert_array_equal(on_disk.epoch(7), in_memory.epoch(7))
    assert on_disk.n_epochs == in_memory.n_epochs == 40
    assert ns.cache_dir() == tmp_path / "cache" and list((tmp_path / "cache").iterdir()) == []  # unlinked
    study.close()
