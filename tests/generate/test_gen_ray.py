"""Generation on a real local Ray cluster (two nodes on this machine) equals a one-process run,
also when a node is lost mid-run."""

import json
import shutil
import time
from pathlib import Path

import pytest
import ray
from ray_cluster import local_cluster

from drbench.cli import main
from drbench.events import Event, EventLog, read_events
from drbench.generate import Settings, generate
from drbench.generate.ray_shards import generate_on_ray

pytestmark = pytest.mark.slow

SMALL = dict(width=320, height=96, samples=1, max_cars=6, masks=True)
N, SEED = 6, 11
ATTEMPTS = 3  # fresh runs in which both nodes must render at least once (a start-up race)
FOLDERS = ("image_2", "label_2", "mask_2", "label_json")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A head node and a second node, one CPU each, on this machine. Yields (address, fault
    file): an actor on the node whose id is written there kills its node (DRBENCH_RAY_FAULT)."""
    fault = tmp_path_factory.mktemp("fault") / "lose-node"
    with local_cluster(2, env={"DRBENCH_RAY_FAULT": str(fault)}) as address:
        yield address, fault


@pytest.fixture(scope="module")
def one_process(tmp_path_factory):
    """The reference: the same data set from one local process, and its seconds."""
    out = tmp_path_factory.mktemp("single") / "run"
    started = time.perf_counter()
    generate(out, N, seed=SEED, settings=Settings(**SMALL), progress=False)
    return out, time.perf_counter() - started


def _same_data_set(a: Path, b: Path) -> None:
    for folder in FOLDERS:
        names = sorted(p.name for p in (a / folder).iterdir())
        assert names == sorted(p.name for p in (b / folder).iterdir()) and len(names) == N, folder
        for name in names:
            assert (a / folder / name).read_bytes() == (b / folder / name).read_bytes(), (folder, name)
    assert (a / "manifest.json").read_bytes() == (b / "manifest.json").read_bytes()
    assert sorted(p.name for p in a.iterdir()) == sorted(p.name for p in b.iterdir())


def test_two_nodes_render_the_one_process_data_set(cluster, one_process, tmp_path):
    """Chunks go to whichever actor is idle, so an actor whose Blender starts late can find the
    queue empty: a run on one node is still a correct run, and the test tries again (up to
    ATTEMPTS fresh runs) until one spreads; it fails if none does."""
    address, _ = cluster
    reference, single_seconds = one_process
    for attempt in range(ATTEMPTS):
        out, log = tmp_path / f"ray-{attempt}", EventLog(tmp_path / f"events-{attempt}.jsonl")
        result = generate_on_ray(out, N, SEED, Settings(**SMALL), address=address, chunk=1,
                                 progress=False, events=log)
        per_node = result["ray"]["chunks_per_node"]
        print(f"\none process: {single_seconds:.1f} s; Ray, 2 workers on 2 nodes: {result['seconds']:.1f} s "
              f"(chunks per node {sorted(per_node.values())})")
        _same_data_set(reference, out)
        assert result["generated"] == N and not result["failed"] and result["ray"]["workers"] == 2
        assert sum(per_node.values()) == N and result["ray"]["retried"] == 0
        assert json.loads((out / "manifest.json").read_text())["complete"]
        start, stop = read_events(log.path)
        assert (start.key, start.metadata["indices"]) == (Event.GENERATION_START, list(range(N)))
        assert (stop.key, stop.metadata["rendered"], stop.metadata["failed"]) == (Event.GENERATION_STOP, N, 0)
        if len(per_node) == 2:  # both nodes rendered
            return
    pytest.fail(f"{ATTEMPTS} runs rendered every chunk on one node")


def test_generate_command_on_ray_resumes(cluster, one_process, tmp_path, capsys):
    address, _ = cluster
    reference, _ = one_process
    out = tmp_path / "resumed"
    shutil.copytree(reference, out)
    for folder, suffix in zip(FOLDERS, (".png", ".txt", ".png", ".json")):  # as if a run had stopped early
        (out / folder / f"00000{N - 1}{suffix}").unlink()
    config = tmp_path / "small.yaml"
    config.write_text("max_cars: 6\nmasks: true\n")
    argv = ["generate", "--config", str(config), "--out", str(out), "--n", str(N), "--seed", str(SEED),
            "--width", "320", "--height", "96", "--ray-address", address, "--resume"]
    assert main(argv) == 0, capsys.readouterr().out
    printed = capsys.readouterr().out
    assert "'generated': 1" in printed and f"'skipped': {N - 1}" in printed, printed
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest.pop("config")["path"] == str(config)  # the only difference: how the run was described
    assert manifest == json.loads((reference / "manifest.json").read_text())
    (out / "manifest.json").write_bytes((reference / "manifest.json").read_bytes())
    _same_data_set(reference, out)


def test_a_lost_nodes_chunk_is_rendered_again(cluster, one_process, tmp_path):
    """Last here: it kills a node. The driver keeps the node it is attached to (losing that one
    would end this process), so the other node is lost, as soon as its actor gets a chunk."""
    address, fault = cluster
    reference, _ = one_process
    ray.init(address=address, logging_level="WARNING", log_to_driver=False)
    try:
        mine = ray.get_runtime_context().get_node_id()
        fault.write_text(next(n["NodeID"] for n in ray.nodes() if n["Alive"] and n["NodeID"] != mine))
        result = generate_on_ray(tmp_path / "ray", N, SEED, Settings(**SMALL), address=address, chunk=1,
                                 progress=False)
    finally:
        ray.shutdown()
    print(f"\nRay, 2 workers, one node lost: {result['seconds']:.1f} s")
    assert not fault.exists(), "the other node's actor never got a chunk"
    assert result["ray"]["retried"] == 1 and list(result["ray"]["chunks_per_node"]) == [mine]
    assert result["generated"] == N and not result["failed"]
    _same_data_set(reference, tmp_path / "ray")
