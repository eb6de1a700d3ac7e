"""Paper tables: CSV plus Markdown, our number beside the paper's, with n and a bootstrap interval."""

TABLES = ("kao2021_table1", "saito2020_table1", "saito2020_table2")
FIGURES = ("saito2020_fig2",)
