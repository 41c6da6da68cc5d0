"""python -m stylegan_np.bench prints one JSON line per configuration with BENCH.md's fields."""
import json

from stylegan_np import bench

FIELDS = {"impl", "backend", "device", "res", "batch", "r1", "iter_s_median", "iter_s_min", "img_per_s",
          "peak_memory_bytes", "params"}


def test_bench_prints_the_fields(capsys):
    bench.main(["--res", "8", "--batch", "4", "--iters", "1", "--warmup", "0"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert FIELDS <= record.keys()
    assert record["res"] == 8 and record["batch"] == 4 and record["r1"] == 10.0
    assert record["iter_s_min"] <= record["iter_s_median"]
    assert abs(record["img_per_s"] - 4 / record["iter_s_median"]) < 1e-6


def test_bench_network_widths_match_bench32():
    """BENCH.md: channels {4: 256, 8: 256, 16: 128, 32: 64}; mapping 8 x 256; toRGB from 64 channels."""
    G, D = bench.build(32)
    assert G.const.shape == (1, 256, 4, 4)
    assert [layer.adain.channels for layer in G.layers] == [256, 256, 256, 256, 128, 128, 64, 64]
    assert len(G.mapping.net) == 8 and G.mapping.net[0].weight.shape == (256, 256)
    assert G.to_rgb[-1].weight.shape == (3, 64, 1, 1)
    assert D.from_rgb[-1].weight.shape == (64, 3, 1, 1)
    assert D.conv4.weight.shape == (256, 257, 3, 3)           # minibatch stddev adds one channel
    assert D.dense4.weight.shape == (256, 4096) and D.out.weight.shape == (1, 256)


def test_keep_freed_memory_applies_on_linux_and_can_be_switched_off(monkeypatch):
    import sys
    from stylegan_np.allocator import keep_freed_memory
    monkeypatch.setenv("STYLEGAN_NP_KEEP_FREED_MEMORY", "0")
    assert keep_freed_memory() is False
    monkeypatch.setenv("STYLEGAN_NP_KEEP_FREED_MEMORY", "1")
    if sys.platform.startswith("linux"):
        assert keep_freed_memory() is True


def test_bench_preset_tiny_has_the_benchtiny_sizes(capsys):
    """BENCH.md, benchtiny: --res 16 --batch 16 --fmap-base 256 --fmap-max 32 --zdim 128 --r1 1 --r1-interval 4;
    an option given explicitly wins over the preset (here --batch 4 and --iters 5, rounded up to 8)."""
    bench.main(["--preset", "tiny", "--batch", "4", "--iters", "5", "--warmup", "0"])
    record = json.loads(capsys.readouterr().out.strip())
    assert (record["res"], record["batch"], record["fmap_base"], record["fmap_max"], record["zdim"]) == (16, 4, 256, 32, 128)
    assert (record["r1"], record["r1_interval"], record["iters"]) == (1.0, 4, 8)
    assert record["iter_s_min"] <= record["iter_s_mean"]
    G, D = bench.build(16, fmap_base=256, fmap_max=32, z_dim=128)
    assert [layer.adain.channels for layer in G.layers] == [32, 32, 32, 32, 16, 16]
    assert G.mapping.net[0].weight.shape == (128, 128)


def test_bench_lazy_r1_runs_every_kth_step_scaled_by_k(monkeypatch):
    from stylegan_np import backend, losses
    calls = []
    real_r1 = losses.r1_penalty

    def counting_r1(d_real, reals, gamma):
        calls.append(gamma)
        return real_r1(d_real, reals, gamma)

    monkeypatch.setattr(losses, "r1_penalty", counting_r1)
    backend.use("numpy")
    G, D = bench.build(8, fmap_base=64, fmap_max=16, z_dim=16)
    iteration = bench.make_iteration(G, D, 4, 8, 2.0, backend.generator(0), r1_interval=3)
    for _ in range(7):
        iteration()
    assert calls == [6.0, 6.0, 6.0]            # steps 0, 3 and 6, gamma 2 scaled by the interval 3


def test_bench_rejects_an_r1_interval_below_one(capsys):
    import pytest
    from stylegan_np.cli import run_main
    with pytest.raises(SystemExit) as exit_info:
        run_main(bench.main, ["--r1-interval", "0", "--iters", "1"])
    assert exit_info.value.code == 2
    assert "--r1-interval" in capsys.readouterr().err
