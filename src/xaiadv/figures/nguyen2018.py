"""Nguyen et al. (2018), Figures 1 / 3: a clean image, its adversarial versions (FGSM, JSMA, C&W) and their LAN
masks side by side, with f1's class of each image and f2's class of each mask."""

from __future__ import annotations

from . import save_png


def fig3(items: dict, out_png, per_model: int = 2):
    """``items``: {(dataset, f1, attack): lan_detect examples .safetensors}. For each (dataset, f1), the first
    ``per_model`` clean test images that every attack's examples share (else each attack's first example):
    row pairs image / mask (1 - A), one column for the clean image and one per attack. Returns the figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from safetensors.numpy import load_file  # numpy, not torch: the figure rule's env has no torch

    groups: dict = {}
    for (d, m, a), path in items.items():
        groups.setdefault((d, m), {})[a] = load_file(str(path))
    panels = []  # (title, [(image (H, W, C) or (H, W), label) per column] for the image row and the mask row)
    for (d, m), by_attack in groups.items():
        attacks = list(by_attack)
        common = set.intersection(*[set(t["index"].tolist()) for t in by_attack.values()]) if attacks else set()
        order = [i for i in by_attack[attacks[0]]["index"].tolist() if i in common][:per_model] if attacks else []
        picks = [{a: int(np.flatnonzero(t["index"] == i)[0]) for a, t in by_attack.items()} for i in order]
        if not picks and attacks:
            picks = [{a: 0 for a, t in by_attack.items() if len(t["index"])}]
        for pick in picks:
            a0 = next(iter(pick))
            t0, k0 = by_attack[a0], pick[a0]
            imgs = [(t0["x_clean"][k0], f"clean, label {int(t0['y'][k0])}\nf1: {int(t0['f1_clean'][k0])}")]
            masks = [(t0["mask_clean"][k0], f"f2(mask): {int(t0['f2_clean'][k0])}")]
            for a, k in pick.items():
                t = by_attack[a]
                imgs.append((t["x_adv"][k], f"{a}\nf1: {int(t['f1_adv'][k])}"))
                masks.append((t["mask_adv"][k], f"f2(mask): {int(t['f2_adv'][k])}"))
            panels.append((f"{d} / {m}", imgs, masks))
    ncol = max([len(p[1]) for p in panels], default=1)
    fig, axes = plt.subplots(2 * max(1, len(panels)), ncol, figsize=(1.9 * ncol, 2.1 * 2 * max(1, len(panels))),
                             squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    show = lambda t: np.clip(np.moveaxis(t, 0, -1), 0, 1).squeeze(-1) if t.shape[0] == 1 else np.clip(np.moveaxis(t, 0, -1), 0, 1)  # noqa: E731
    for r, (title, imgs, masks) in enumerate(panels):
        for c, (img, label) in enumerate(imgs):
            ax = axes[2 * r, c]
            ax.imshow(show(img), cmap="gray" if img.shape[0] == 1 else None, vmin=0, vmax=1)
            ax.set_title(label, fontsize=7)
        for c, (mask, label) in enumerate(masks):
            ax = axes[2 * r + 1, c]
            ax.imshow(show(mask.mean(0, keepdims=True)), cmap="magma", vmin=0, vmax=1)
            ax.set_title(label, fontsize=7)
        axes[2 * r, 0].text(-0.15, 0.5, title, transform=axes[2 * r, 0].transAxes, rotation=90, va="center",
                            ha="right", fontsize=8)
    if not panels:
        axes[0, 0].text(0.5, 0.5, "no successful adversarial examples", ha="center", va="center")
    fig.suptitle("Nguyen et al. (2018) Fig. 1/3: images (top) and LAN masks 1 - A (bottom, bright = important)",
                 fontsize=9)
    fig.tight_layout(rect=(0, 0, 1, 0.98))
    save_png(fig, out_png)
