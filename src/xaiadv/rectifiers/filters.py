"""Image filters shared by rectifiers: Gaussian blur (torchvision's, without importing it) and JPEG (Pillow)."""

from __future__ import annotations

import torch


def gaussian_blur(x: torch.Tensor, kernel: int, sigma: float) -> torch.Tensor:
    """``x`` (N, C, H, W) in [0, 1] blurred with a ``kernel`` x ``kernel`` Gaussian of std ``sigma`` pixels
    (reflect padding; the kernel is clipped to an odd size <= the image side).

    torchvision's ``gaussian_blur`` computed by :func:`xaiadv.determinism.gaussian_blur` (the same kernel, padding
    and grouped convolution; bit-identical on CPU, tests/test_rectifiers.py), not by torchvision itself: importing
    torchvision took 1.0-1.8 s of every job that blurs (issue 18), and the strict-deterministic CUDA path needs our
    version anyway (reflection padding has no deterministic CUDA backward)."""
    from ..determinism import gaussian_blur as blur

    side = min(x.shape[-2:])
    k = min(int(kernel), side if side % 2 else side - 1)
    k = k if k % 2 else k - 1
    return blur(x, max(k, 1), float(sigma))


def jpeg(x: torch.Tensor, quality: int) -> torch.Tensor:
    """JPEG-compress and decode each image of ``x`` (N, C, H, W) in [0, 1] at ``quality`` (1-100), with Pillow
    (torchvision's encode_jpeg is deprecated since 0.29); 4:2:0 chroma subsampling, Pillow's default."""
    import io

    import numpy as np
    from PIL import Image

    u8 = (x.detach().clamp(0, 1) * 255).round().to(torch.uint8).cpu().permute(0, 2, 3, 1).numpy()
    out = []
    for img in u8:
        buf = io.BytesIO()
        Image.fromarray(img[..., 0] if img.shape[-1] == 1 else img).save(buf, format="JPEG", quality=int(quality))
        dec = np.asarray(Image.open(io.BytesIO(buf.getvalue())))
        out.append(dec[..., None] if dec.ndim == 2 else dec)
    return torch.from_numpy(np.stack(out)).permute(0, 3, 1, 2).to(x.device, torch.float32) / 255
