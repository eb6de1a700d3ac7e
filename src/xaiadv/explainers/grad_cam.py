"""Grad-CAM (Selvaraju et al. 2017) at the model's last convolutional layer, captum ``LayerGradCam``."""

from __future__ import annotations

from captum.attr import LayerAttribution, LayerGradCam


def explain(model, x, target):
    """ReLU(sum_k w_k A_k) at ``model.cam_layer``, bilinearly upsampled to the input size; (N, 1, H, W)."""
    cam = LayerGradCam(model, model.cam_layer).attribute(x, target=target, relu_attributions=True)
    return LayerAttribution.interpolate(cam, tuple(x.shape[-2:]), interpolate_mode="bilinear")
