"""Paper figures (seaborn), written atomically as PNG."""
