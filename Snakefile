# xaiadv: explanation-based detection and rectification of adversarial examples.
# Rules live in workflow/rules/*.smk; logic lives in src/xaiadv. See README.md.

configfile: "config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/attack.smk"
include: "workflow/rules/explain.smk"
include: "workflow/rules/tables.smk"


rule all:
    input:
        all_tables(),
        all_explanations(),
    default_target: True
