"""figure: one paper figure (PNG) from the stage outputs."""

from __future__ import annotations

from .. import runtime


def run(a) -> None:
    timer = runtime.Timer()
    with timer("compute"):
        if a.figure == "saito2020_fig2":
            from ..figures.saito2020 import fig2

            fig2({(d, m, k): p for d, m, k, p in a.items}, a.out)
        elif a.figure in ("kao2021_fig6", "kao2021_fig7"):
            from ..figures.kao2021 import cam_grid

            cam_grid([p for *_, p in a.items], a.out, images="adversarial" if a.figure == "kao2021_fig6" else "clean")
        elif a.figure == "nguyen2018_fig3":
            from ..figures.nguyen2018 import fig3

            fig3({(d, m, k): p for d, m, k, p in a.items}, a.out)
        elif a.figure in ("brama2020_fig4", "brama2020_fig5"):
            from ..figures import brama2020

            getattr(brama2020, a.figure.split("_")[1])({(d, m, k): p for d, m, k, p in a.items}, a.out)
        elif a.figure == "goepfert2019_fig4":
            from ..figures.goepfert2019 import fig4

            fig4({(d, m): p for d, m, p in a.items}, a.out)
        elif a.figure == "goepfert2019_fig3":
            from ..figures.goepfert2019 import fig3

            fig3({(d, m): (att, sc, list(ex)) for d, m, att, sc, *ex in a.items}, a.out)
        else:
            raise SystemExit(f"unknown figure {a.figure!r}")
    timer.report("figure", figure=a.figure)
