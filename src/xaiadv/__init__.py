"""xaiadv: explanation-based (XAI) detection and rectification of adversarial examples.

The library behind the Snakemake workflow: data sets, classifiers, attacks,
explainers, the explanation cache and the tables. Each rule runs
one stage (:mod:`xaiadv.stages`) through ``workflow/scripts/stage.py``; tests
import the modules directly.
"""

__version__ = "0.1.0"
