"""Per-rule conda envs: every env file parses and pins its packages like requirements.txt, and holds
what its rules' jobs really import. Every stage logs the third-party modules it imported (an
``IMPORTS`` line); tests/test_workflow.py checks those of the tiny end-to-end run with
``rule_env_problems``: each module maps to its distribution (importlib.metadata), which must be
pinned in the rule's env or be installed as a dependency of one that is.
"""

from __future__ import annotations

import json
import re
from importlib import metadata
from pathlib import Path

import pytest
import yaml

from conftest import ROOT



def _rules():
    """{rule: (env file, stage module or None)} from workflow/rules/*.smk: a rule's stage is the module its
    script (workflow/scripts/stage.py) runs, xaiadv.stages.<stage_of(rule)>."""
    from xaiadv.stages import stage_of

    out = {}
    for smk in sorted((ROOT / "workflow/rules").glob("*.smk")):
        for block in re.split(r"\n(?=rule \w+:)", smk.read_text()):
            m = re.match(r"rule (\w+):", block.strip())
            if not m or not re.search(r"^    (script|shell|run):", block, re.M):
                continue  # a target rule (all, download): no job of its own
            env = re.search(r'conda:\s*\n\s*"([^"]+)"', block)
            script = re.search(r'script:\s*\n\s*"([^"]+)"', block)
            assert env, f"{smk.name}: rule {m.group(1)} has no conda: env"
            stage = None
            if script and (smk.parent / script.group(1)).resolve() == ROOT / "workflow/scripts/stage.py":
                stage = stage_of(m.group(1))
            out[m.group(1)] = ((smk.parent / env.group(1)).resolve(), stage)
    return out


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _closure(dists: set[str]) -> set[str]:
    """Distributions plus everything they require (as installed here)."""
    out, todo = set(), list(dists)
    while todo:
        d = todo.pop()
        if d in out:
            continue
        out.add(d)
        try:
            reqs = metadata.requires(d) or []
        except metadata.PackageNotFoundError:
            continue
        for r in reqs:
            if "extra ==" in r:
                continue
            todo.append(_norm(re.match(r"[A-Za-z0-9_.\-]+", r).group(0)))
    return out


def _env_packages(path: Path) -> dict[str, str]:
    env = yaml.safe_load(path.read_text())
    pip = next((d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d), [])
    pins = {}
    for spec in pip:
        m = re.match(r"([A-Za-z0-9_.\-]+)==([\w.+]+)$", spec)
        assert m, f"{path.name}: {spec!r} is not pinned with =="
        pins[_norm(m.group(1))] = m.group(2)
    return pins


ENVS = sorted((ROOT / "envs").glob("*.yaml"))


@pytest.mark.parametrize("path", ENVS, ids=[p.name for p in ENVS])
def test_env_parses_and_pins_like_requirements(path):
    env = yaml.safe_load(path.read_text())
    assert env["name"].startswith("xaiadv-") and "python=3.11" in env["dependencies"]
    req = {_norm(m.group(1)): m.group(2) for m in re.finditer(r"^([A-Za-z0-9_.\-]+)==(\S+)", (ROOT / "requirements.txt").read_text(), re.M)}
    for name, version in _env_packages(path).items():
        if name in req:
            assert version == req[name], f"{path.name}: {name}=={version} but requirements.txt pins {req[name]}"


# Imported only because they happen to be installed here (try/except imports of optional
# dependencies): joblib/loky use psutil when present; torch imports cloudpickle when present; jsonschema's
# format checkers import idna when present.
OPTIONAL = {"psutil", "cloudpickle", "idna"}


# rules that only run on a connected machine (the download step)
NEEDS_NETWORK = {"download_weights", "download_data"}


def rule_env_problems(logs: Path) -> list[str]:
    """Check each job's logged imports (the ``IMPORTS [...]`` line every stage prints) against its
    rule's conda env: every third-party module must come from a distribution pinned in the env or
    installed as a dependency of one that is. ``logs``: a results/logs folder of a finished run."""
    dist_of = {k: {_norm(d) for d in v} for k, v in metadata.packages_distributions().items()}
    problems, seen = [], set()
    for rule, (env, _) in _rules().items():
        have = _closure(set(_env_packages(env)))
        files = list((logs / rule).rglob("*.log"))
        if not files and rule in NEEDS_NETWORK:
            continue  # never runs offline (tests/test_download.py runs its stage)
        if not files:
            problems.append(f"rule {rule}: no logs under {logs / rule}")
        for f in files:
            m = re.search(r"^IMPORTS (\[.*\])$", f.read_text(), re.M)
            if not m:
                problems.append(f"{f}: no IMPORTS line")
                continue
            for mod in set(json.loads(m.group(1))) - OPTIONAL:
                dists = dist_of.get(mod, set())
                if dists and not dists & have and (rule, mod) not in seen:
                    seen.add((rule, mod))
                    problems.append(f"rule {rule} ({env.name}): a job imported {mod!r} from {sorted(dists)}, not in the env")
    return problems


def test_every_rule_names_an_existing_env():
    rules = _rules()
    assert {"prepare_dataset", "train_classifier", "attack", "explain", "detect", "tables", "figure"} <= set(rules)
    for rule, (env, stage) in rules.items():
        assert env.exists() and env in ENVS, f"rule {rule}: {env}"
        assert stage, f"rule {rule}: its script is not workflow/scripts/stage.py"
        assert (ROOT / "src/xaiadv/stages" / f"{stage}.py").exists(), f"rule {rule}: no stage module {stage!r}"


def test_no_rule_runs_a_shell_command():
    """Every rule runs its stage through script: (no config value can reach a shell string)."""
    for smk in sorted((ROOT / "workflow/rules").glob("*.smk")):
        text = smk.read_text()
        assert not re.search(r"^\s+(shell|run):", text, re.M), f"{smk.name}: a shell: or run: directive"


def test_env_check_catches_a_missing_package(tmp_path):
    """The runtime check fails when a job imported something its env lacks."""
    log = tmp_path / "tables" / "t.log"
    log.parent.mkdir(parents=True)
    log.write_text('TIMING {}\nIMPORTS ["pandas", "torch"]\n')
    problems = rule_env_problems(tmp_path)
    assert any("rule tables (tables.yaml)" in p and "'torch'" in p for p in problems)


def test_slurm_profile_routes_only_real_rules_and_every_gpu_rule():
    """profiles/slurm: set-resources names real rules, and every rule that asks config.resources.gpu GPUs
    is sent to a GPU partition (the rules say how much, the profile says where)."""
    prof = yaml.safe_load((ROOT / "profiles/slurm/config.yaml").read_text())
    assert prof["executor"] == "slurm" and "slurm_partition" in prof["default-resources"]
    rules = _rules()
    assert set(prof["set-resources"]) <= set(rules)
    from xaiadv import dag

    gpu_rules = set(dag.MODEL_RULES)  # the rules whose gpu comes from config.resources (test_config checks them)
    assert gpu_rules == {"train_classifier", "train_denoiser", "attack", "explain", "rectify", "rectify_grid",
                         "train_lan", "train_mask_classifier", "lan_adaptive", "lan_interpretations", "localize_attack",
                         "localize_explain", "heat_blur", "heat_blur_adaptive", "leaderboard"}
    assert gpu_rules <= set(prof["set-resources"])


def test_a_cluster_run_gets_the_cluster_profile_alone():
    """Snakemake loads ``profiles/default`` as the workflow profile of every run, and its keys win over
    ``--profile``'s: the local profile is ``profiles/local`` (named by ``make run``), so a dry run of the paper
    config with the SLURM profile uses that profile and nothing else (the local ``cores: 2`` would cap every job's
    threads, its ``latency-wait: 5`` replace the cluster's 60)."""
    import subprocess
    import sys

    assert not (ROOT / "profiles/default").exists()
    assert "--profile profiles/local" in (ROOT / "Makefile").read_text()
    snakemake = Path(sys.executable).with_name("snakemake")
    out = subprocess.run([str(snakemake), "--profile", "profiles/slurm", "--configfile", "config/paper.yaml", "-n"],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    text = out.stdout + out.stderr
    assert "Using profile profiles/slurm" in text and "workflow specific profile" not in text
    prof = yaml.safe_load((ROOT / "profiles/slurm/config.yaml").read_text())
    assert prof["latency-wait"] == 60 and "cores" not in prof
