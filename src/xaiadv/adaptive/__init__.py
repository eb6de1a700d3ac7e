"""Adaptive attacks: attacks written against one defense (they know its detector or rectifier)."""
