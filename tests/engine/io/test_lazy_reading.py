"""A long study is read lazily: window reads touch only their blocks and the cache stays
within its bound (a 10-h night never sits in memory as float64)."""

import numpy as np

from engine.io import open_study
from tests.helpers.edf_factory import psg_signals, write_edf


def test_lazy_window_reads_and_cache_bound(tmp_path):
    p = tmp_path / "long.edf"
    # 2 h, 16 channels at 256 Hz: ~59 MB on disk
    write_edf(p, psg_signals(256.0), n_records=7200, record_s=1.0)
    s = open_study(p, cache_mb=8)
    assert s.duration_s == 7200.0
    for page in range(0, 240):  # page through the night, all channels
        t0 = page * 30.0
        for c in range(16):
            y = s.read(c, t0, t0 + 30.0)
            assert y.dtype == np.float32 and len(y) == 7680
        assert s._cache.bytes <= 8 * 1024 * 1024
    # a read equals the same samples read directly
    a = s.read(3, 3600.0, 3630.0)
    b = s.read_samples(3, 3600 * 256, 3630 * 256)
    np.testing.assert_array_equal(a, b)


def test_streaming_pass_leaves_cache_empty(tmp_path):
    p = tmp_path / "long.edf"
    write_edf(p, psg_signals(256.0, n=4), n_records=3600, record_s=1.0)
    s = open_study(p, cache_mb=4)
    total = 0
    for _r0, blocks in s.iter_blocks(600.0):
        assert len(blocks) == 4 and all(b.dtype == np.float32 for b in blocks.values())
        total += len(blocks[0])
    assert total == 3600 * 256
    assert s._cache.bytes == 0
    np.testing.assert_array_equal(s.read(2, 1800.0, 1830.0), s.read_samples(2, 1800 * 256, 1830 * 256))


def test_a_private_cache_keeps_a_pass_out_of_the_shared_one(tmp_path):
    """A whole-night pass in a worker reads through a cache of its own: the viewer's
    cached page survives it, the pass's blocks are let go at the end, another thread
    still reads through the shared cache meanwhile, and the samples are the same."""
    import threading

    from engine.channels.mapping import map_study
    from engine.channels.model_input import load_model_input, load_model_night

    p = tmp_path / "night.edf"
    write_edf(p, psg_signals(256.0), n_records=3600, record_s=1.0)
    s = open_study(p, cache_mb=4)
    page = s.read(0, 1200.0, 1230.0)  # what the viewer shows: in the shared cache
    shared = dict(s._cache._d)
    assert s.block_bytes_per_s() == 4.0 * 256 * 16
    seen = {}

    def other_thread():
        seen["y"] = s.read(1, 0.0, 30.0)  # not inside the pass: the shared cache

    with s.private_cache(2.0):
        y = s.read(0, 3000.0, 3030.0)
        assert s._local.cache.bytes > 0
        assert s._local.cache.bytes <= 2 * 2**20
        t = threading.Thread(target=other_thread)
        t.start()
        t.join()
    assert getattr(s._local, "cache", None) is None
    assert all(k in s._cache._d for k in shared)  # the page's blocks are still there
    assert (1, 0) in s._cache._d and (0, 50) not in s._cache._d
    np.testing.assert_array_equal(y, s.read_samples(0, 3000 * 256, 3030 * 256))
    np.testing.assert_array_equal(page, s.read(0, 1200.0, 1230.0))
    np.testing.assert_array_equal(seen["y"], s.read_samples(1, 0, 30 * 256))

    # the model's whole-night read uses one, and leaves the shared cache as it was
    before = set(s._cache._d)
    chmap = map_study(s)
    night = load_model_night(s, chmap)
    assert set(s._cache._d) == before
    x, _present = load_model_input(s, chmap)
    assert night.z.shape[1] <= x.shape[1]
