"""Model files that are damaged, edited, foreign or hostile give a ModelFileError naming the
file and what is wrong, before anything large is read (issue 18: the zip bomb, random bytes,
a deeply nested header, sparse arrays of the wrong length or out of range, unknown neuron
types); saving refuses a path it cannot write and cleans up after killed saves."""
import io
import json
import os
import subprocess
import sys
import time
import tracemalloc
import zipfile

import numpy as np
import pytest
import scipy.sparse as sp

import spikemem as sm
from spikemem.errors import ModelError, ModelFileError
from spikemem.files import remove_orphans


def small_net(sparse=True):
    net = sm.Network()
    net.source("in", 3)
    net.population("p", 4, sm.LIF())
    w = sp.csr_array(np.eye(3, 4)) if sparse else np.ones((3, 4))
    net.connect("in", "p", w, delay=np.array([1, 2, 3]) if sparse else 1)
    return net


def members_of(net, tmp_path) -> dict:
    """{member name: array} of `net` saved."""
    net.save(tmp_path / "good.npz")
    with np.load(tmp_path / "good.npz", allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def header_of(members: dict) -> dict:
    return json.loads(members["header"].tobytes().decode())


def with_header(members: dict, header) -> dict:
    text = header if isinstance(header, str) else json.dumps(header)
    return {**members, "header": np.frombuffer(text.encode(), dtype=np.uint8)}


def npy_bytes(shape, dtype="<f8", data=b"") -> bytes:
    """An .npy member declaring `shape` whose data are `data` (possibly too short)."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": dtype, "fortran_order": False,
                                                "shape": tuple(shape)})
    return buf.getvalue() + data


def write_zip(path, members: dict) -> None:
    """members: {name: array or raw .npy bytes}, deflated."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, value in members.items():
            if isinstance(value, np.ndarray):
                buf = io.BytesIO()
                np.lib.format.write_array(buf, value, allow_pickle=False)
                value = buf.getvalue()
            zf.writestr(f"{name}.npy", value)


def load_bounded(path, **kw):
    """sm.load(path) measuring its peak Python/numpy allocation (bytes) and time (s)."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        sm.load(path, **kw)
    finally:
        took = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak, took


def test_a_member_larger_than_the_header_says_is_refused_before_reading(tmp_path):
    """The zip-bomb case: a member whose .npy header declares 3.2 GB where the network needs
    (3, 4) is refused from its 128-byte header, without inflating anything."""
    members = members_of(small_net(sparse=False), tmp_path)
    members["proj0_dense"] = npy_bytes((20000, 20000))
    write_zip(tmp_path / "bomb.npz", members)
    with pytest.raises(ModelFileError, match=r"'.*bomb.npz': array 'proj0_dense' has shape "
                                             r"\(20000, 20000\), but the network in the header "
                                             r"needs \(3, 4\)"):
        peak, took = load_bounded(tmp_path / "bomb.npz")


def test_memory_needed_beyond_max_bytes_is_refused_from_the_zip_directory(tmp_path):
    net = sm.Network()
    net.source("in", 1000)
    net.population("p", 1000)
    net.connect("in", "p", np.zeros((1000, 1000)))  # 8 MB, compresses to a few KB
    net.save(tmp_path / "zeros.npz")
    assert (tmp_path / "zeros.npz").stat().st_size < 100_000
    with pytest.raises(ModelFileError, match=r"array 'proj0_dense' would need 7.6 MiB of "
                                             r"memory, more than the .* left to this load.*"
                                             r"max_bytes="):
        load_bounded(tmp_path / "zeros.npz", max_bytes=2 ** 20)
    peak, _ = load_bounded(tmp_path / "zeros.npz")
    assert 8e6 <= peak < 2.5 * 8e6  # the array read, and the network's own copy of it


def test_member_data_shorter_than_its_header_is_refused(tmp_path):
    members = members_of(small_net(sparse=False), tmp_path)
    members["proj0_dense"] = npy_bytes((3, 4), data=bytes(8))
    write_zip(tmp_path / "short.npz", members)
    with pytest.raises(ModelFileError, match=r"array 'proj0_dense' declares 96 bytes of data "
                                             r"but its zip entry holds 8: the file is damaged"):
        sm.load(tmp_path / "short.npz")


def test_corrupted_member_data_are_refused(tmp_path):
    net = sm.Network()
    net.source("in", 30)
    net.population("p", 30)
    net.connect("in", "p", np.random.default_rng(0).random((30, 30)))
    net.save(tmp_path / "m.npz")
    raw = bytearray((tmp_path / "m.npz").read_bytes())
    raw[len(raw) // 2] ^= 0xFF  # inside the compressed weights
    (tmp_path / "m.npz").write_bytes(bytes(raw))
    with pytest.raises(ModelFileError, match=r"'.*m.npz'"):
        sm.load(tmp_path / "m.npz")


def test_random_bytes_are_not_a_model_and_pickle_is_never_suggested(tmp_path):
    (tmp_path / "r.npz").write_bytes(np.random.default_rng(1).bytes(4096))
    with pytest.raises(ModelFileError, match=r"'.*r.npz' is not a spikemem model file.*not a zip "
                                             r"archive") as e:
        sm.load(tmp_path / "r.npz")
    assert "pickle" not in str(e.value)


@pytest.mark.parametrize("depth", [100_000, 500])
def test_deeply_nested_header_is_refused(tmp_path, depth):
    members = members_of(small_net(), tmp_path)
    header = header_of(members)
    if depth > 1000:  # deeper than JSON can be parsed
        text = "[" * depth + "]" * depth
    else:  # parses, but a model field holds nested lists instead of a number
        header["populations"][0]["model"]["tau_syn"] = json.loads("[" * depth + "]" * depth)
        text = json.dumps(header)
    np.savez(tmp_path / "deep.npz", **with_header(members, text))
    with pytest.raises(ModelFileError, match=r"'.*deep.npz'"):
        sm.load(tmp_path / "deep.npz")


@pytest.mark.parametrize("key, value, pattern", [
    ("proj0_indices", np.array([0, 1]),
     r"array 'proj0_indices' has shape \(2,\), but the network in the header needs \(3,\)"),
    ("proj0_indptr", np.array([0, 1, 2]),
     r"array 'proj0_indptr' has shape \(3,\), but the network in the header needs \(4,\)"),
    ("proj0_indices", np.array([0, 1, 7]),
     r"projection 'in->p': sparse column index 7 lies outside the post population"),
    ("proj0_indptr", np.array([0, 2, 1, 3]), r"projection 'in->p': sparse arrays disagree"),
    ("proj0_delay", np.array([1, 2]),
     r"array 'proj0_delay' has shape \(2,\), but the network in the header needs \(3,\)"),
    ("proj0_indices", np.array([0.0, 1.0, 2.0]),
     r"projection 'in->p': sparse indices must be a 1-D integer array"),
])
def test_sparse_arrays_of_the_wrong_length_or_range_in_a_file(tmp_path, key, value, pattern):
    members = members_of(small_net(), tmp_path)
    members[key] = value
    np.savez(tmp_path / "edited.npz", **members)
    with pytest.raises(ModelFileError, match=pattern):
        sm.load(tmp_path / "edited.npz")


@pytest.mark.parametrize("edit, pattern", [
    (lambda h: h["populations"][0]["model"].update(type="LIFF"),
     r"neuron model type 'LIFF' is unknown \(did you mean 'LIF'\?\): known types are \["),
    (lambda h: h["populations"][0]["model"].update(v_th=-1.0),
     r"population 'p': v_th = -1 must be above v_reset = 0"),
    (lambda h: h["populations"][0].update(bias={"array": "proj0_data"}),
     r"array 'proj0_data' has shape \(3,\), but the network in the header needs \(4,\)"),
    (lambda h: h.update(populations={"p": 1}), r"model header 'populations' must be a list"),
    (lambda h: h["projections"][0].pop("pre"), r"projection 'in->p' has no field 'pre'"),
    (lambda h: h["projections"][0].update(pre="nowhere"),
     r"no population or source named 'nowhere'"),
    (lambda h: h["probes"].append("p"), r"probe 'p' must be \[target, variable\]"),
    (lambda h: h["sources"][0].update(kind="camera"), r"source 'in' has unknown kind 'camera'"),
])
def test_edited_headers_are_refused_naming_the_part(tmp_path, edit, pattern):
    members = members_of(small_net(), tmp_path)
    header = header_of(members)
    edit(header)
    np.savez(tmp_path / "edited.npz", **with_header(members, header))
    with pytest.raises(ModelFileError, match=pattern):
        sm.load(tmp_path / "edited.npz")


def test_a_file_describing_a_huge_population_loads_cheaply_and_is_refused_at_compile(tmp_path):
    members = members_of(small_net(), tmp_path)
    header = header_of(members)
    header["populations"][0]["n"] = 10 ** 12
    np.savez(tmp_path / "huge.npz", **with_header(members, header))
    peak, _ = load_bounded(tmp_path / "huge.npz")
    assert peak < 10 ** 6
    with pytest.raises(ModelError, match=r"compiling this network \(1000000000000 neurons"):
        sm.compile(sm.load(tmp_path / "huge.npz"))


# ---- saving ----------------------------------------------------------------------------------
@pytest.mark.parametrize("where, pattern", [
    (lambda tmp: tmp / "missing" / "m.npz", r"the folder '.*missing' does not exist; create"),
    (lambda tmp: tmp, r"cannot write '.*': it is a folder; give a file name inside it"),
    (lambda tmp: tmp / "file.txt" / "m.npz", r"the folder '.*file.txt' is a file, not a folder"),
    (lambda tmp: "/proc/spikemem-model.npz", r"cannot write '/proc/spikemem-model.npz'.*choose "
                                             r"a folder you can write to"),
])
def test_saving_where_a_file_cannot_be_written_is_refused(tmp_path, where, pattern):
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(ModelError, match=pattern):
        small_net().save(where(tmp_path))


def test_saving_into_a_read_only_folder_is_refused(tmp_path, monkeypatch):
    """The operating system's refusal (here simulated: CI runs as root, who may write into
    read-only folders) becomes a ModelError naming the path and the fix."""
    import spikemem.files

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr(spikemem.files.tempfile, "mkstemp", denied)
    with pytest.raises(ModelError, match=r"cannot write .*m.npz.*Permission denied.*choose a "
                                         r"folder you can write to"):
        small_net().save(tmp_path / "m.npz")
    assert list(tmp_path.iterdir()) == []


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_temporary_files_of_a_killed_save_are_removed_by_the_next_save(tmp_path):
    orphan = tmp_path / f".m.npz.{dead_pid()}.abc123.tmp"
    busy = tmp_path / f".m.npz.{os.getppid()}.def456.tmp"   # a writer still running
    other = tmp_path / f".other.npz.{dead_pid()}.ghi789.tmp"  # another file's
    for f in (orphan, busy, other):
        f.write_bytes(b"PK partial")
    small_net().save(tmp_path / "m.npz")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [busy.name, other.name, "m.npz"])
    assert remove_orphans(tmp_path / "other.npz") == [other]


def test_a_save_killed_midway_leaves_the_old_file_and_the_next_save_cleans_up(tmp_path):
    small_net().save(tmp_path / "m.npz")
    script = ("import os, numpy as np, spikemem as sm\n"
              "import spikemem.model.archive as a\n"
              "def die(f, **k):\n    f.write(b'PK partial'); f.flush(); os._exit(9)\n"
              "a.np.savez_compressed = die\n"
              "net = sm.Network(); net.population('q', 2)\n"
              f"net.save({str(tmp_path / 'm.npz')!r})\n")
    assert subprocess.run([sys.executable, "-c", script]).returncode == 9
    assert len(list(tmp_path.glob(".m.npz.*.tmp"))) == 1
    assert list(sm.load(tmp_path / "m.npz").populations) == ["p"]  # the old file
    small_net().save(tmp_path / "m.npz")
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]
