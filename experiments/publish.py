"""Copy a finished run's Markdown tables and PNG figures into docs/results/, with its commit, command and wall time.

  python experiments/publish.py results-reference docs/results --config config/reference.yaml
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
from pathlib import Path


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("results", type=Path, help="the run's results_dir")
    p.add_argument("out", type=Path)
    p.add_argument("--config", required=True)
    a = p.parse_args()
    wall = json.loads((a.results / "logs" / "main_job_wall.json").read_text())
    if wall.get("rc") != 0:
        raise SystemExit(f"{a.results}: the run did not finish (rc {wall.get('rc')})")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=a.results.resolve().parent).stdout.strip()
    (a.out / "tables").mkdir(parents=True, exist_ok=True)
    (a.out / "figures").mkdir(parents=True, exist_ok=True)
    tables = sorted((a.results / "tables").glob("*.md"))
    for f in tables:
        shutil.copy2(f, a.out / "tables" / f.name)
    shutil.copy2(a.results / "tables" / "summary.csv", a.out / "tables" / "summary.csv")
    shutil.copy2(a.results / "tables" / "claims.csv", a.out / "tables" / "claims.csv")
    shutil.copy2(a.results / "CLAIMS.md", a.out / "CLAIMS.md")  # its links (tables/<name>.md) hold in both places
    figures = sorted((a.results / "figures").glob("*.png"))
    for f in figures:
        shutil.copy2(f, a.out / "figures" / f.name)
    cmd = " ".join(wall["cmd"]) + ("" if "--configfile" in wall["cmd"] else f" --configfile {a.config}")
    lines = [f"- commit `{commit}`, command `{cmd}`",
             f"- wall time {wall['wall_s'] / 60:.1f} min on a 2-core CPU, no GPU",
             "- claims ledger: [CLAIMS.md](CLAIMS.md)",
             "- tables: " + ", ".join(f"[{f.stem}](tables/{f.name})" for f in tables),
             "- figures: " + ", ".join(f"[{f.stem}](figures/{f.name})" for f in figures)]
    (a.out / "RUN.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
