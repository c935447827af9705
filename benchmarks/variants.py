"""Experiment: one CVAE fit per fold, several generation variants, anchors protocol."""
import sys, json, time, warnings, csv
sys.path.insert(0, "/work/main/benchmarks"); sys.path.insert(0, "/work/main")
import numpy as np, torch
from joblib import Parallel, delayed
from sklearn.model_selection import RepeatedStratifiedKFold
from sklearn.preprocessing import StandardScaler
from sklearn.neighbors import NearestNeighbors
import keel
from vaeaug import CVAEOverSampler

def knn_idx(A, k):
    k = min(k, len(A) - 1)
    if k < 1:
        return np.zeros((len(A), 1), dtype=int)
    return NearestNeighbors(n_neighbors=k + 1).fit(A).kneighbors(A, return_distance=False)[:, 1:]

@torch.no_grad()
def variants(s, X_train, y_train, names, seed):
    m = s.module_; m.eval()
    act = s._activation()
    out = {}
    cls = 1; k = int(np.searchsorted(s.classes_, cls))
    n = s.sampling_strategy_.get(cls, 0)
    Xc = s._class_rows[k]; mcount = len(Xc)
    X_all = torch.as_tensor(X_train, dtype=torch.float32)
    yk = torch.full((mcount,), k, dtype=torch.long)
    mu_all, lv_all = m.encode(Xc, yk)
    nn_data = knn_idx(Xc.numpy(), 5)
    nn_lat = knn_idx(mu_all.numpy(), 5)
    # majority-proximity weights (ProWSyn/ADASYN flavour)
    nn_full = NearestNeighbors(n_neighbors=min(6, len(X_train))).fit(X_train).kneighbors(
        X_train[y_train == cls], return_distance=False)[:, 1:]
    frac_maj = (y_train[nn_full] != cls).mean(1)
    for name in names:
        g = torch.Generator().manual_seed(seed)
        rng = np.random.default_rng(seed)
        if n == 0:
            out[name] = np.zeros((0, X_train.shape[1])); continue
        if name.startswith("strat") or name in ("hyb_strat",):
            idx = np.concatenate([rng.permutation(mcount) for _ in range(n // mcount + 1)])[:n]
        elif name == "wmaj":
            w = frac_maj + 0.2; w = w / w.sum(); idx = rng.choice(mcount, n, p=w)
        else:
            idx = rng.integers(mcount, size=n)
        idx_t = torch.as_tensor(idx)
        seeds = Xc[idx_t]; mu, lv = mu_all[idx_t], lv_all[idx_t]
        yy = torch.full((n,), k, dtype=torch.long)
        temp = 0.5 if name.endswith("t05") else (0.75 if name.endswith("t075") else 1.0)
        eps = torch.randn(mu.shape, generator=g)
        z = mu + temp * torch.exp(0.5 * lv) * eps
        resid = act(m.decode(z, yy)) - act(m.decode(mu, yy))
        u = torch.as_tensor(rng.random((n, 1)), dtype=torch.float32)
        j = nn_data[idx, rng.integers(nn_data.shape[1], size=n)]
        jl = nn_lat[idx, rng.integers(nn_lat.shape[1], size=n)]
        if name in ("anti", "anti_hyb"):
            za = mu - temp * torch.exp(0.5 * lv) * eps
            ranti = 0.5 * (act(m.decode(z, yy)) - act(m.decode(za, yy)))
            x = seeds + ranti if name == "anti" else seeds + 0.5 * u * (Xc[j] - seeds) + ranti
        elif name in ("m2m", "mix"):
            # majority neighbours of the seeds, translated to the minority label
            kmaj = 1 - k
            Xmaj = s._class_rows[kmaj]
            nnm = NearestNeighbors(n_neighbors=min(5, len(Xmaj))).fit(Xmaj.numpy()).kneighbors(
                seeds.numpy(), return_distance=False)
            jm = torch.as_tensor(nnm[np.arange(n), rng.integers(nnm.shape[1], size=n)])
            xm = Xmaj[jm]
            ymaj = torch.full((n,), kmaj, dtype=torch.long)
            zm, _ = m.encode(xm, ymaj)
            xt = xm + act(m.decode(zm, yy)) - act(m.decode(zm, ymaj))
            if name == "mix":
                half = torch.as_tensor(rng.random(n) < 0.5)[:, None]
                x = torch.where(half, xt, seeds + resid)
            else:
                x = xt
        elif name in ("base", "strat", "wmaj", "base_t05", "base_t075", "strat_t05"):
            x = seeds + resid
        elif name in ("hyb", "hyb_strat"):
            x = seeds + u * (Xc[j] - seeds) + resid
        elif name == "hyb_half":
            x = seeds + 0.5 * u * (Xc[j] - seeds) + resid
        elif name == "latwalk":  # move along decoder manifold toward latent neighbour
            z2 = mu + u * (mu_all[jl] - mu) + torch.exp(0.5 * lv) * eps
            x = seeds + act(m.decode(z2, yy)) - act(m.decode(mu, yy))
        elif name == "latwalk_data":  # latent neighbour walk, nbrs from data space
            z2 = mu + u * (mu_all[j] - mu) + torch.exp(0.5 * lv) * eps
            x = seeds + act(m.decode(z2, yy)) - act(m.decode(mu, yy))
        else:
            raise ValueError(name)
        out[name] = x.numpy()
    return out

def run_dataset(name, names, folds=5):
    warnings.filterwarnings("ignore")
    X, y = keel.load(name)
    cv = RepeatedStratifiedKFold(n_splits=min(folds, int(y.sum())), n_repeats=1, random_state=5)
    rows = []
    for i, (train, test) in enumerate(cv.split(X, y)):
        sc = StandardScaler().fit(X[train])
        Xtr = np.nan_to_num(sc.transform(X[train])); Xte = np.nan_to_num(sc.transform(X[test]))
        t0 = time.perf_counter()
        s = CVAEOverSampler(random_state=i).fit(Xtr, y[train])
        secs = time.perf_counter() - t0
        # encoded rows are standardised again by the transformer: map back via transformer
        gen = variants(s, s.transformer_.transform(s.check_compatible(Xtr)), y[train], names, i)
        for v, G in gen.items():
            Gd = s.transformer_.inverse_transform(G.astype(np.float32)).to_numpy(dtype=float)
            Xr = np.vstack([Xtr, Gd]); yr = np.concatenate([y[train], np.ones(len(Gd), int)])
            for c, make in keel.CLASSIFIERS.items():
                clf = make(i).fit(Xr, yr)
                rows.append({"dataset": name, "fold": i, "sampler": "v:" + v, "clf": c,
                             "secs": secs, "n_synth": len(Gd), "error": "", **keel.scores(clf, Xte, y[test])})
    return rows

if __name__ == "__main__":
    names = sys.argv[1].split(",")
    out = sys.argv[2]
    ds = json.load(open("/work/main/benchmarks/dev_split.json"))
    if len(sys.argv) > 3: ds = ds[: int(sys.argv[3])]
    res = Parallel(n_jobs=2, verbose=2)(delayed(run_dataset)(d, names) for d in ds)
    rows = [r for rs in res for r in rs]
    with open(out, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0])); w.writeheader(); w.writerows(rows)
