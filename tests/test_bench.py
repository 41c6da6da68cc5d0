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
