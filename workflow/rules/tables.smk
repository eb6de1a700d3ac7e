rule tables:
    output:
        csv=report(R("tables/{table}.csv"), category=lambda wc: report_category(wc.table),
                   subcategory="Tables", caption="../report/tables.rst"),
        md=R("tables/{table}.md"),
    input:
        rows=lambda wc: item_files(table_items(wc.table)),
        code=lambda wc: code("stages/tables.py", "tables/__init__.py", "tables/render.py",
                             f"tables/{paper_of(wc.table)}.py", "papers/__init__.py", f"papers/{paper_of(wc.table)}.csv",
                             "stats.py"),
    params:
        rows=lambda wc: as_json(table_items(wc.table)),
        caption=lambda wc: caption(wc.table),
    log:
        R("logs/tables/{table}.log"),
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
        gpu=0,
    conda:
        "../../envs/tables.yaml"
    shell:
        "PYTHONPATH=$XAIADV_SRC${{PYTHONPATH:+:$PYTHONPATH}} $XAIADV_PYTHON -m xaiadv tables --table {wildcards.table} --items {params.rows:q} --out-csv {output.csv} "
        "--out-md {output.md} > {log} 2>&1"


rule figure:
    output:
        report(R("figures/{figure}.png"), category=lambda wc: report_category(wc.figure),
               subcategory="Figures", caption="../report/figures.rst"),
    input:
        rows=lambda wc: item_files(figure_items(wc.figure)),
        code=lambda wc: code("stages/figure.py", "figures/__init__.py", f"figures/{paper_of(wc.figure)}.py", "cache.py"),
    params:
        rows=lambda wc: as_json(figure_items(wc.figure)),
        caption=lambda wc: caption(wc.figure),
    log:
        R("logs/figure/{figure}.log"),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
        gpu=0,
    conda:
        "../../envs/tables.yaml"
    shell:
        "PYTHONPATH=$XAIADV_SRC${{PYTHONPATH:+:$PYTHONPATH}} $XAIADV_PYTHON -m xaiadv figure --figure {wildcards.figure} "
        "--items {params.rows:q} --out {output} > {log} 2>&1"


# The report's top page (workflow/report/workflow.rst includes the RST) and its first category.
rule summary:
    output:
        csv=report(R("tables/summary.csv"), category="0. Paper vs reproduced", caption="../report/summary.rst"),
        rst=R("report/summary.rst"),
    input:
        tables=lambda wc: list(summary_inputs().values()),
        code=code("stages/summary.py", "tables/__init__.py", "tables/summary.py"),
    params:
        tables=lambda wc: as_json(summary_inputs()),
    log:
        R("logs/summary/summary.log"),
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
        gpu=0,
    conda:
        "../../envs/tables.yaml"
    shell:
        "PYTHONPATH=$XAIADV_SRC${{PYTHONPATH:+:$PYTHONPATH}} $XAIADV_PYTHON -m xaiadv summary --tables {params.tables:q} "
        "--out-csv {output.csv} --out-rst {output.rst} > {log} 2>&1"
