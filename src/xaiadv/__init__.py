"""xaiadv: explanation-based (XAI) detection and rectification of adversarial examples.

The library behind the Snakemake workflow: data sets, classifiers, attacks,
explainers, the explanation cache and the tables. Rules call
``python -m xaiadv <stage>``; tests import the modules directly.
"""

__version__ = "0.1.0"
