"""Named montages: which signals (and which derivations A − B) a scorer sees, in what
order, colour, gain and filter — plus, optionally, which signal feeds each model channel.

A montage is saved as JSON and applied automatically to files that have the signals it
names (a lab's recorder writes the same labels every night). It absorbs the former
"mapping profiles": a profile file (name, labels, mapping) is a montage without rows and
still loads. For large files a built-in PSG montage picks the clinical channels
(EEG F/C/O vs mastoid, EOG, chin, legs, ECG, flow, pressure, belts, SpO2, pulse,
position, snore) instead of 89 raw signals.
"""

from __future__ import annotations

import builtins  # MontageStore has a method named list: its annotations say builtins.list
import json
import os
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

from engine.channels.mapping import ChannelMap, LabelInfo, map_labels
from engine.channels.types import ChannelType
from engine.errors import UserError

BUILTIN_PSG = "Built-in PSG"
LARGE_FILE_SIGNALS = 24  # above this many signals a study opens with the built-in montage


def default_montage_dir() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir("pedsleep-assist")) / "montages"


def legacy_profile_dir() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir("pedsleep-assist")) / "mapping-profiles"


@dataclass(frozen=True)
class MontageRow:
    plus: str  # display label of a file signal
    minus: str | None = None  # subtracted signal (a derivation), else None
    visible: bool = True
    colour: str | None = None  # "#rrggbb"; None: the kind's colour
    gain: float = 1.0  # × the default gain (2.0: twice as tall)
    filter: dict | None = None  # {"highpass_hz", "lowpass_hz", "notch_hz", "enabled"}; None: default

    @property
    def label(self) -> str:
        return self.plus if self.minus is None else f"{self.plus}−{self.minus}"

    def to_dict(self) -> dict:
        return {"plus": self.plus, "minus": self.minus, "visible": self.visible, "colour": self.colour,
                "gain": self.gain, "filter": self.filter}

    @classmethod
    def from_dict(cls, d: dict) -> MontageRow:
        return cls(str(d["plus"]), d.get("minus"), bool(d.get("visible", True)), d.get("colour"),
                   float(d.get("gain", 1.0)), d.get("filter"))


@dataclass(frozen=True)
class Montage:
    name: str
    labels: tuple[str, ...]  # the labels of the file the montage was made on
    rows: tuple[MontageRow, ...] = ()  # display order; () = the default rows
    mapping: dict | None = None  # ChannelMap.to_dict() of the model's inputs; None: automatic
    builtin: bool = field(default=False, compare=False)

    def needed(self) -> set[str]:
        need = {r.plus for r in self.rows} | {r.minus for r in self.rows if r.minus}
        for e in (self.mapping or {}).values():
            need |= {e.get("plus"), e.get("minus")}
        need.discard(None)
        return need

    def matches(self, labels: list[str]) -> bool:
        """Usable for a file that has every signal the montage names."""
        need = self.needed()
        return bool(need) and need <= set(labels)

    def apply(self, labels: list[str], infos: list[LabelInfo] | None = None) -> ChannelMap:
        """The model mapping for a file with ``labels``: the montage's own, filled in with
        the automatic guess where it names nothing."""
        auto = map_labels(infos or [LabelInfo(lb) for lb in labels])
        if not self.mapping:
            return replace(auto, profile=self.name)
        chmap = ChannelMap.from_dict(self.mapping, profile=self.name)
        srcs = tuple(p if p.present else a for p, a in zip(chmap.sources, auto.sources))
        return ChannelMap(srcs, profile=self.name)

    def derivations(self) -> list[tuple[str, str]]:
        return [(r.plus, r.minus) for r in self.rows if r.minus]

    def to_dict(self) -> dict:
        d = {"version": 2, "name": self.name, "labels": list(self.labels),
             "rows": [r.to_dict() for r in self.rows]}
        if self.mapping:
            d["mapping"] = self.mapping
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Montage:
        """Reads montages and the former mapping-profile files (no rows)."""
        return cls(str(d["name"]), tuple(d.get("labels", ())),
                   tuple(MontageRow.from_dict(r) for r in d.get("rows", ())), d.get("mapping") or None)


MappingProfile = Montage  # the former name


class MontageStore:
    """Montages as JSON files in a folder (and, by default, the former mapping profiles)."""

    def __init__(self, folder: str | os.PathLike | None = None):
        self.folder = Path(folder) if folder else default_montage_dir()
        self.legacy = None if folder else legacy_profile_dir()

    def _files(self) -> list[Path]:
        out = []
        for d in (self.folder, self.legacy):
            if d is not None and d.is_dir():
                out += sorted(d.glob("*.json"))
        return out

    def list(self) -> list[Montage]:
        out, seen = [], set()
        for p in self._files():
            try:
                m = Montage.from_dict(json.loads(p.read_text(encoding="utf-8")))
            except (OSError, ValueError, KeyError, TypeError):
                continue  # a damaged montage must not stop a study from opening
            if m.name not in seen:
                seen.add(m.name)
                out.append(m)
        return out

    def get(self, name: str) -> Montage | None:
        return next((m for m in self.list() if m.name == name), None)

    def find_for(self, labels: builtins.list[str]) -> Montage | None:
        """The montage made on a file with these labels, else one whose signals it has."""
        all_ = self.list()
        exact = [m for m in all_ if set(m.labels) == set(labels) and m.matches(labels)]
        if exact:
            return exact[0]
        usable = [m for m in all_ if m.matches(labels)]
        return usable[0] if usable else None

    def save_montage(self, montage: Montage) -> Path:
        name = montage.name.strip()
        if not name:
            raise UserError("a montage needs a name")
        if name == BUILTIN_PSG:
            raise UserError(f"'{BUILTIN_PSG}' is built in: save your changes under another name")
        safe = "".join(ch if ch.isalnum() or ch in "-_ " else "_" for ch in name).strip()
        path = self.folder / f"{safe}.json"
        data = replace(montage, name=name).to_dict()
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f, indent=1, ensure_ascii=False)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except OSError as exc:
            raise UserError(f"cannot save montage '{name}': {exc.strerror or exc}") from None
        return path

    def save(self, name: str, labels: builtins.list[str], chmap: ChannelMap) -> Path:
        """Save a model mapping under ``name`` (the mapping dialog); the rows of a montage
        of that name are kept."""
        if not name.strip():
            raise UserError("a mapping profile needs a name")
        old = self.get(name.strip())
        rows = old.rows if old is not None else ()
        return self.save_montage(Montage(name.strip(), tuple(labels), rows, chmap.to_dict()))


# --- the built-in PSG montage ---------------------------------------------------------------

_EEG_ORDER = ("F3", "F4", "C3", "C4", "O1", "O2", "FZ", "CZ", "PZ", "FPZ", "FP1", "FP2")
_CONTRA = {"F3": "M2", "C3": "M2", "O1": "M2", "FP1": "M2", "F4": "M1", "C4": "M1", "O2": "M1",
           "FP2": "M1", "E1": "M2", "E2": "M1", "LOC": "M2", "ROC": "M1"}
_ALT_REF = {"M1": ("A1",), "M2": ("A2",)}


def _norm(lb: str) -> str:
    return lb.strip().upper().replace(" ", "").replace("_", "-").replace(":", "-")


def builtin_psg_montage(signals: list[tuple[str, ChannelType, float]]) -> Montage:
    """A clinical montage for a study's signals, given as (display label, type, rate):
    EEG F/C/O against the contralateral mastoid (as recorded, else derived from the single
    electrodes), EOG E1/E2 against the mastoid, one chin EMG, legs, ECG, airflow, pressure,
    belts, SpO2, pulse, position, snore; everything else listed hidden."""
    by_norm = {_norm(lb): (lb, t, sf) for lb, t, sf in signals}
    rows: list[MontageRow] = []
    used: set[str] = set()

    def take(lb: str, minus: str | None = None) -> None:
        rows.append(MontageRow(lb, minus))
        used.add(lb)

    def referential(site: str) -> bool:
        ref = _CONTRA[site]
        for r in (ref,) + _ALT_REF.get(ref, ()):
            hit = by_norm.get(f"{site}-{r}") or by_norm.get(f"{site}{r}")
            if hit:
                take(hit[0])
                return True
        single, refsig = by_norm.get(site), None
        for r in (ref,) + _ALT_REF.get(ref, ()):
            refsig = refsig or by_norm.get(r)
        if single and refsig and single[2] == refsig[2]:
            take(single[0], refsig[0])
            return True
        return False

    for site in _EEG_ORDER:
        if site in _CONTRA:
            referential(site)
    if not any(r.label for r in rows):
        for lb, t, _ in signals:
            if t.kind == "eeg":
                take(lb)
    n_eeg = len(rows)
    for site in ("E1", "E2", "LOC", "ROC"):
        referential(site)
    if len(rows) == n_eeg:
        for lb, t, _ in signals:
            if t.kind == "eog":
                take(lb)

    def first(kind: str, prefer=(), avoid=("calibrated",)) -> None:
        cands = [(lb, t) for lb, t, _ in signals if t.kind == kind and lb not in used and not t.hidden
                 and t.detail not in avoid]
        if not cands:
            return
        for p in prefer:
            for lb, _t in cands:
                if p in _norm(lb):
                    take(lb)
                    return
        take(cands[0][0])

    def all_of(kind: str, avoid=("calibrated",)) -> None:
        for lb, t, _ in signals:
            if t.kind == kind and lb not in used and not t.hidden and t.detail not in avoid:
                take(lb)

    chin_bipolar = [lb for lb, t, _ in signals if t.kind == "emg" and "-" in _norm(lb)]
    if chin_bipolar:
        pref = [lb for lb in chin_bipolar if _norm(lb) in ("1-2", "CHIN1-CHIN2", "CHIN-1-CHIN-2")]
        take((pref or chin_bipolar)[0])
    else:
        first("emg")
    all_of("leg")
    first("ecg")
    all_of("flow", avoid=("calibrated", "RIP flow"))
    first("cpap")
    all_of("resp", avoid=("calibrated", "inductance"))
    first("spo2", prefer=("SATURATION", "SPO2", "SAO2"))
    first("pulse", prefer=("PULSE", "PR"))
    first("position")
    first("snore", prefer=("SNOR", "PHONO", "MIC"))
    first("capno")
    for lb, _t, _sf in signals:
        if lb not in used:
            rows.append(MontageRow(lb, None, visible=False))
    return Montage(BUILTIN_PSG, tuple(lb for lb, _, _ in signals), tuple(rows), None, builtin=True)
