"""Generation throughput: images/s at 640×192, Cycles 1 sample on the CPU.

Run: python -m pytest benchmarks/test_bench_generate.py --benchmark-only
The timed call includes starting the worker (importing Blender, about 1–2 s);
extra_info also gives the steady-state seconds per image, stage by stage.
"""

import pytest

from drbench.generate import Settings, generate

N = 8


@pytest.mark.slow
def test_generate_throughput(benchmark, tmp_path_factory):
    def run():
        out = tmp_path_factory.mktemp("bench")
        return generate(out, N, seed=0, settings=Settings(width=640, height=192, samples=1), progress=False)

    result = benchmark.pedantic(run, rounds=2, iterations=1)
    assert result["generated"] == N
    per_image = sum(result["stage_seconds"].values())
    benchmark.extra_info.update(
        images=N,
        images_per_s=N / result["seconds"],
        steady_seconds_per_image=per_image,
        stage_seconds=result["stage_seconds"],
    )
