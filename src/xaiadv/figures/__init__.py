"""Paper figures (seaborn), written atomically as PNG."""


def save_png(fig, out_png, empty: str | None = None) -> None:
    """Write matplotlib figure ``fig`` to ``out_png`` atomically (110 dpi, tight) and close it. ``fig`` None:
    a blank figure saying ``empty`` instead (a rule's output exists even when it has nothing to plot)."""
    import matplotlib.pyplot as plt

    from ..io import atomic_path

    if fig is None:
        fig = plt.figure()
        fig.text(0.5, 0.5, empty or "nothing to plot", ha="center")
    with atomic_path(out_png) as tmp:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
