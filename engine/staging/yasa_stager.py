"""The real-data stage prior: YASA's LightGBM stager (BSD-3; trained on >3,000 NSRR
nights incl. children), used as a library.

``stage_study`` is a generator for the GUI worker and the CLI: it yields
``engine.jobs.Progress`` messages and finally ``engine.jobs.Staged(StagingResult)``, and
stops early when ``cancel`` is set. yasa (with mne, sklearn and lightgbm) is imported here,
lazily, never at viewer start-up."""

from __future__ import annotations

import math
import time
import warnings

import numpy as np

from engine.channels.canonical import EPOCH_S
from engine.jobs import Progress, Staged, is_cancelled
from engine.staging.demographics import demographics_from_header
from engine.staging.inputs import STAGER_SFREQ_HZ, choose_staging_channels, is_flat, read_uv_100hz
from engine.staging.result import SOURCE_YASA, StagingResult, StagingUnavailable

YASA_CLASSES = ("WAKE", "N1", "N2", "N3", "REM")  # YASA's proba columns, in our W N1 N2 N3 R order


def stage_study(study, chmap, cancel=None, *, use_demographics: bool = True, isolate: bool = False):
    """Stage a whole study with YASA. See the module doc for what it yields.

    ``isolate``: YASA (its imports, features and classifier) runs in a child process
    (engine/staging/yasa_process.py) that ``cancel`` stops at once; the GUI's worker uses
    it, so YASA neither holds this process's GIL (its imports alone held it for seconds,
    stealing the scorer's frames) nor adds its ~500 MB peak to the app's memory. The
    numbers are the same either way (the same function on the same arrays)."""
    t0 = time.perf_counter()
    n_epochs = max(1, math.ceil(study.duration_s / EPOCH_S - 1e-6))
    yield Progress(0.0, "staging: reading EEG/EOG/EMG")
    rates = {sig.display_label: float(sig.sfreq_hz) for sig in study.signals}
    chans = choose_staging_channels(chmap, rates=rates)
    if chans.eeg is None:
        raise StagingUnavailable("no EEG channel is mapped (at 50 Hz or more): the real-data stager needs one "
                                 "EEG derivation")
    notes: list[str] = []
    eeg, note = read_uv_100hz(study, chans.eeg)
    excluded: tuple[str, ...] = ()
    while is_flat(eeg):  # a disconnected EEG: take the next one
        excluded += (chans.eeg.canonical,)
        notes.append(f"{chans.eeg.plus} is flat; not used")
        chans = choose_staging_channels(chmap, excluded, rates)
        if chans.eeg is None:
            raise StagingUnavailable("every mapped EEG channel is flat: nothing to stage from")
        eeg, note = read_uv_100hz(study, chans.eeg)
    notes += [note] if note else []
    data = [eeg]
    names, types = ["eeg"], ["eeg"]
    for kind, src in (("eog", chans.eog), ("emg", chans.emg)):
        if src is None:
            continue
        if is_cancelled(cancel):
            return
        x, note = read_uv_100hz(study, src)
        if is_flat(x):
            notes.append(f"{src.plus} is flat; not used")
            del x
            continue
        notes += [note] if note else []
        data.append(x)
        del x
        names.append(kind)
        types.append(kind)
    if len(eeg) < EPOCH_S * STAGER_SFREQ_HZ:
        raise StagingUnavailable("the recording is shorter than one 30-s epoch")
    del eeg  # held in data; the channels go into one array below and are then let go
    if is_cancelled(cancel):
        return
    demo = demographics_from_header(getattr(study, "patient", ""), getattr(study, "start_datetime", None))
    meta = demo.as_yasa_metadata() if use_demographics else None
    if is_cancelled(cancel):
        return
    if isolate:
        yield Progress(0.3, "staging: YASA features and classifier (whole night, in its own process)")
        from engine.staging.yasa_process import yasa_in_child

        out = yield from yasa_in_child(data, names, types, meta, cancel)
        if out is None:
            return  # cancelled: the child was stopped
        p, f, columns = out
    else:
        yield Progress(0.25, "staging: loading YASA")
        yield Progress(0.35, "staging: YASA features and classifier (whole night)")
        p, f, columns = yasa_proba_and_features(data, names, types, meta)
    if is_cancelled(cancel):
        return
    proba = np.full((n_epochs, 5), np.nan, np.float32)
    k = min(n_epochs, len(p))
    proba[:k] = p[:k]
    features = np.full((n_epochs, f.shape[1]), np.nan, np.float32)
    features[:k] = f[:k]
    labels = chans.labels()
    used = {"eeg": labels["eeg"], "eog": labels["eog"] if "eog" in names else None,
            "emg": labels["emg"] if "emg" in names else None}
    yield Progress(1.0, f"staged {k} epochs with YASA ({', '.join(v for v in used.values() if v)})")
    yield Staged(StagingResult(proba, features, tuple(columns), used,
                               meta or {}, SOURCE_YASA, time.perf_counter() - t0, tuple(notes)))


def yasa_proba_and_features(data, names, types, meta):
    """YASA on our 100-Hz µV channels: (proba [n, 5] float32 in W N1 N2 N3 R order,
    features [n, k] float32, feature names). ``data``'s arrays are emptied as they are
    copied into the one float64 night YASA gets."""
    import mne
    import yasa

    from engine.staging.yasa_lean import lean_yasa

    mne.set_log_level("ERROR")
    # issue 16: one float64 array for the night, filled channel by channel and scaled in
    # place (the same values as stacking and scaling, without two more copies), and no
    # reference of ours kept while YASA works: SleepStaging keeps its own copy of the data,
    # so our Raw is let go before its features are computed
    n = min(len(d) for d in data)
    night = np.empty((len(data), n), np.float64)
    for i in range(len(data)):
        night[i] = data[i][:n]
        data[i] = np.empty(0)  # the channel's samples are freed as soon as they are copied
    night *= 1e-6
    raw = mne.io.RawArray(night, mne.create_info(list(names), STAGER_SFREQ_HZ, list(types)), verbose=False)
    del night
    try:
        with warnings.catch_warnings(), lean_yasa():  # the same numbers, less memory (yasa_lean)
            warnings.simplefilter("ignore")  # sklearn's pickle-version notice on YASA's classifiers
            sls = yasa.SleepStaging(raw, eeg_name="eeg", eog_name="eog" if "eog" in names else None,
                                    emg_name="emg" if "emg" in names else None, metadata=meta)
            del raw
            hyp = sls.predict()
            feats = sls.get_features()
    except (AssertionError, ValueError) as exc:
        raise StagingUnavailable(f"YASA could not stage this study: {exc}") from None
    p = hyp.proba[list(YASA_CLASSES)].to_numpy(np.float32)
    f = np.asarray(feats.to_numpy(np.float32))
    return p, f, tuple(str(c) for c in feats.columns)


def run_stager(study, chmap, cancel=None, progress=None, **kw) -> StagingResult | None:
    """``stage_study`` run to its end (CLI, benches); ``progress(fraction, message)``."""
    result = None
    for item in stage_study(study, chmap, cancel, **kw):
        if isinstance(item, Progress) and progress is not None:
            progress(item.fraction, item.message)
        elif isinstance(item, Staged):
            result = item.result
    return result
