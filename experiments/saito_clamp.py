"""Issue 20, Saito & Wang: the pixel statistic behind the released attack's clip, from a finished run of
config/saito-clamp.yaml. Per attack: the share of each image's normalised values below 0 (clean vs adversarial),
how often that one number separates an adversarial image from its clean version, and the detection table rows
(raw pixels vs explanations) beside it. Writes docs/results/gaps/saito_clamp.csv and prints a Markdown table.

  python experiments/saito_clamp.py [--results results-saito-clamp] [--out docs/results/gaps]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", default=str(ROOT / "results-saito-clamp"))
    ap.add_argument("--out", default=str(ROOT / "docs/results/gaps"))
    args = ap.parse_args()
    from xaiadv.data import load_split
    from xaiadv.io import load_tensors
    from xaiadv.models import load_model
    from xaiadv.stats import rate_ci

    res = Path(args.results)
    model = load_model(res / "models/imagenet/effnet_lite0/model.safetensors")
    mean, std = model.normalize.mean, model.normalize.std
    rows = []
    for f in sorted((res / "attacks/imagenet/effnet_lite0").glob("*.safetensors")):
        adv, _ = load_tensors(f)
        ok = adv["success"].bool()
        x, _, _, _ = load_split(res / "data/imagenet/test.safetensors", rows=adv["index"][ok])
        below = lambda t: ((t - mean) / std < 0).flatten(1).float().mean(1).numpy()  # noqa: E731
        b_clean, b_adv = below(x), below(adv["x_adv"][ok])
        sep = rate_ci((b_adv < b_clean).astype(float))  # the adversarial image has fewer values below 0
        rows.append({"attack": f.stem, "n": int(ok.sum()), "success": float(ok.float().mean()),
                     "linf_pixels": float((adv["x_adv"][ok] - x).abs().flatten(1).amax(1).mean()),
                     "below0_clean_min": float(b_clean.min()) if len(b_clean) else np.nan,
                     "below0_clean_median": float(np.median(b_clean)) if len(b_clean) else np.nan,
                     "below0_adv_max": float(b_adv.max()) if len(b_adv) else np.nan,
                     "pairs_separated": sep["rate"], "pairs_separated_lo": sep["lo"], "pairs_separated_hi": sep["hi"]})
    df = pd.DataFrame(rows)
    det = pd.read_csv(res / "tables/saito2020_table2.csv")
    keep = ["attack", "explainer", "detector", "accuracy", "acc_lo", "acc_hi", "auroc", "tpr", "n_test_images"]
    det = det[[c for c in keep if c in det]]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    df.to_csv(out / "saito_clamp.csv", index=False)
    det.to_csv(out / "saito_clamp_detection.csv", index=False)
    print(df.to_markdown(index=False, floatfmt=".3f"))
    print()
    print(det.to_markdown(index=False, floatfmt=".3f"))


if __name__ == "__main__":
    main()
