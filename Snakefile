# xaiadv: explanation-based detection and rectification of adversarial examples.
# Rules live in workflow/rules/*.smk; logic lives in src/xaiadv. See README.md.

# config.yaml is the embedded default. With --configfile, the given files alone
# make the config (merged in order, e.g. config.yaml config/cifar10-local.yaml):
# Snakemake would otherwise merge them into config.yaml's keys, so a smaller
# config could never drop an attack or a data set.
if not workflow.overwrite_configfiles:

    configfile: "config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/download.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/attack.smk"
include: "workflow/rules/explain.smk"
include: "workflow/rules/detect.smk"
include: "workflow/rules/rectify.smk"
include: "workflow/rules/lan.smk"
include: "workflow/rules/localize.smk"
include: "workflow/rules/heat_blur.smk"
include: "workflow/rules/leaderboard.smk"
include: "workflow/rules/tables.smk"


rule all:
    default_target: True
    input:
        all_tables(),
        all_explanations(),
