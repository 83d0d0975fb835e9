"""Named lab mapping profiles: a user's fixes to the automatic mapping, saved as JSON and
re-applied to files with the same labels."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from engine.channels.mapping import ChannelMap, LabelInfo, map_labels
from engine.errors import UserError


def default_profile_dir() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir("pedsleep-assist")) / "mapping-profiles"


@dataclass(frozen=True)
class MappingProfile:
    name: str
    labels: tuple[str, ...]  # the labels of the file the profile was made on
    mapping: dict  # ChannelMap.to_dict()

    def matches(self, labels: list[str]) -> bool:
        """Usable for a file that has every signal the profile's mapping names."""
        needed = {e.get("plus") for e in self.mapping.values()} | {
            e.get("minus") for e in self.mapping.values()}
        needed.discard(None)
        return bool(needed) and needed <= set(labels)

    def apply(self, labels: list[str], infos: list[LabelInfo] | None = None) -> ChannelMap:
        auto = map_labels(infos or [LabelInfo(lb) for lb in labels])
        chmap = ChannelMap.from_dict(self.mapping, profile=self.name)
        # channels the profile leaves missing but the file has: keep the automatic guess
        srcs = tuple(p if p.present else a for p, a in zip(chmap.sources, auto.sources))
        return ChannelMap(srcs, profile=self.name)


class ProfileStore:
    def __init__(self, folder: str | os.PathLike | None = None):
        self.folder = Path(folder) if folder else default_profile_dir()

    def list(self) -> list[MappingProfile]:
        out = []
        if not self.folder.is_dir():
            return out
        for p in sorted(self.folder.glob("*.json")):
            try:
                d = json.loads(p.read_text(encoding="utf-8"))
                out.append(MappingProfile(d["name"], tuple(d["labels"]), d["mapping"]))
            except (OSError, ValueError, KeyError):
                continue  # a damaged profile must not stop a study from opening
        return out

    def find_for(self, labels: list[str]) -> MappingProfile | None:
        exact = [p for p in self.list() if set(p.labels) == set(labels)]
        if exact:
            return exact[0]
        usable = [p for p in self.list() if p.matches(labels)]
        return usable[0] if usable else None

    def save(self, name: str, labels: list[str], chmap: ChannelMap) -> Path:
        name = name.strip()
        if not name:
            raise UserError("a mapping profile needs a name")
        safe = "".join(ch if ch.isalnum() or ch in "-_ " else "_" for ch in name).strip()
        path = self.folder / f"{safe}.json"
        data = {"name": name, "labels": list(labels), "mapping": chmap.to_dict()}
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f, indent=1, ensure_ascii=False)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except OSError as exc:
            raise UserError(f"cannot save mapping profile '{name}': {exc.strerror or exc}") from None
        return path
