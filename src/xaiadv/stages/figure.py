"""figure: one paper figure (PNG) from the stage outputs."""

from __future__ import annotations

from .. import runtime


def run(job) -> None:
    fout, par, wc = job.output, job.params, job.wildcards
    timer = runtime.Timer()
    with timer("compute"):
        if wc.figure == "saito2020_fig2":
            from ..figures.saito2020 import fig2

            fig2({(d, m, k): p for d, m, k, p in par.rows}, fout.png)
        elif wc.figure in ("kao2021_fig6", "kao2021_fig7"):
            from ..figures.kao2021 import cam_grid

            cam_grid([p for *_, p in par.rows], fout.png, images="adversarial" if wc.figure == "kao2021_fig6" else "clean")
        elif wc.figure == "nguyen2018_fig3":
            from ..figures.nguyen2018 import fig3

            fig3({(d, m, k): p for d, m, k, p in par.rows}, fout.png)
        elif wc.figure in ("brama2020_fig4", "brama2020_fig5"):
            from ..figures import brama2020

            getattr(brama2020, wc.figure.split("_")[1])({(d, m, k): p for d, m, k, p in par.rows}, fout.png)
        elif wc.figure == "goepfert2019_fig4":
            from ..figures.goepfert2019 import fig4

            fig4({(d, m): p for d, m, p in par.rows}, fout.png)
        elif wc.figure == "goepfert2019_fig3":
            from ..figures.goepfert2019 import fig3

            fig3({(d, m): (att, sc, list(ex)) for d, m, att, sc, *ex in par.rows}, fout.png)
        else:
            raise SystemExit(f"unknown figure {wc.figure!r}")
    timer.report("figure", figure=wc.figure)
