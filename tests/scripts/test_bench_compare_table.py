"""The outside bench's table (scripts/bench_compare.py ``table``): each state's flips
against EDFbrowser's and against the floor of the same run."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import bench_compare  # noqa: E402


def test_the_table_gives_each_state_s_flips_against_edfbrowser_and_the_floor_of_the_same_run():
    res = {"working": bench_compare.Result(flips_ms=[20.0, 20.0, 22.0]),
           "edfbrowser": bench_compare.Result(flips_ms=[200.0, 200.0]),
           "floor": bench_compare.Result(flips_ms=[10.0, 10.0])}
    rows = {line.split(" | ")[0].lstrip("| "): line.split(" | ") for line in
            bench_compare.table(res, "2.00").splitlines()[2:]}
    head = [h.strip(" |") for h in bench_compare.table(res, "2.00").splitlines()[0].split(" | ")]
    working = dict(zip(head, rows["PedSleep, assistant working"]))
    assert working["flip median"] == "20.0 ms"
    assert working["p95"] == "21.8 ms"  # to 0.1 ms: the target (20 ms) is not read off a rounded figure
    assert working["flip / EDFbrowser"] == "0.10×"
    assert working["flip / floor"] == "2.00×"
    floor = dict(zip(head, rows["floor: a bare Qt window repainted whole"]))
    assert floor["flip / floor"] == "—"
