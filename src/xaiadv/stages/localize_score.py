"""localize_score: Göpfert et al. (2019) §4, "Evaluation of Explanations": every explainer's map cut to the
sizes |S_1 ∪ ... ∪ S_n| of LIME's ranked superpixels, scored against the attacked region (Jaccard, Hamming
likeness), a random baseline of the same sizes, and (beyond the paper) the pointing game. One long CSV."""

from __future__ import annotations

import sys

from .. import runtime


def run(job) -> None:
    fin, fout, par = job.input, job.output, job.params
    timer = runtime.Timer()
    with timer("load"):
        import numpy as np
        import pandas as pd

        from ..cache import read_explanations
        from safetensors.numpy import load_file  # no torch in this job's env

        from ..io import atomic_path
        from ..localization import metrics as M

        t = load_file(fin.adv)
        region = t["region"].astype(bool)
        maps = {}
        for path in fin.explanations:
            frame, attr, meta = read_explanations(path)
            if len(frame) != len(region):
                raise SystemExit(f"{path}: {len(frame)} rows, but {fin.adv} has {len(region)} adversarial examples")
            maps[meta["explainer"]] = M.pixel_relevance(attr)
        if par.lime not in maps:
            raise SystemExit(f"params.lime = {par.lime!r}: not among the explanations given ({', '.join(maps)})")
    with timer("compute"):
        rng = np.random.default_rng(par.seed)
        rows, points = [], []
        for k in range(len(region)):
            ranked = M.superpixel_ranking(maps[par.lime][k], par.max_superpixels)
            sizes = M.partial_union_sizes(ranked)
            c = region[k]
            base = {"example": k, "image": int(t["image"][k]), "segment": int(t["segment"][k]),
                    "region_size": int(c.sum())}
            cands = {name: M.top_k_masks(m[k], sizes, rng) for name, m in maps.items() if name != par.lime}
            # LIME's explanation of size n: the union of its n best superpixels (cumulative OR)
            cands[par.lime] = np.cumsum(ranked, axis=0).astype(bool) if ranked else np.zeros((0, *c.shape), bool)
            cands["random"] = M.top_k_masks(rng.random(c.shape), sizes)
            for name, p in cands.items():
                jac, ham = M.jaccard(p, c), M.hamming_likeness(p, c)
                rows += [{**base, "explainer": name, "n": i + 1, "size": int(s), "jaccard": float(j), "hamming": float(h)}
                         for i, (s, j, h) in enumerate(zip(sizes, jac, ham))]
            for name, m in maps.items():
                points.append({**base, "explainer": name, "pointing": M.pointing_hit(m[k], c)})
            points.append({**base, "explainer": "random", "pointing": float(c.mean())})  # a uniform random pixel
        df = pd.DataFrame(rows, columns=["example", "image", "segment", "region_size", "explainer", "n", "size",
                                         "jaccard", "hamming"])
        pts = pd.DataFrame(points, columns=["example", "image", "segment", "region_size", "explainer", "pointing"])
        df = df.merge(pts[["example", "explainer", "pointing"]], on=["example", "explainer"], how="left")
        if len(df):
            print(df.groupby("explainer")[["jaccard", "hamming", "pointing"]].mean().round(3).to_string(), file=sys.stderr)
    with timer("write"):
        with atomic_path(fout.csv) as tmp:
            df.to_csv(tmp, index=False)
    timer.report("localize_score", n=len(region))
