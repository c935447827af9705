"""Generation experiments: one CVAE fit per fold, several ways to draw new minority rows.

The anchor protocol of ``keel.py`` (same folds, scaler, classifiers, metrics), but each fold's
default CVAEOverSampler is trained once and every variant named on the command line generates
from it, so variants differ only in generation. Results for docs/benchmarks.md are in
benchmarks/results/variants.csv (sampler names prefixed ``vaeaug~``).

    python benchmarks/variants.py base,strat,hyb_half,latwalk out.csv [first_n_datasets]
    python benchmarks/variants.py base,smote,smote_mix25 out.csv   # the "mixed" round
    VAEAUG_SEED_OFFSET=100 python benchmarks/variants.py ...       # other seeds, same folds
    VAEAUG_GEN_OFFSET=100 python benchmarks/variants.py ...        # same CVAEs, other draws
    VAEAUG_AUTO_STEPS=750 python benchmarks/variants.py ...        # other training lengths
    VAEAUG_PARAMS='{"hidden_dims": [32, 32]}' python benchmarks/variants.py ...  # other CVAEs
    python benchmarks/variants.py smote_mix25,rescale25,rowscale25,rowscale25_x07 out.csv
        # the fifth round: residual steps rescaled (rescaleNN / rowscaleNN: NN % SMOTE rows,
        # _xMM: MM/10 times the length; gauss25, safe25, nonoise25, ext25, mix25_t125 too)
    python benchmarks/variants.py rowscale25,proj25,proj25_x14,nbgauss25,enemy25 out.csv
        # the sixth round: projNN[_xMM] as rowscale, the residual projected onto the span of
        # the directions to the seed's 5 neighbours (the default since); nbgauss25 a random
        # direction in that span; enemy25[_x07] no step longer than half (0.35 of) the way to
        # the nearest other-class row; copy10/copy20/half_copy10 a share of exact copies;
        # size25 half SMOTE rows for classes under 20 rows
    python benchmarks/variants.py proj25,strat25,short25,denoise25,bmix25,bmixinv25 out.csv
    python benchmarks/variants.py pair25,sparse25,dense25 out.csv
        # the seventh round: proj25 with stratified draws (exact SMOTE share, seeds used
        # equally often, u evenly spread), SMOTE rows half as long, or residual rows started
        # half way to the seed's reconstruction dec(mu_i); bmix25 / bmixinv25: SMOTE rows
        # from seeds near the other class (inside the class), a quarter on average;
        # pair25: seeds drawn in pairs, the second residual the first's negative;
        # sparse25 / dense25: seeds weighted by (the inverse of) their neighbours' distance
    VAEAUG_AUTO_STEPS=750 python benchmarks/variants.py proj25 out.csv
    VAEAUG_PARAMS='{"hidden_dims": [32, 32]}' python benchmarks/variants.py proj25 out.csv
        # the eighth round: the default rule from CVAEs trained otherwise (docs/benchmarks.md)
    python benchmarks/variants.py herd4_25 out.csv
        # the ninth round: herdM_25 draws M times as many proj25 rows and keeps the ones
        # kernel herding picks (herd); the library's "mixed" since (in blocks of 1,024);
        # herd4_25_w05 / _w20: the kernel's bandwidth half / twice the default; herd4_33:
        # candidates a third SMOTE rows (herding keeps about a fifth of them, not a quarter)
    VAEAUG_MAX_MINORITY=13 VAEAUG_PARAMS='{"balance_classes": "auto"}' \
        python benchmarks/variants.py herd4_25 out.csv
        # the eleventh round: plain-shuffle minibatches for classes of at most 10 rows, run
        # on the 12 data sets where a training fold can have one (the other data sets'
        # rows are the default's); the library's default since. VAEAUG_SMALL_CLASS=15 (with
        # VAEAUG_MAX_MINORITY=19) and 20 (25) move the cut-off
    VAEAUG_MAX_MINORITY=13 python benchmarks/variants.py herd4_25,herd4_0,herd4_50,herd4_100 out.csv
        # the twelfth round: the SMOTE share of the candidates for the tiny classes (eight
        # draws: VAEAUG_SEED_OFFSET=100..400 and VAEAUG_GEN_OFFSET=100..300 as well)
    VAEAUG_MAX_MINORITY=13 VAEAUG_PARAMS='{"latent_dim": 8}' \
        python benchmarks/variants.py herd4_25 out.csv
        # the thirteenth round: the tiny classes' CVAE smaller (also {"beta": 1.0},
        # {"hidden_dims": [32, 32]}, VAEAUG_AUTO_STEPS=750), the same eight draws
    VAEAUG_SETS=ecoli python benchmarks/variants.py proj25,proj25_x07,proj25_x05,projpos25 out.csv
        # a diagnostic of the 15 ecoli sets (docs/benchmarks.md, "Where vaeaug loses"): do
        # shorter or inward steps win more of them? (seeds 0, 100, 200, 300)
    python benchmarks/variants.py herd4_25,herd4_pos25 out.csv
        # the same inward-only steps (projpos25 candidates), herded, on all of dev (seeds 0, 100)
    python benchmarks/variants.py herd4_25,herd4_100 out.csv
        # the fourteenth round: herded SMOTE rows alone, on all of dev (seeds 0, 100)
    VAEAUG_MAX_MINORITY=13 python benchmarks/variants.py herd4_25,herd8_25,herd16_25 out.csv
        # and a larger herding pool for the tiny classes (VAEAUG_GEN_OFFSET=0, 100, 200, 300)
    python benchmarks/variants.py herd4_25,herd4_25_vm,herd4_25_vmx out.csv
        # the twenty-fifth round: the new rows' spread per column brought to the class's
        # (_vm only narrowed, _vmx either way), seeds 0 and 100
    python benchmarks/variants.py herd4_25,herd4_25_mean,herd4_25_half,herd4_25_ext5 out.csv
        # the fifteenth round: the herded rows shifted so that their mean is the real rows'
        # (_mean), half way (_half), or away from it (_extMM: MM/10 times the shift);
        # with VAEAUG_PARAMS='{"batch_size": 128}' or VAEAUG_EMA=0.99 (weights averaged)
    python benchmarks/variants.py herd4_25,herd4_25_r50,herd4_25_r75,herd4_25_r125 out.csv
        # the sixteenth round: how many rows to add, _rXX: XX % of what balancing the
        # classes needs (r90, r110, r150 too; seeds 0 and 100)
    python benchmarks/variants.py herd4_25,herd4_25_clip0,herd4_25_clip25 out.csv
        # the seventeenth round: the new rows clipped, column by column, to the class's own
        # range (_clip0) or that range widened by a quarter on each side (_clip25)
    python benchmarks/variants.py herd4_25,herd4_25_tomek,herd4_25_tomekmaj,smote_tomek out.csv
        # the eighteenth round: after oversampling, both rows of every Tomek link removed
        # (imbalanced-learn's SMOTETomek recipe; _tomekmaj: the links' majority rows only),
        # for the default rule and for plain SMOTE; on the held-out sets with
        # VAEAUG_SET_LIST=abalone9_18,... (the 27 of benchmarks/results/heldout-27.csv)
    python benchmarks/variants.py herd4_25,herd4_25_elbo25,herd4_25_elbo50 out.csv
        # the nineteenth round: candidates that the CVAE's own loss finds less like the
        # minority than like the majority (label-swapped ELBO) dropped before herding;
        # herd4_25_elbotop25 drops the most minority-like quarter instead
    python benchmarks/variants.py herd4_25,herd4_25_ens2 out.csv
        # the twenty-first round: _ensK herds candidates drawn from K CVAEs of the fold
        # (seeds seed, seed + 1000, ...), an equal share from each; VAEAUG_AUTO_STEPS=750
        # for K = 2 at the time of one default fit
    python benchmarks/variants.py herd4_25,herd4_25_snap2,herd4_25_snap10,herd4_25_snapc10 out.csv
        # the twenty-second round: _snapD moves each new value of a column with at most D
        # distinct values in the training fold to the nearest of them (_snapcD: of the
        # minority class's values), after herding (seeds 0 and 100)
    python benchmarks/variants.py herd4_25,herd4_away25,herd4_toward25 out.csv
        # the twenty-third round: projawayNN (projtowardNN) turns round the residual steps
        # that point toward (away from) the seed's nearest other-class row (seeds 0, 100);
        # herd4_away25_snap10 combines it with the twenty-second round's rule
    python benchmarks/variants.py herd4_25,herd4_awaynear25,herd4_perp25,herd4_perpnear25 out.csv
        # the twenty-fourth round (seeds 0, 100): projawaynearNN turns round only the steps
        # of seeds on the class's border (nearest other-class row nearer than the seed's mean
        # distance to its 5 own neighbours); projperpNN takes the part of every step toward
        # that row out, length kept; projperpnearNN does so on the border only (the
        # library's rule at commit 3dba090, not kept); herd4_25_pushXX herds with XX/10
        # times each candidate's mean kernel to the other class's rows subtracted from its
        # density (push03, push10)
    python benchmarks/variants.py herd4_25,herd4_25_maj25,herd4_25_maj100 out.csv
        # the twenty-sixth round (seeds 0, 100, 200): _majXX adds XX % of the majority class's
        # rows too (the library's sample(y=0)), and the minority is topped up to the
        # enlarged majority; new rows on both sides of the border, not only the minority's
        # herd4_25_dup, the control: the default's resampled set with every row twice
    python benchmarks/variants.py herd4_25_rosmaj100,herd4_25_smotemaj100 out.csv
        # the twenty-seventh round (seeds 0, 100): _maj100's minority rows with the
        # majority doubled by copies of its real rows (_rosmaj) or by SMOTE rows of the
        # majority class (_smotemaj): which of _maj100's changes wins the pairs
    python benchmarks/variants.py herd4_25_maj50,herd4_25_maj200 out.csv
        # the twenty-seventh round's doses (seed 0; _maj50 on seed 100 too); the library's
        # own runs of _maj50: keel.py -s "vaeaug:majority=50"
    python benchmarks/tuning_table.py benchmarks/results/anchors-dev.csv out.csv

(The ``binary-hard:``/``binary-soft:`` rows were measured with the VAEAUG_BINARY switch of
commit 6c917ad, which modelled two-valued numeric columns as Bernoulli; it was removed. The
eighth round's class prior and KL warm-up were switches of commit 1facc97, its half-balanced
minibatches one of commit 8a9f34d, removed likewise. The tenth round's herdr4_25, herding
with the class's real rows counted as picks already made, ran at commit 00d1826.)
"""
import csv
import json
import os
import re
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from imblearn.under_sampling import TomekLinks
from joblib import Parallel, delayed
from sklearn.model_selection import RepeatedStratifiedKFold
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import StandardScaler

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import keel  # noqa: E402

#: Added to the fold number for the CVAE's and the generators' seeds (VAEAUG_SEED_OFFSET):
#: rerunning with another offset shows how much of a difference is the draw.
SEED_OFFSET = int(os.environ.get("VAEAUG_SEED_OFFSET", "0"))
#: Added to the generators' seeds alone (VAEAUG_GEN_OFFSET): the same CVAEs, other draws, to
#: split the draw-to-draw noise into the CVAE's part and the generation's part.
GEN_OFFSET = int(os.environ.get("VAEAUG_GEN_OFFSET", "0"))
#: Training steps that ``epochs="auto"`` stands for (VAEAUG_AUTO_STEPS; default the library's).
AUTO_STEPS = os.environ.get("VAEAUG_AUTO_STEPS")
#: Class size up to which ``balance_classes="auto"`` shuffles plainly (VAEAUG_SMALL_CLASS).
SMALL_CLASS = os.environ.get("VAEAUG_SMALL_CLASS")
#: Other CVAEOverSampler parameters for the CVAEs, as JSON (VAEAUG_PARAMS), e.g.
#: '{"hidden_dims": [32, 32]}'.
PARAMS = json.loads(os.environ.get("VAEAUG_PARAMS", "{}"))
#: Run only the data sets with at most this many minority rows (the others' rows of a
#: variant that changes only small classes are those of the default).
MAX_MINORITY = os.environ.get("VAEAUG_MAX_MINORITY")
#: Run only the data sets whose names start with this (VAEAUG_SETS), e.g. "ecoli": a
#: diagnostic on one family, not a tuning run.
SETS_PREFIX = os.environ.get("VAEAUG_SETS", "")
#: Fifteenth round (VAEAUG_EMA, e.g. 0.99): generate from an exponential moving average of
#: the CVAE's weights over the training steps instead of the last step's weights.
EMA = os.environ.get("VAEAUG_EMA")

from vaeaug import CVAEOverSampler  # noqa: E402
from vaeaug import sampler as sampler_module  # noqa: E402
from vaeaug.generation import herd, herding_picks, rbf_kernel  # noqa: E402

#: A variant's majority suffix: _majXX (the twenty-sixth round), _rosmajXX, _smotemajXX (the
#: twenty-seventh); not _tomekmaj (the eighteenth round's cleaning).
MAJORITY = re.compile(r"_(ros|smote)?maj(\d+)$")

#: Up to this many new rows a variant herds its candidates in one block (what every round up
#: to the twenty-seventh did; their largest, _maj100 on page_blocks0, herded 7,413); above it,
#: in blocks of HERD_BLOCK rows, as the library does (in blocks of 1,024).
ONE_BLOCK_ROWS, HERD_BLOCK = 8_000, 4_096

#: Seventh round: the sixth round's default (proj25) with one change each (docs/benchmarks.md).
SEVENTH = ("strat25", "short25", "denoise25", "bmix25", "bmixinv25", "pair25", "sparse25",
           "dense25")


def averaged_training(decay: float) -> None:
    """Make the library's ``train_cvae`` leave the model at the moving average of its
    weights (decay ``decay`` per Adam step), the experiment of VAEAUG_EMA."""
    from vaeaug import training

    plain_train, plain_adam = training.train_cvae, training.adam

    def train_cvae(model, *args, **kwargs):
        params = [p.detach() for p in model.parameters()]  # views: Adam updates them
        average = [p.clone() for p in params]

        class Averaging:
            def __init__(self, inner):
                self.inner = inner

            def step(self):
                self.inner.step()
                torch._foreach_lerp_(average, params, 1 - decay)

        training.adam = lambda m, lr: Averaging(plain_adam(m, lr))
        try:
            history = plain_train(model, *args, **kwargs)
        finally:
            training.adam = plain_adam
        torch._foreach_copy_(params, average)
        return history

    train_cvae.averaging = True  # wrapped once per worker process
    sampler_module.train_cvae = train_cvae


def neighbours(A: np.ndarray, k: int) -> np.ndarray:
    """Indices of each row's k nearest other rows (itself when it is alone)."""
    k = min(k, len(A) - 1)
    if k < 1:
        return np.zeros((len(A), 1), dtype=int)
    return NearestNeighbors(n_neighbors=k + 1).fit(A).kneighbors(A, return_distance=False)[:, 1:]


@torch.no_grad()
def variants(s: CVAEOverSampler, X_train: np.ndarray, y_train: np.ndarray, names: list[str],
             seed: int, n: int | None = None) -> dict[str, np.ndarray]:
    """Encoded minority rows (class 1) drawn by each variant: ``n`` of them, by default as
    many as fit_resample adds."""
    m, act = s.module_.eval(), s._activation()
    k = int(np.searchsorted(s.classes_, 1))
    n = s.sampling_strategy_.get(1, 0) if n is None else n
    Xc = s._class_rows[k]
    count = len(Xc)
    mu_all, lv_all = m.encode(Xc, torch.full((count,), k, dtype=torch.long))
    nn_data, nn_lat = neighbours(Xc.numpy(), 5), neighbours(mu_all.numpy(), 5)
    dist_nb = np.linalg.norm(Xc.numpy()[nn_data] - Xc.numpy()[:, None], axis=2).mean(1)
    # share of other-class rows among each minority row's 5 neighbours (ADASYN/ProWSyn-like)
    nn_all = NearestNeighbors(n_neighbors=min(6, len(X_train))).fit(X_train).kneighbors(
        X_train[y_train == 1], return_distance=False)[:, 1:]
    frac_other = (y_train[nn_all] != 1).mean(1)
    # distance from each minority row to the nearest row of the other class (sixth round)
    enemy, enemy_at = NearestNeighbors(n_neighbors=1).fit(X_train[y_train != 1]).kneighbors(
        Xc.numpy())
    enemy = enemy[:, 0]
    # twenty-third round: the direction from each minority row to that nearest other row
    to_enemy = torch.as_tensor(X_train[y_train != 1][enemy_at[:, 0]] - Xc.numpy(),
                               dtype=Xc.dtype)
    # twenty-fourth round: the rows on the class's border, whose nearest other-class row is
    # nearer than their mean distance to their 5 own-class neighbours
    border = torch.as_tensor(enemy < dist_nb)[:, None]
    out = {}
    for name in names:
        g, rng = torch.Generator().manual_seed(seed), np.random.default_rng(seed)
        # sixteenth round: herdM_NN_rXX adds XX % of the rows that balancing the classes needs
        herding = name.startswith("herd")
        n_new = round(n * int(name.split("_r")[1]) / 100) if herding and "_r" in name else n
        if n_new == 0:
            out[name] = np.zeros((0, X_train.shape[1]))
            continue
        if herding:  # herdM_NN: M times the rows drawn by projNN,
            # then n_new of them chosen by kernel herding (a representative, less random subset)
            times = int(name[4:].split("_")[0])
            rule = "proj" + name.split("_")[1]  # herd4_33: candidates of proj33
            if "_ens" in name:  # twenty-first round: _ensK draws the candidates from K
                # CVAEs of the fold (other seeds), an equal share from each, herded together
                models = [s, *ENSEMBLE[: int(name.split("_ens")[1]) - 1]]
                share = -(-times * n_new // len(models))
                pool = np.concatenate([variants(e, X_train, y_train, [rule], seed + 7919 * j,
                                                n=share)[rule]
                                       for j, e in enumerate(models)])
            else:
                pool = variants(s, X_train, y_train, [rule], seed, n=times * n_new)[rule]
            if "_elbo" in name:  # nineteenth round: _elboXX drops the XX % of the candidates
                # that the CVAE itself finds least like the class (the issue's "filter by the
                # model's own encoder"), then herds n_new rows from the rest; _elbotopXX
                # drops the XX % it finds most like the class instead
                top = "_elbotop" in name
                pool = own_class_filter(s, pool, k, float(name.split("_elbotop" if top
                                                                  else "_elbo")[1]) / 100,
                                        n_new, times, most_alike=top)
            # _wXX: the bandwidth XX/10 times the class's mean distance to its 5 nearest rows
            scale = float(name.split("_w")[1]) / 10 if "_w" in name else 1.0
            width = scale * float(dist_nb.mean())
            if "_push" in name:  # twenty-fourth round: _pushXX herds with candidates near
                # the other class's rows made less attractive (XX/10 times the kernel's mean
                # to them subtracted from each candidate's density)
                rows = herd_pushed(pool, n_new, width, X_train[y_train != 1],
                                   float(name.split("_push")[1]) / 10)
            else:  # the library's herding, in float64 over all candidates (one block) up
                # to ONE_BLOCK_ROWS new rows (every earlier round's size), in blocks above
                # (a _maj200 kernel would need tens of GiB per worker)
                rows = herd(torch.as_tensor(pool, dtype=torch.float64), n_new, width,
                            block=n_new if n_new <= ONE_BLOCK_ROWS else HERD_BLOCK).numpy()
            # fifteenth round: the new rows shifted so that their mean is the real rows'
            # (random oversampling's mean, exactly: _mean), half way (_half), or the other
            # way, MM/10 times that shift (_extMM)
            toward = (1.0 if name.endswith("_mean") else 0.5 if name.endswith("_half")
                      else -float(name.split("_ext")[1]) / 10 if "_ext" in name else 0.0)
            rows = rows + toward * (Xc.numpy().mean(0) - rows.mean(0)) if toward else rows
            if "_vm" in name:  # twenty-fifth round: each column's spread of the new rows
                # brought to the real class's, about the new rows' own mean (_vm: only ever
                # narrowed, _vmx: narrowed or widened); logistic regression's steady losses
                # come with a wider minority cloud than the class's
                real_sd, new_sd = Xc.numpy().std(0), rows.std(0)
                factor = np.divide(real_sd, new_sd, out=np.ones_like(new_sd), where=new_sd > 0)
                factor = factor if "_vmx" in name else np.minimum(factor, 1.0)
                centre = rows.mean(0)
                rows = centre + (rows - centre) * factor
            if "_clip" in name:  # seventeenth round: every column kept within the class's
                # own range, widened by XX % of it on each side (_clipXX), as SMOTE's rows are
                low, high = Xc.numpy().min(0), Xc.numpy().max(0)
                pad = float(name.split("_clip")[1]) / 100 * (high - low)
                rows = np.clip(rows, low - pad, high + pad)
            out[name] = rows
            continue
        if name in ("strat", "hyb_strat", "strat25"):  # every seed used equally often
            idx = np.concatenate([rng.permutation(count) for _ in range(n // count + 1)])[:n]
        elif name == "wmaj":
            w = frac_other + 0.2
            idx = rng.choice(count, n, p=w / w.sum())
        elif name == "safe25":  # seeds weighted toward rows with few other-class neighbours
            w = 1.2 - frac_other
            idx = rng.choice(count, n, p=w / w.sum())
        elif name in ("sparse25", "dense25"):  # seeds weighted by the mean distance to their
            # 5 neighbours (sparse25: more rows where the class is sparse) or its inverse
            w = dist_nb + 1e-12 if name == "sparse25" else 1 / (dist_nb + 1e-12)
            idx = rng.choice(count, n, p=w / w.sum())
        elif name == "nonoise25" and (frac_other < 1).any():  # no seed amid the other class
            idx = rng.choice(np.flatnonzero(frac_other < 1), n)
        else:
            idx = rng.integers(count, size=n)
        if name == "pair25":  # seeds in pairs: the second row of a pair mirrors the first
            idx[1::2] = idx[0::2][: n // 2]
        idx_t = torch.as_tensor(idx)
        seeds, mu, lv = Xc[idx_t], mu_all[idx_t], lv_all[idx_t]
        yy = torch.full((n,), k, dtype=torch.long)
        temp = {"base_t05": 0.5, "base_t075": 0.75, "smote_mix25_t15": 1.5,
                "mix25_t125": 1.25, "mix25_t2": 2.0, "projt15_25": 1.5,
                "projt05_25": 0.5}.get(name, 1.0)
        eps = torch.randn(mu.shape, generator=g)
        sigma = torch.exp(0.5 * lv)
        z = mu + temp * sigma * eps
        resid = act(m.decode(z, yy)) - act(m.decode(mu, yy))
        u = torch.as_tensor(rng.random((n, 1)), dtype=torch.float32)
        j = nn_data[idx, rng.integers(nn_data.shape[1], size=n)]
        to_nb = Xc[j] - seeds  # SMOTE's direction: toward a minority neighbour
        jl = nn_lat[idx, rng.integers(nn_lat.shape[1], size=n)]
        if name in ("base", "strat", "wmaj", "base_t05", "base_t075"):
            x = seeds + resid
        elif name in ("hyb", "hyb_strat"):  # SMOTE step to a minority neighbour + residual
            x = seeds + u * to_nb + resid
        elif name == "hyb_half":
            x = seeds + 0.5 * u * to_nb + resid
        elif name in ("latwalk", "latwalk_data"):  # residual toward a neighbour's code
            other = mu_all[jl] if name == "latwalk" else mu_all[j]
            z2 = mu + u * (other - mu) + sigma * eps
            x = seeds + act(m.decode(z2, yy)) - act(m.decode(mu, yy))
        elif name in ("anti", "anti_hyb"):  # antithetic: the residual's even part cancels
            anti = 0.5 * (act(m.decode(z, yy)) - act(m.decode(mu - temp * sigma * eps, yy)))
            x = seeds + anti if name == "anti" else seeds + 0.5 * u * to_nb + anti
        elif name in ("m2m", "mix"):  # majority neighbours translated to the minority label
            kmaj = 1 - k
            Xmaj = s._class_rows[kmaj]
            nnm = NearestNeighbors(n_neighbors=min(5, len(Xmaj))).fit(Xmaj.numpy()).kneighbors(
                seeds.numpy(), return_distance=False)
            xm = Xmaj[torch.as_tensor(nnm[np.arange(n), rng.integers(nnm.shape[1], size=n)])]
            ymaj = torch.full((n,), kmaj, dtype=torch.long)
            zm, _ = m.encode(xm, ymaj)
            xt = xm + act(m.decode(zm, yy)) - act(m.decode(zm, ymaj))
            half = torch.as_tensor(rng.random(n) < 0.5)[:, None]
            x = xt if name == "m2m" else torch.where(half, xt, seeds + resid)
        elif name == "smote":  # plain SMOTE through the same pipeline: a noise reference
            x = seeds + u * to_nb
        elif name in ("safe25", "nonoise25", "mix25_t125", "mix25_t2", "gauss25", "ext25",
                      "enemy25", "enemy25_x07", "size25", "copy10", "copy20", "half_copy10",
                      *SEVENTH) or name.startswith(("rescale", "rowscale", "proj", "nbgauss")):
            share = 0.5 if (name == "size25" and count < 20) or name == "half_copy10" else 0.25
            times = 1.0
            local = torch.as_tensor(dist_nb[idx], dtype=resid.dtype)[:, None]
            nn_span = nn_data
            if name.startswith("projk"):  # projkK_NN: the span and scale from K neighbours
                kk = int(name[5:].split("_")[0])
                nn_span = neighbours(Xc.numpy(), kk)
                local = torch.as_tensor(np.linalg.norm(
                    Xc.numpy()[nn_span] - Xc.numpy()[:, None], axis=2).mean(1)[idx],
                    dtype=resid.dtype)[:, None]
                name_tail = name[5:].split("_", 1)[1]
            else:
                name_tail = None
            projected = name.startswith(("proj", "nbgauss")) or name in SEVENTH
            if name.startswith(("proj", "nbgauss")):  # projNN[_xMM]: NN % SMOTE rows,
                # MM/10 times as long (nbgauss: control, a random direction in the same span)
                tail = name_tail or name.removeprefix("proj").removeprefix("nbgauss").removeprefix(
                    "pos").removeprefix("t15_").removeprefix("t05_").removeprefix(
                    "unit").removeprefix("unif").removeprefix("awaynear").removeprefix(
                    "away").removeprefix("perpnear").removeprefix("perp").removeprefix("toward")
                share = int(tail.split("_")[0]) / 100
                times = float(tail.split("_x")[1]) / 10 if "_x" in tail else 1.0
            if name in ("enemy25", "enemy25_x07", "size25", "copy10", "copy20",
                        "half_copy10") or projected:  # sixth round
                if projected:  # the residual projected onto the span
                    # of the steps to the seed's 5 neighbours (local tangent space), as long
                    basis = Xc[torch.as_tensor(nn_span[idx])] - seeds[:, None]  # (n, 5, d)
                    coef = torch.linalg.lstsq(basis.transpose(1, 2), resid[:, :, None],
                                              driver="gelsd").solution
                    if name.startswith("projpos"):  # only toward neighbours (a cone)
                        coef = coef.clamp_min(0)
                    if name.startswith("nbgauss"):
                        coef = torch.randn(coef.shape, generator=g)
                    proj = (basis.transpose(1, 2) @ coef)[:, :, 0]
                    length = resid.norm(dim=1, keepdim=True)
                    if name.startswith("projunit"):  # every step as long as the class's mean
                        length = length.mean().expand_as(length)
                    elif name.startswith("projunif"):  # SMOTE's length law: uniform on (0, 2m)
                        length = 2 * u * length.mean()
                    resid = proj * (length / proj.norm(dim=1, keepdim=True).clamp_min(1e-12))
                resid = resid * (times * 0.5 * local / resid.norm(dim=1).mean().clamp_min(1e-12))
                if name.startswith("enemy"):  # no step longer than half (or 0.7 of half)
                    # the way to the nearest row of the other class
                    frac = 0.35 if name.endswith("x07") else 0.5
                    cap = frac * torch.as_tensor(enemy[idx], dtype=resid.dtype)[:, None]
                    length = resid.norm(dim=1, keepdim=True).clamp_min(1e-12)
                    resid = resid * (cap / length).clamp(max=1.0)
                if name.startswith(("projaway", "projtoward")):  # twenty-third round: a step
                    # toward (away from) the seed's nearest other-class row turned round
                    ahead = (resid * to_enemy[torch.as_tensor(idx)]).sum(1, keepdim=True) > 0
                    turn = ahead if name.startswith("projaway") else ~ahead
                    if name.startswith("projawaynear"):  # twenty-fourth round: on the border only
                        turn = turn & border[idx]
                    resid = torch.where(turn, -resid, resid)
                if name.startswith("projperp"):  # twenty-fourth round: the part of a step
                    # toward the seed's nearest other-class row removed, the length kept
                    e = to_enemy[torch.as_tensor(idx)]
                    e = e / e.norm(dim=1, keepdim=True).clamp_min(1e-12)
                    along = (resid * e).sum(1, keepdim=True).clamp_min(0)
                    if name.startswith("projperpnear"):  # only at the class's border
                        along = along * border[idx]
                    length = resid.norm(dim=1, keepdim=True)
                    resid = resid - along * e
                    resid = resid * (length / resid.norm(dim=1, keepdim=True).clamp_min(1e-12))
            if name.startswith(("rescale", "rowscale")):
                # e.g. rescale25: a quarter SMOTE rows; rescale25_x15: residual 1.5 times as long
                tail = name.removeprefix("rescale").removeprefix("rowscale")
                share = int(tail.split("_")[0].removesuffix("cap").removesuffix("clip")) / 100
                times = float(tail.split("_x")[1]) / 10 if "_x" in tail else 1.0
            if name.startswith("rescale"):  # residual as long, on average, as a SMOTE step
                resid = resid * (times * (u * to_nb).norm(dim=1).mean()
                                 / resid.norm(dim=1).mean().clamp_min(1e-12))
            if name.startswith("rowscale"):  # as rescale, then longer where the seed's
                # neighbours are far (SMOTE's local step size) and shorter where they are near
                factor = times * 0.5 * local / resid.norm(dim=1).mean().clamp_min(1e-12)
                if name.endswith("cap"):  # only ever shorter than the decoder's own step
                    factor = factor.clamp(max=1.0)
                resid = resid * factor
                if name.endswith("clip"):  # never longer than the way to the neighbours
                    length = resid.norm(dim=1, keepdim=True).clamp_min(1e-12)
                    resid = resid * (local / length).clamp(max=1.0)
            pick = torch.as_tensor(rng.random(n) < share)[:, None]
            if name == "gauss25":  # control: per-column Gaussian noise as large as the residual
                resid = torch.randn(resid.shape, generator=g) * resid.std(0, keepdim=True)
            if name == "strat25":  # stratified draws: the SMOTE share exact, u evenly spread
                pick = torch.as_tensor(rng.permutation(n) < round(share * n))[:, None]
                u = torch.as_tensor((rng.permutation(n)[:, None] + rng.random((n, 1))) / n,
                                    dtype=torch.float32)
            step = u * to_nb
            if name == "ext25":  # SMOTE's segment extended by a quarter at both ends
                step = (1.5 * u - 0.25) * to_nb
            elif name == "short25":  # SMOTE's rows at most half way to the neighbour
                step = 0.5 * u * to_nb
            if name in ("bmix25", "bmixinv25"):  # the SMOTE share per seed, from the share of
                # other-class rows among its 5 neighbours (bmix25: SMOTE rows near the boundary,
                # residual rows inside the class; bmixinv25 the reverse), a quarter on average
                w = frac_other[idx] if name == "bmix25" else 1 - frac_other[idx]
                p_smote = np.clip(0.25 * w / w.mean(), 0, 1) if w.mean() > 0 else np.full(n, 0.25)
                pick = torch.as_tensor(rng.random(n) < p_smote)[:, None]
            if name == "pair25":  # antithetic residuals: x_i + r and x_i - r
                resid[1::2] = -resid[0::2][: n // 2]
            base = seeds
            if name == "denoise25":  # residual rows start half way to the seed's reconstruction
                base = seeds + 0.5 * (act(m.decode(mu, yy)) - seeds)
            x = torch.where(pick, seeds + step, base + resid)
            if name in ("copy10", "copy20", "half_copy10"):  # a share of exact copies (ROS)
                r = torch.as_tensor(rng.random(n) < (0.2 if name == "copy20" else 0.1))[:, None]
                x = torch.where(r, seeds, x)
        elif name == "smote_mix" or name.startswith("smote_mix"):
            # an ensemble: a share of SMOTE rows (half, or smote_mixNN percent), residual rows
            # (smote_mix25_t15: their latent draw at temperature 1.5)
            share = 0.5 if name == "smote_mix" else int(name[9:11]) / 100
            pick = torch.as_tensor(rng.random(n) < share)[:, None]
            x = torch.where(pick, seeds + u * to_nb, seeds + resid)
        elif name == "tri":  # a quarter SMOTE, a quarter latent walks, half residual rows
            r = torch.as_tensor(rng.random(n))[:, None]
            walk = seeds + act(m.decode(mu + u * (mu_all[j] - mu) + sigma * eps, yy)) - act(
                m.decode(mu, yy))
            x = torch.where(r < 0.25, seeds + u * to_nb,
                            torch.where(r < 0.5, walk, seeds + resid))
        elif name == "mix25_hyb":  # a quarter SMOTE steps plus residual, the rest residual
            pick = torch.as_tensor(rng.random(n) < 0.25)[:, None]
            x = torch.where(pick, seeds + u * to_nb + resid, seeds + resid)
        else:
            raise ValueError(f"unknown variant {name!r}")
        out[name] = x.numpy()
    return out


def herd_pushed(pool: np.ndarray, n: int, width: float, others: np.ndarray,
                weight: float) -> np.ndarray:
    """Twenty-fourth round: the library's kernel herding (one block, float64) with each
    candidate's density lowered by ``weight`` times its mean kernel to the rows ``others``."""
    candidates = torch.as_tensor(pool, dtype=torch.float64)
    width = max(width, 1e-12)
    kernel = rbf_kernel(candidates, candidates, width)
    others = torch.as_tensor(others, dtype=torch.float64)
    near_others = torch.cat([rbf_kernel(part, others, width).mean(1)
                             for part in candidates.split(2048)])
    return candidates[herding_picks(kernel, kernel.mean(1) - weight * near_others, n)].numpy()


def own_class_filter(s: CVAEOverSampler, pool: np.ndarray, k: int, drop: float, n_new: int,
                     times: int, most_alike: bool = False) -> np.ndarray:
    """The candidates the CVAE finds most like class ``k``: scored by the difference of their
    negative ELBO under the other class's label and under ``k``'s (reconstruction from the
    posterior mean plus beta times the KL, the training loss per row), the lowest ``drop``
    share left out (the highest, if ``most_alike``), whole candidates per new row kept."""
    from vaeaug.model import kl_divergence, reconstruction_loss

    m, rows = s.module_.eval(), torch.as_tensor(pool, dtype=torch.float32)

    def loss(label: int) -> torch.Tensor:
        y = torch.full((len(rows),), label, dtype=torch.long)
        mu, logvar = m.encode(rows, y)
        return (reconstruction_loss(m.decode(mu, y), rows, s.transformer_.spans_)
                + s.beta * kl_divergence(mu, logvar))

    with torch.no_grad():
        score = (loss(1 - k) - loss(k)).numpy()  # high: the class's own label explains it
    keep = n_new * max(1, round(times * (1 - drop)))
    order = np.argsort(score if most_alike else -score, kind="stable")
    return pool[np.sort(order[:keep])]


#: Eighteenth round: NAME_tomek is NAME's rows, then both rows of every Tomek link removed
#: (imbalanced-learn's SMOTETomek recipe); NAME_tomekmaj removes only the links' majority
#: rows. (TomekLinks' own "auto" would take the balanced classes' first, the majority, for the
#: minority, and remove the links' minority rows.)
CLEANING = {"_tomekmaj": [0], "_tomek": "all"}


#: Twenty-first round: the fold's further CVAEs for the _ensK variants (other seeds, the same
#: rows), set by run_dataset.
ENSEMBLE: list = []


def unsnapped(variant: str) -> str:
    """A variant's name without its twenty-second-round suffix (``_snapD``, ``_snapcD``)."""
    return variant.split("_snap")[0]


def generator(variant: str) -> str:
    """The rule that draws a variant's rows (its name without a cleaning, snapping or
    majority suffix)."""
    variant = MAJORITY.sub("", unsnapped(variant)).removesuffix("_dup")
    return next((variant.removesuffix(k) for k in CLEANING if variant.endswith(k)), variant)


def majority_rows(s: CVAEOverSampler, X_maj: np.ndarray, kind: str, n: int,
                  seed: int) -> np.ndarray:
    """``n`` more rows of the majority class: the library's own (``sample(y=0)``; the
    twenty-sixth round's _majXX), copies of real rows (_rosmajXX) or SMOTE's interpolations
    between 5 nearest neighbours (_smotemajXX; the twenty-seventh round's controls)."""
    if n == 0:
        return np.zeros((0, X_maj.shape[1]))
    if kind == "":
        return s.sample(n, y=0, random_state=seed + 5000)[0]
    rng = np.random.default_rng(seed + 5000)
    if kind == "ros":  # every row once more before any row twice more
        reps = np.concatenate([rng.permutation(len(X_maj)) for _ in range(n // len(X_maj) + 1)])
        return X_maj[reps[:n]]
    seeds = rng.integers(len(X_maj), size=n)
    partner = neighbours(X_maj, 5)[seeds, rng.integers(min(5, len(X_maj) - 1), size=n)]
    return X_maj[seeds] + rng.random((n, 1)) * (X_maj[partner] - X_maj[seeds])


def snap(rows: np.ndarray, variant: str, encoded: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Twenty-second round: NAME_snapD (NAME_snapcD) moves each new value of a column with
    at most D distinct values in the training fold (in the minority class) to the nearest
    of those values, as the library keeps an integer column's values whole."""
    if "_snap" not in variant:
        return rows
    tail = variant.split("_snap")[1]
    own = tail.startswith("c")
    limit = int(tail.removeprefix("c"))
    source = encoded[y == 1] if own else encoded
    rows = rows.copy()
    for j in range(rows.shape[1]):
        values = np.unique(source[:, j])
        if 0 < len(values) <= limit:
            rows[:, j] = values[np.abs(rows[:, j, None] - values).argmin(1)]
    return rows


def run_dataset(name: str, names: list[str], folds: int = 5) -> list[dict]:
    warnings.filterwarnings("ignore")
    # the library's constants, set in each worker process (they do not inherit the parent's)
    if AUTO_STEPS:
        sampler_module.AUTO_STEPS = int(AUTO_STEPS)
    if SMALL_CLASS:
        sampler_module.SMALL_CLASS_ROWS = int(SMALL_CLASS)
    if EMA and not getattr(sampler_module.train_cvae, "averaging", False):
        averaged_training(float(EMA))
    X, y = keel.load(name)
    cv = RepeatedStratifiedKFold(n_splits=min(folds, int(y.sum())), n_repeats=1, random_state=5)
    rows = []
    for i, (train, test) in enumerate(cv.split(X, y)):
        scaler = StandardScaler().fit(X[train])
        X_tr = np.nan_to_num(scaler.transform(X[train]))
        X_te = np.nan_to_num(scaler.transform(X[test]))
        start = time.perf_counter()
        seed = i + SEED_OFFSET
        s = CVAEOverSampler(random_state=seed, **PARAMS).fit(X_tr, y[train])
        secs = time.perf_counter() - start
        members = max([int(v.split("_ens")[1]) for v in names if "_ens" in v], default=1)
        ENSEMBLE[:] = [CVAEOverSampler(random_state=seed + 1000 * j, **PARAMS).fit(X_tr, y[train])
                       for j in range(1, members)]
        encoded = s.transformer_.transform(s.check_compatible(X_tr))
        # a _maj variant draws its own minority rows (more of them) below, shared by the
        # variants that ask for as many
        drawn = variants(s, encoded, y[train],
                         sorted({generator(v) for v in names
                                 if not MAJORITY.search(unsnapped(v))}),
                         seed + GEN_OFFSET)
        topped_up: dict[tuple[str, int], np.ndarray] = {}
        for variant in names:
            rule, extra = generator(variant), np.zeros((0, X_tr.shape[1]))
            majority = MAJORITY.search(unsnapped(variant))
            if majority:  # twenty-sixth round: NAME_majXX also adds XX % of the majority
                # class's rows, drawn by the library's own rule (sample(y=0)), and tops the
                # minority up to the enlarged majority with NAME's rule; the twenty-seventh
                # round's _rosmajXX and _smotemajXX add copies or SMOTE rows instead
                n_extra = keel.extra_majority_rows(int((y[train] == 0).sum()), int(majority[2]))
                extra = majority_rows(s, X_tr[y[train] == 0], majority[1] or "", n_extra,
                                      seed + GEN_OFFSET)
                key = (rule, n_extra)
                if key not in topped_up:
                    topped_up[key] = variants(s, encoded, y[train], [rule], seed + GEN_OFFSET,
                                              n=s.sampling_strategy_.get(1, 0) + n_extra)[rule]
                minority = topped_up[key]
            else:
                minority = drawn[rule]
            G = snap(minority, variant, encoded, y[train])
            new = s.transformer_.inverse_transform(G.astype(np.float32)).to_numpy(dtype=float)
            X_res = np.vstack([X_tr, extra, new])
            y_res = np.concatenate([y[train], np.zeros(len(extra), int),
                                    np.ones(len(new), int)])
            strategy = next((v for k, v in CLEANING.items()
                             if unsnapped(variant).endswith(k)), None)
            if strategy is not None:
                X_res, y_res = TomekLinks(sampling_strategy=strategy).fit_resample(X_res, y_res)
            if variant.endswith("_dup"):  # the twenty-sixth round's control: every row of
                # NAME's resampled set twice (as many rows as _maj100, no new information)
                X_res, y_res = np.vstack([X_res, X_res]), np.concatenate([y_res, y_res])
            for c_name, make in keel.CLASSIFIERS.items():
                clf = make(i).fit(X_res, y_res)
                rows.append({"dataset": name, "fold": i, "sampler": "vaeaug~" + variant,
                             "clf": c_name, "secs": secs, "n_synth": len(new) + len(extra),
                             "error": "",
                             **keel.scores(clf, X_te, y[test])})
    return rows


if __name__ == "__main__":
    names, out = sys.argv[1].split(","), sys.argv[2]
    # VAEAUG_SET_LIST: comma-separated data sets instead of the dev split (the held-out check)
    sets = (os.environ["VAEAUG_SET_LIST"].split(",") if os.environ.get("VAEAUG_SET_LIST")
            else json.loads((HERE / "dev_split.json").read_text()))
    if len(sys.argv) > 3:
        sets = sets[: int(sys.argv[3])]
    if MAX_MINORITY:  # only the data sets whose minority class is this small
        sets = [d for d in sets if keel.load(d)[1].sum() <= int(MAX_MINORITY)]
    sets = [d for d in sets if d.startswith(SETS_PREFIX)]
    results = Parallel(n_jobs=2, verbose=2)(delayed(run_dataset)(d, names) for d in sets)
    rows = [r for rs in results for r in rs]
    with open(out, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
