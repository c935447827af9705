"""One line per vaeaug configuration: its scores against the anchors on the KEEL dev split.

Each configuration is ranked against the anchor samplers alone (not against the other
configurations), so lines are comparable whichever CSVs they came from.

    python benchmarks/tuning_table.py anchors.csv sweep1.csv sweep2.csv ...
"""

from __future__ import annotations

import argparse

import pandas as pd


def line(df: pd.DataFrame, anchors: list[str], config: str, metric: str) -> dict:
    part = df[df.sampler.isin([*anchors, config])]
    per = part.groupby(["dataset", "sampler", "clf"])[metric].mean().reset_index()
    per["rank"] = per.groupby(["dataset", "clf"])[metric].rank(ascending=False)
    mine = per[per.sampler == config].set_index(["dataset", "clf"])[metric]
    smote = per[per.sampler == "smote"].set_index(["dataset", "clf"])[metric]
    diff = (mine - smote.reindex(mine.index)).dropna()
    return {f"{metric}": mine.mean(), f"{metric}_rank": per[per.sampler == config]["rank"].mean(),
            f"{metric}_w/t/l": f"{(diff > 1e-9).sum()}/{(diff.abs() <= 1e-9).sum()}/"
                                f"{(diff < -1e-9).sum()}"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("csv", nargs="+")
    a = ap.parse_args()
    df = pd.concat([pd.read_csv(p) for p in a.csv])
    configs = sorted(s for s in df.sampler.unique() if s.startswith("vaeaug"))
    anchors = [s for s in df.sampler.unique() if not s.startswith("vaeaug")]
    rows = []
    for config in configs:
        row = {"config": config}
        for metric in ("gmean", "auc"):
            row.update(line(df, anchors, config, metric))
        row["secs_med"] = df[df.sampler == config].secs.median()
        rows.append(row)
    table = pd.DataFrame(rows).sort_values("gmean_rank")
    print(f"ranked against {len(anchors)} anchors: {', '.join(sorted(anchors))}")
    print(table.round(3).to_markdown(index=False) if _has_tabulate() else table.round(3))


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    main()
