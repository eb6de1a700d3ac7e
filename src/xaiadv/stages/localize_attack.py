"""localize_attack: Göpfert et al. (2019) §4, "Generating adversarial examples": the largest Felzenszwalb
segments of each image, a targeted BIM confined to each, the successful ones kept with their regions."""

from __future__ import annotations

import sys

from .. import runtime


def run(job) -> None:
    fin, fout, par, wc = job.input, job.output, job.params, job.wildcards
    timer = runtime.Timer()
    with timer("load"):
        import torch
        from tqdm import tqdm

        from ..attacks.localized_bim import attack
        from ..data import load_split
        from ..io import save_tensors, write_json
        from ..localization.segments import largest_segments
        from ..models import load_model
        from ..stats import rate_ci
        from ..models.train import predict

        device = runtime.setup(par.seed, job.threads, par.device, par.deterministic)
        model = load_model(fin.model, device)
        x, y, ids, _ = load_split(fin.test)
        spec, seg, atk = par.spec, par.spec["segmentation"], par.spec["attack"]
    with timer("compute"):
        # the first n_images test images the model classifies correctly and not already as the target
        keep, start = [], 0
        while len(keep) < spec["n_images"] and start < len(x):
            chunk = torch.arange(start, min(start + 64, len(x)))
            pred = predict(model, x[chunk], 64, device)
            keep += chunk[(pred == y[chunk]) & (pred != spec["target"])].tolist()
            start += 64
        keep = torch.tensor(keep[:spec["n_images"]], dtype=torch.long)
        print(f"{len(keep)} images (of the first {start}) correctly classified and not of class {spec['target']}",
              file=sys.stderr)
        regions, image = [], []
        for j, i in enumerate(keep.tolist()):
            masks = largest_segments(x[i].numpy(), scale=seg["scale"], sigma=seg["sigma"], min_size=seg["min_size"],
                                     n_segments=seg["n_segments"])
            regions.append(torch.from_numpy(masks))
            image += [j] * len(masks)
        regions = torch.cat(regions) if regions else torch.zeros((0, *x.shape[-2:]), dtype=torch.bool)
        image = torch.tensor(image, dtype=torch.long)
        segment = torch.cat([torch.arange((image == j).sum()) for j in range(len(keep))]) if len(image) else image
        xs = x[keep]
        out = {k: [] for k in ("x_adv", "success", "steps", "stalled")}
        bs = atk["batch_size"]
        for s in tqdm(range(0, len(image), bs), desc="localized BIM", mininterval=5):
            sl = slice(s, s + bs)
            r = attack(model, xs[image[sl]].to(device), torch.full((len(image[sl]),), spec["target"], device=device),
                       regions[sl].to(device), alpha=atk["alpha"], eps=atk["eps"], steps=atk["steps"],
                       patience=atk["patience"], min_gain=atk["min_gain"])
            for k in out:
                out[k].append(r[k].cpu())
        res = {k: torch.cat(v) if v else torch.zeros(0) for k, v in out.items()}
        ok = res["success"].bool() if len(image) else torch.zeros(0, dtype=torch.bool)
        sr = rate_ci(ok.numpy(), seed=par.seed)
        area = regions.flatten(1).float().mean(1) if len(image) else torch.zeros(0)
        print(f"localized BIM -> class {spec['target']}: {int(ok.sum())}/{len(ok)} attempts succeed "
              f"({int(res['stalled'].sum()) if len(image) else 0} stalled), region {100 * float(area.mean()):.1f}% of the "
              f"image on average", file=sys.stderr)
    with timer("write"):
        sel = torch.nonzero(ok).flatten()
        tensors = {"x": xs, "index": keep, "ids": ids[keep], "y": y[keep],
                   "image": image[sel], "segment": segment[sel], "region": regions[sel].to(torch.uint8),
                   "x_adv": res["x_adv"][sel] if len(sel) else torch.zeros((0, *x.shape[1:])),
                   "steps": res["steps"][sel].long() if len(sel) else torch.zeros(0, dtype=torch.long)}
        meta = {"dataset": wc.dataset, "model": wc.model, "spec": spec}
        save_tensors(fout.tensors, tensors, meta)
        per_segment = [rate_ci(ok[segment == k].numpy(), seed=par.seed) for k in range(seg["n_segments"])]
        write_json(fout.summary, {**meta, "n_images": len(keep), "n_attempts": len(ok), "success": sr,
                                   "n_adversarial": len(sel),
                                   "stalled": int(res["stalled"].sum()) if len(image) else 0,
                                   "mean_steps": float(res["steps"][sel].float().mean()) if len(sel) else float("nan"),
                                   "mean_region_fraction": float(area[sel].mean()) if len(sel) else float("nan"),
                                   "mean_linf": float((res["x_adv"][sel] - xs[image[sel]]).abs().flatten(1).amax(1).mean())
                                   if len(sel) else float("nan"),
                                   "success_by_segment_rank": per_segment})
    timer.report("localize_attack", model=wc.model, n=len(ok))
