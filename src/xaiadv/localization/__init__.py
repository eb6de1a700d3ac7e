"""Göpfert, Wersing & Hammer (2019), "Recovering localized adversarial attacks": a targeted BIM confined to
one image segment gives a ground-truth region; explanations of the adversarial example are scored against it.

* :mod:`.segments`: Felzenszwalb-Huttenlocher segmentation (scikit-image), the k largest segments;
* :mod:`.metrics`: explanation masks of a given size, Jaccard index, Hamming likeness, ranks, pointing game.

The attack itself is :mod:`xaiadv.attacks.localized_bim` (an attack like the others, with a region mask).
"""
