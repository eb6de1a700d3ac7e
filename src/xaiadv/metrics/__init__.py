"""Metrics every stage can report (Brama & Grinshpoun's NDCG of a prediction against the benign one)."""
