"""benchmarks/map_scale.py maps each size onto both chips and reports a time per neuron."""
import json
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))

import map_scale  # noqa: E402


def test_map_scale_benchmark_reports_each_chip_and_size(tmp_path, capsys):
    out = tmp_path / "map.json"
    rows = map_scale.main(["--neurons", "2000", "5000", "--repeats", "1", "--json", str(out)])
    assert [(r["chip"], r["neurons"]) for r in rows] == [
        ("loihi2", 2000), ("spinnaker1", 2000), ("loihi2", 5000), ("spinnaker1", 5000)]
    assert [r["cores"] for r in rows if r["chip"] == "spinnaker1"] == [
        math.ceil(2000 / 256), math.ceil(5000 / 256)]
    assert all(r["seconds"] > 0 and r["us_per_neuron"] > 0 for r in rows)
    assert json.loads(out.read_text()) == rows
    assert "spinnaker1" in capsys.readouterr().out
