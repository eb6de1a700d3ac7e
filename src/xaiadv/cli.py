"""Command line of the workflow's stages: ``python -m xaiadv <stage> ...``.

Each Snakemake rule runs one stage. Heavy imports happen inside the stage, so a
bad argument fails fast. Every stage prints a ``TIMING`` line to its log.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path



def _json(s: str):
    try:
        return json.loads(s)
    except json.JSONDecodeError as e:
        raise argparse.ArgumentTypeError(f"not valid JSON: {e}") from e


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="xaiadv", description=__doc__)
    sub = p.add_subparsers(dest="stage", required=True)

    def common(sp, model=True):
        sp.add_argument("--dataset", required=True)
        sp.add_argument("--seed", type=int, default=0)
        sp.add_argument("--threads", type=int, default=2)
        sp.add_argument("--device", default="auto")
        if model:
            sp.add_argument("--model", required=True)

    def attacked(sp):  # stages on one attack job's output (explain, rectify, rectify_grid)
        sp.add_argument("--attack", required=True)
        sp.add_argument("--model-file", required=True)
        sp.add_argument("--test-split", required=True)
        sp.add_argument("--attack-file", required=True)

    sp = sub.add_parser("prepare", help="prepare_dataset")
    common(sp, model=False)
    sp.add_argument("--spec", type=_json, required=True)
    sp.add_argument("--out-dir", required=True)
    sp.set_defaults(stage_module="prepare")

    sp = sub.add_parser("train", help="train_classifier")
    common(sp)
    sp.add_argument("--spec", type=_json, required=True)
    sp.add_argument("--data-dir", required=True)
    sp.add_argument("--out-model", required=True)
    sp.add_argument("--out-metrics", required=True)
    sp.set_defaults(stage_module="train")

    sp = sub.add_parser("attack", help="attack")
    common(sp)
    sp.add_argument("--attack", required=True)
    sp.add_argument("--spec", type=_json, required=True)
    sp.add_argument("--model-file", required=True)
    sp.add_argument("--test-split", required=True)
    sp.add_argument("--n-eval", type=int, required=True)
    sp.add_argument("--batch-size", type=int, default=64)
    sp.add_argument("--out-tensors", required=True)
    sp.add_argument("--out-summary", required=True)
    sp.set_defaults(stage_module="attack")

    sp = sub.add_parser("explain", help="explain")
    common(sp)
    attacked(sp)
    sp.add_argument("--explainers", type=_json, required=True, help='{"name": {"method": ...}, ...}')
    sp.add_argument("--train-split", required=True, help="background images for expected gradients")
    sp.add_argument("--lan-file", default=None, help="the model's LAN (rule train_lan), for lan explainers")
    sp.add_argument("--batch-size", type=int, default=64)
    sp.add_argument("--n-explain", type=int, default=None, help="explain the first k attacked samples only (0 = all)")
    sp.add_argument("--outputs", nargs="+", required=True, help="one <explainer>.parquet path per explainer to compute")
    sp.set_defaults(stage_module="explain")

    sp = sub.add_parser("detect", help="detect")
    sp.add_argument("--explanations", required=True)
    sp.add_argument("--detectors", type=_json, required=True)
    sp.add_argument("--detection", type=_json, required=True)
    sp.add_argument("--seed", type=int, default=0)
    sp.add_argument("--out", required=True)
    sp.set_defaults(stage_module="detect")

    sp = sub.add_parser("figure", help="figures")
    sp.add_argument("--figure", required=True)
    sp.add_argument("--items", type=_json, required=True)
    sp.add_argument("--out", required=True)
    sp.set_defaults(stage_module="figure")

    sp = sub.add_parser("tables", help="tables")
    sp.add_argument("--table", required=True)
    sp.add_argument("--items", type=_json, required=True)
    sp.add_argument("--out-csv", required=True)
    sp.add_argument("--out-md", required=True)
    sp.set_defaults(stage_module="tables")

    sp = sub.add_parser("rectify", help="rectify")
    common(sp)
    attacked(sp)
    sp.add_argument("--rectifiers", type=_json, required=True, help="{name: spec} for this data set")
    sp.add_argument("--n-rectify", type=int, default=0)
    sp.add_argument("--batch-size", type=int, default=64)
    sp.add_argument("--denoisers", type=_json, default={}, help='{"rectifier name": denoiser .safetensors} (dae rectifiers)')
    sp.add_argument("--outputs", nargs="+", required=True)
    sp.set_defaults(stage_module="rectify")

    sp = sub.add_parser("endtoend", help="endtoend (rectifiers behind the Saito detector)")
    sp.add_argument("--explanations", required=True)
    sp.add_argument("--rectified", nargs="+", required=True, help="the rectify job's JSON files")
    sp.add_argument("--detector-name", required=True)
    sp.add_argument("--detector", type=_json, required=True)
    sp.add_argument("--min-images", type=int, default=5)
    sp.add_argument("--seed", type=int, default=0)
    sp.add_argument("--out", required=True)
    sp.set_defaults(stage_module="endtoend")

    sp = sub.add_parser("train_denoiser", help="train_denoiser (Kao's DAE baseline)")
    common(sp, model=False)
    sp.add_argument("--spec", type=_json, required=True)
    sp.add_argument("--train-split", required=True)
    sp.add_argument("--out", required=True)
    sp.set_defaults(stage_module="train_denoiser")

    sp = sub.add_parser("rectify_grid", help="rectify_grid (Kao Figures 6-7)")
    common(sp)
    attacked(sp)
    sp.add_argument("--rectifiers", type=_json, required=True, help="{name: spec} of the CAM rectifiers, this data set")
    sp.add_argument("--grid", type=_json, required=True, help='{"intensity": [...], "percentage": [...], "repeats": n}')
    sp.add_argument("--n-rectify", type=int, default=0)
    sp.add_argument("--out", required=True)
    sp.set_defaults(stage_module="rectify_grid")

    # Nguyen et al. (2018): LAN g, mask classifier f2, detection, adaptive attack
    sp = sub.add_parser("train_lan", help="train_lan (Latent Attention Network g of f1)")
    common(sp)
    sp.add_argument("--spec", type=_json, required=True, help="lan_detection.lan for this data set")
    sp.add_argument("--model-file", required=True)
    sp.add_argument("--train-split", required=True)
    sp.add_argument("--out", required=True)
    sp.add_argument("--out-metrics", required=True)
    sp.set_defaults(stage_module="train_lan")

    def lan_models(sp):
        sp.add_argument("--model-file", required=True, help="f1")
        sp.add_argument("--lan-file", required=True, help="g (rule train_lan)")
        sp.add_argument("--test-split", required=True)

    sp = sub.add_parser("train_mask_classifier", help="train_mask_classifier (Nguyen's f2)")
    common(sp)
    lan_models(sp)
    sp.add_argument("--spec", type=_json, required=True, help="lan_detection.mask_classifier for this data set")
    sp.add_argument("--train-split", required=True)
    sp.add_argument("--out", required=True)
    sp.add_argument("--out-metrics", required=True)
    sp.set_defaults(stage_module="train_mask_classifier")

    sp = sub.add_parser("lan_detect", help="lan_detect (Nguyen Tables 1-4 for one attack)")
    common(sp)
    lan_models(sp)
    sp.add_argument("--f2-file", required=True)
    sp.add_argument("--attack", required=True)
    sp.add_argument("--source", required=True, help="the model the attack was crafted on (f1 or a transfer source)")
    sp.add_argument("--attack-file", required=True)
    sp.add_argument("--n-detect", type=int, default=0)
    sp.add_argument("--fpr", type=float, default=0.05)
    sp.add_argument("--out", required=True)
    sp.add_argument("--out-examples", required=True)
    sp.set_defaults(stage_module="lan_detect")

    sp = sub.add_parser("lan_adaptive", help="lan_adaptive (PGD that knows the LAN detector)")
    common(sp)
    lan_models(sp)
    sp.add_argument("--f2-file", required=True)
    sp.add_argument("--spec", type=_json, required=True, help="lan_detection.adaptive for this data set")
    sp.add_argument("--out", required=True)
    sp.set_defaults(stage_module="lan_adaptive")

    sp = sub.add_parser("lan_interpretations", help="lan_interpretations (f2 on other explainers' maps)")
    common(sp)
    lan_models(sp)
    sp.add_argument("--explainers", type=_json, required=True, help="{name: spec} of the interpretations compared")
    sp.add_argument("--spec", type=_json, required=True, help="lan_detection.interpretations")
    sp.add_argument("--train-split", required=True)
    sp.add_argument("--attack-files", nargs="+", required=True, help="f1's attack jobs' tensors")
    sp.add_argument("--batch-size", type=int, default=64)
    sp.add_argument("--out", required=True)
    sp.set_defaults(stage_module="lan_interpretations")

    # Göpfert et al. (2019): localized attacks and explainers scored against their regions
    sp = sub.add_parser("localize_attack", help="localize_attack (localized BIM on the largest segments)")
    common(sp)
    sp.add_argument("--spec", type=_json, required=True, help="the localization section")
    sp.add_argument("--model-file", required=True)
    sp.add_argument("--test-split", required=True)
    sp.add_argument("--out-tensors", required=True)
    sp.add_argument("--out-summary", required=True)
    sp.set_defaults(stage_module="localize_attack")

    sp = sub.add_parser("localize_explain", help="localize_explain (one explainer on the localized adversarial examples)")
    common(sp)
    sp.add_argument("--explainer", required=True)
    sp.add_argument("--spec", type=_json, required=True, help="the explainer's config entry")
    sp.add_argument("--model-file", required=True)
    sp.add_argument("--attack-file", required=True)
    sp.add_argument("--train-split", required=True, help="background images for expected gradients")
    sp.add_argument("--test-split", required=True)
    sp.add_argument("--batch-size", type=int, default=64)
    sp.add_argument("--out", required=True)
    sp.set_defaults(stage_module="localize_explain")

    sp = sub.add_parser("localize_score", help="localize_score (Jaccard / Hamming of every explainer vs the region)")
    sp.add_argument("--attack-file", required=True)
    sp.add_argument("--explanations", nargs="+", required=True, help="the localize_explain Parquet files")
    sp.add_argument("--lime", required=True, help="the LIME explainer's name (its superpixels set the sizes)")
    sp.add_argument("--max-superpixels", type=int, default=20)
    sp.add_argument("--seed", type=int, default=0)
    sp.add_argument("--out", required=True)
    sp.set_defaults(stage_module="localize_score")

    # Brama & Grinshpoun (2020): Heat and Blur, NDCG, adaptive attacks
    sp = sub.add_parser("heat_blur", help="heat_blur (Heat and Blur on one attack's examples: sigma sweep, NDCG)")
    common(sp)
    attacked(sp)
    sp.add_argument("--spec", type=_json, required=True, help="the heat_and_blur section for this data set")
    sp.add_argument("--n-images", type=int, default=0)
    sp.add_argument("--batch-size", type=int, default=64)
    sp.add_argument("--out", required=True)
    sp.set_defaults(stage_module="heat_blur")

    sp = sub.add_parser("heat_blur_adaptive", help="heat_blur_adaptive (Algorithm 2, BPDA+EOT PGD vs plain PGD)")
    common(sp)
    sp.add_argument("--spec", type=_json, required=True, help="heat_and_blur.adaptive plus sigma, k_std, absolute, first_rule")
    sp.add_argument("--model-file", required=True)
    sp.add_argument("--test-split", required=True)
    sp.add_argument("--out", required=True)
    sp.set_defaults(stage_module="heat_blur_adaptive")

    sp = sub.add_parser("summary", help="paper-vs-reproduced summary of the tables (report top page)")
    sp.add_argument("--tables", type=_json, required=True, help='{"table name": "CSV path"}')
    sp.add_argument("--out-csv", required=True)
    sp.add_argument("--out-rst", required=True)
    sp.set_defaults(stage_module="summary")
    return p


def main(argv: list[str] | None = None) -> int:
    a = parser().parse_args(argv)
    import importlib

    importlib.import_module(f"xaiadv.stages.{a.stage_module}").run(a)
    return 0
