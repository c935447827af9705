"""Data-parallel training: shard merging, equal step counts, and real torchrun runs (gloo)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
import torch

from vaeaug import CVAEOverSampler, ImageCVAEOverSampler
from vaeaug.distributed import fit_distributed
from vaeaug.preprocessing import TableTransformer
from vaeaug.training import batch_indices


def table(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "a": rng.normal(seed, 1 + seed, n),
        "n": rng.integers(0, 10, n),
        "const": np.full(n, 3.0),
        "c": rng.choice(["x", "y"] if seed == 0 else ["y", "z"], n),
    })


def test_merged_transformer_equals_fit_on_all_rows():
    shards = [table(50, 0), table(80, 1), table(30, 2)]
    for i, shard in enumerate(shards):  # whole days in one shard, whole hours in the others
        shard["when"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(
            np.arange(len(shard)) * (24 if i == 0 else 1), unit="h")
    parts = [(len(s), TableTransformer(["c"]).fit(s)) for s in shards]
    merged = TableTransformer.merge(parts)
    whole = TableTransformer(["c"]).fit(pd.concat(shards, ignore_index=True))
    for got, want in zip(merged.columns_, whole.columns_):
        assert got["kind"] == want["kind"]
        if got["kind"] == "numeric":
            for key in ("mean", "std", "min", "max"):
                assert got[key] == pytest.approx(want[key], rel=1e-9, abs=1e-12), key
            assert got["integer"] == want["integer"]
            assert got.get("step") == want.get("step")  # the hour, for "when"
        else:
            assert got["categories"] == want["categories"] == ["x", "y", "z"]
    np.testing.assert_allclose(merged.transform(shards[1]), whole.transform(shards[1]),
                               rtol=1e-5, atol=1e-6)


def test_merged_heavy_tailed_column_keeps_the_asinh_scale():
    rng = np.random.default_rng(3)

    def shard(n, far):
        values = rng.normal(10, 2, n)
        values[0] = far
        return pd.DataFrame({"b": values})

    shards = [shard(300, 1e9), shard(200, 5e8)]
    parts = [(len(s), TableTransformer().fit(s)) for s in shards]
    merged = TableTransformer.merge(parts)
    whole = TableTransformer().fit(pd.concat(shards, ignore_index=True))
    got, want = merged.columns_[0], whole.columns_[0]
    # the shards' averages: close to the whole table's centre and spread, not equal
    assert got["center"] == pytest.approx(want["center"], rel=0.02)
    assert got["spread"] == pytest.approx(want["spread"], rel=0.1)
    np.testing.assert_allclose(merged.transform(shards[1]), whole.transform(shards[1]),
                               rtol=0.1, atol=0.02)
    # a shard without the far value standardises the column: so does the merge
    parts[1] = (200, TableTransformer().fit(pd.DataFrame({"b": rng.normal(10, 2, 200)})))
    assert "center" not in TableTransformer.merge(parts).columns_[0]


def test_merge_rejects_no_rows_and_conflicting_kinds():
    with pytest.raises(ValueError, match="empty"):
        TableTransformer.merge([(0, TableTransformer(["c"]).fit(table(5, 0)))])
    numeric = TableTransformer().fit(pd.DataFrame({"c": [1.0, 2.0]}))
    categorical = TableTransformer(["c"]).fit(pd.DataFrame({"c": ["a", "b"]}))
    with pytest.raises(ValueError, match="numeric in some shards"):
        TableTransformer.merge([(2, numeric), (2, categorical)])
    # within the limit on categories in each shard, over it together
    halves = [TableTransformer(["c"]).fit(pd.DataFrame({"c": [f"{k}{i % 600}" for i in
                                                              range(1200)] + ["shared"]}))
              for k in "ab"]
    with pytest.raises(ValueError, match="'c' has 1,201 categories"):
        TableTransformer.merge([(1201, t) for t in halves])
    # the same columns in another order: column i of one shard was merged with column i of
    # the other, silently (two files of different column order read by two processes)
    ab = TableTransformer().fit(pd.DataFrame({"a": [1.0, 2.0], "b": [5.0, 9.0]}))
    ba = TableTransformer().fit(pd.DataFrame({"b": [5.0, 9.0], "a": [1.0, 2.0]}))
    with pytest.raises(ValueError, match=r"The shards' columns differ: \['a', 'b'\] in one, "
                                         r"\['b', 'a'\] in another"):
        TableTransformer.merge([(2, ab), (2, ba)])


@pytest.mark.parametrize("balance", [True, False])
def test_fixed_number_of_batches(balance):
    y = torch.tensor([0] * 7 + [1] * 3)
    batches = batch_indices(y, 4, balance, torch.Generator().manual_seed(0), n_batches=6)
    assert len(batches) == 6 and all(len(b) == 4 for b in batches)
    assert int(torch.cat(batches).max()) < 10


def test_fit_distributed_needs_a_process_group_and_a_table_sampler():
    X, y = np.zeros((4, 2)), np.array([0, 0, 1, 1])
    with pytest.raises(RuntimeError, match="torchrun"):
        fit_distributed(CVAEOverSampler(), X, y)
    with pytest.raises(TypeError, match="tables"):
        fit_distributed(ImageCVAEOverSampler(), X, y)


WORKER = textwrap.dedent("""
    import sys, torch, numpy as np
    from vaeaug import CVAEOverSampler, distributed
    distributed.init("cpu")
    rank = torch.distributed.get_rank()
    rng = np.random.default_rng(rank)
    n = 120 + 40 * rank                      # unequal shards: equal step counts still needed
    y = (rng.random(n) < 0.2).astype(int)
    X = rng.normal(size=(n, 3)) + 2 * y[:, None]
    s = distributed.fit_distributed(CVAEOverSampler(epochs=4, random_state=0), X, y)
    flat = torch.cat([p.detach().flatten() for p in s.module_.parameters()])
    strategy = {int(k): int(v) for k, v in s.sampling_strategy_.items()}
    torch.save({"flat": flat, "history": s.history_, "strategy": strategy,
                "rows": [len(r) for r in s._class_rows], "n": n, "minority": int(y.sum())},
               sys.argv[1] + f"/rank{rank}.pt")
    torch.distributed.destroy_process_group()
""")


def torchrun(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                           "--nproc_per_node", "2", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def test_ddp_replicas_agree_and_see_all_rows(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    done = torchrun(str(script), str(tmp_path), cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    r0, r1 = (torch.load(tmp_path / f"rank{r}.pt") for r in (0, 1))
    torch.testing.assert_close(r0["flat"], r1["flat"])  # one model, not two
    assert r0["history"] == r1["history"] and len(r0["history"]) == 4
    total, minority = r0["n"] + r1["n"], r0["minority"] + r1["minority"]
    assert r0["strategy"] == r1["strategy"] == {1: total - 2 * minority}
    assert r0["rows"] == [total - minority, minority]


def test_torchrun_cli_fit_writes_one_model_from_all_shards(tmp_path):
    frames = []
    for i in range(3):  # 3 files over 2 processes: rank 0 reads parts 0 and 2
        # part 1, all rank 1 reads, has no rare row: a shard may hold one class (it was
        # refused: "part-1.csv: target column 'label' has only one class")
        rare = (np.arange(60) % 5 == 0) & (i != 1)
        df = table(60, i).assign(label=np.where(rare, "rare", "common"))
        if i == 2:  # gaps in one file: rank 0's shard has them, rank 1's has none
            df.loc[df.index % 4 == 1, "a"] = np.nan
            df.loc[df.index % 6 == 1, "c"] = None
        df.to_csv(tmp_path / f"part-{i}.csv", index=False)
        frames.append(df)
    done = torchrun("-m", "vaeaug", "fit", "part-0.csv", "part-1.csv", "part-2.csv",
                    "--target", "label", "-o", "model.vaeaug", "--epochs", "3", "-q",
                    cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    sampler = CVAEOverSampler.load(tmp_path / "model.vaeaug")
    assert sampler.sampling_strategy_ == {"rare": 180 - 2 * 24}
    a, c = sampler.transformer_.columns_[0], sampler.transformer_.columns_[3]
    assert c["categories"][-1] is None and sorted(c["categories"][:-1]) == ["x", "y", "z"]
    assert a["missing"]  # from rank 0's shard alone
    X_new, y_new = sampler.sample(20, y="rare", random_state=0)
    assert len(X_new) == 20 and set(y_new) == {"rare"}
    assert X_new[["n", "const"]].notna().all().all()


@pytest.mark.parametrize("gpus, rank, expected", [(2, 1, "cuda:1"), (4, 1, "cuda:1"),
                                                  (1, 1, "cpu"), (1, 0, "cpu"), (0, 0, "cpu")])
def test_each_process_gets_its_own_gpu_or_all_train_on_cpus(monkeypatch, gpus, rank, expected):
    # torchrun --nproc_per_node 2 on a one-GPU machine: rank 1 asked for cuda:1 and died
    # with "CUDA error: invalid device ordinal" (found on a lent H200)
    from vaeaug import distributed

    monkeypatch.setenv("LOCAL_WORLD_SIZE", "2")
    monkeypatch.setenv("LOCAL_RANK", str(rank))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: gpus > 0)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: gpus)
    if expected == "cpu" and gpus:
        with pytest.warns(UserWarning, match=f"torchrun started 2 processes on this machine, "
                                             f"which has {gpus} GPU: training on the CPUs"):
            assert str(distributed.process_device("auto", say=True)) == expected
    else:
        assert str(distributed.process_device("auto", say=True)) == expected
    monkeypatch.setattr(distributed, "resolve_device", lambda requested: torch.device("cuda"))
    if gpus >= 2:
        assert str(distributed.process_device("cuda")) == expected
    else:
        with pytest.raises(ValueError, match=r"device='cuda': torchrun started 2 processes on "
                                             r"this machine, which has [01] GPU"):
            distributed.process_device("cuda")
