rule tables:
    input:
        rows=lambda wc: item_files(table_items(wc.table)),
        printed=lambda wc: str(PKG / "papers" / f"{paper_of(wc.table)}.csv"),
        code=code("tables"),
    output:
        csv=report(
            R("tables/{table}.csv"),
            category=lambda wc: report_category(wc.table),
            subcategory="Tables",
            caption="../report/tables.rst",
        ),
        md=R("tables/{table}.md"),
    log:
        R("logs/tables/{table}.log"),
    conda:
        "../../envs/tables.yaml"
    threads: 1
    resources:
        mem_mb=job_resource("tables", "mem_mb"),
        runtime=job_resource("tables", "runtime"),
        gpu=job_resource("tables", "gpu"),
    params:
        rows=lambda wc: table_items(wc.table),
        caption=lambda wc: caption(wc.table),
    script:
        "../scripts/stage.py"


rule figure:
    input:
        rows=lambda wc: item_files(figure_items(wc.figure)),
        code=code("figure"),
    output:
        png=report(
            R("figures/{figure}.png"),
            category=lambda wc: report_category(wc.figure),
            subcategory="Figures",
            caption="../report/figures.rst",
        ),
    log:
        R("logs/figure/{figure}.log"),
    conda:
        "../../envs/tables.yaml"
    threads: 1
    resources:
        mem_mb=job_resource("figure", "mem_mb"),
        runtime=job_resource("figure", "runtime"),
        gpu=job_resource("figure", "gpu"),
    params:
        rows=lambda wc: figure_items(wc.figure),
        caption=lambda wc: caption(wc.figure),
    script:
        "../scripts/stage.py"


# The report's top page (workflow/report/workflow.rst includes the RST) and its first category.
# It also writes the claims ledger (CLAIMS.md): each paper's headline claims judged on the same tables.
rule summary:
    input:
        tables=lambda wc: list(summary_inputs().values()),
        gaps=claims_gaps(),
        code=code("summary"),
    output:
        csv=report(R("tables/summary.csv"), category="0. Paper vs reproduced", caption="../report/summary.rst"),
        rst=R("report/summary.rst"),
        claims=report(R("CLAIMS.md"), category="0. Paper vs reproduced", caption="../report/claims.rst"),
        claims_csv=R("tables/claims.csv"),
    log:
        R("logs/summary/summary.log"),
    conda:
        "../../envs/tables.yaml"
    threads: 1
    resources:
        mem_mb=job_resource("summary", "mem_mb"),
        runtime=job_resource("summary", "runtime"),
        gpu=job_resource("summary", "gpu"),
    params:
        tables=lambda wc: canonical(summary_inputs()),
    script:
        "../scripts/stage.py"
