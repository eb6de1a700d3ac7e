import pytest
import torch

from xaiadv.models import build, load_model, save_model


def test_effnet_lite0_classifies_foolbox_images(effnet, foolbox_images):
    x, y = foolbox_images
    with torch.no_grad():
        pred = effnet(x).argmax(1)
    assert (pred == y).sum() >= 15  # 17/20 with its TF-Lite normalisation


def test_models_normalise_inside(effnet):
    assert effnet.normalize.mean.flatten()[0] == pytest.approx(127 / 255)
    cnn = build("kao_mnist_cnn")
    assert cnn(torch.rand(2, 1, 28, 28)).shape == (2, 10)
    assert isinstance(cnn.cam_layer, torch.nn.Conv2d) and isinstance(effnet.cam_layer, torch.nn.Conv2d)
    assert isinstance(build("kao_cifar10_cnn").cam_layer, torch.nn.Conv2d)


def test_trained_cnn_learns_and_roundtrips(tmp_path, mnist_model, mnist_small):
    from xaiadv.models.train import predict

    _, _, x, y = mnist_small
    acc = (predict(mnist_model, x) == y).float().mean()
    assert acc > 0.9
    save_model(tmp_path / "m.safetensors", mnist_model, "kao_mnist_cnn", 10)
    again = load_model(tmp_path / "m.safetensors")
    assert torch.equal(predict(again, x), predict(mnist_model, x))


def test_loaded_cnns_run_channels_last_with_the_same_outputs_and_nchw_input_gradients(tmp_path, mnist_model, mnist_small):
    """fast_layout (issue 18): a loaded CNN's convolutions in channels_last, logits as the NCHW model's, input
    gradients (N, C, H, W)-contiguous, also through a double backward (Saito's surrogates) and for 3 channels."""
    _, _, x, _ = mnist_small
    torch.manual_seed(0)
    cifar = build("kao_cifar10_cnn").eval()
    for name, ref, xs in (("kao_mnist_cnn", mnist_model, x[:32]), ("kao_cifar10_cnn", cifar, torch.rand(8, 3, 32, 32))):
        save_model(tmp_path / f"{name}.safetensors", ref, name, 10)
        fast = load_model(tmp_path / f"{name}.safetensors")
        conv = [m for m in fast.net.modules() if isinstance(m, torch.nn.Conv2d) and m.in_channels > 1]
        assert conv and all(m.weight.is_contiguous(memory_format=torch.channels_last) and not m.weight.is_contiguous()
                            for m in conv), name
        with torch.no_grad():
            assert torch.allclose(fast(xs), ref(xs), atol=1e-5), name
        xg = xs.clone().requires_grad_(True)
        (g,) = torch.autograd.grad(fast(xg)[:, 0].sum(), xg, create_graph=True)
        assert g.is_contiguous() and g.shape == xs.shape, name
        (gg,) = torch.autograd.grad(g.pow(2).sum(), xg)
        assert gg.is_contiguous() and gg.shape == xs.shape, name
        g.view(len(xs), -1)  # what callers do with it


def test_load_model_rejects_foreign_file(tmp_path):
    from xaiadv.io import save_tensors

    save_tensors(tmp_path / "w.safetensors", {"w": torch.zeros(1)})
    with pytest.raises(ValueError, match="no 'arch'"):
        load_model(tmp_path / "w.safetensors")


def test_unknown_arch():
    with pytest.raises(ValueError, match="unknown arch 'lenet7'"):
        build("lenet7")


def test_accumulated_step_takes_the_full_batch_step(mnist_small):
    """Issue 18: training passes run on micro-batches of 64 (faster per image on a CPU), the optimiser still
    steps on the whole batch: with dropout off, the same update as one pass over 128 real digits."""
    from xaiadv.models.train import accumulated_step

    x, y = mnist_small[0][:128], mnist_small[1][:128]
    torch.manual_seed(0)
    a = build("kao_mnist_cnn").eval()
    b = build("kao_mnist_cnn").eval()
    b.load_state_dict(a.state_dict())
    init = [p.detach().clone() for p in a.parameters()]
    opt_a, opt_b = torch.optim.SGD(a.parameters(), lr=0.1), torch.optim.SGD(b.parameters(), lr=0.1)
    la = accumulated_step(a, opt_a, x, y, micro=64)
    opt_b.zero_grad()
    lb = torch.nn.functional.cross_entropy(b(x), y)
    lb.backward()
    opt_b.step()
    assert la == pytest.approx(lb.item(), rel=1e-5)
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.allclose(pa, pb, atol=1e-6)
    assert all(not torch.equal(pa, p0) for pa, p0 in zip(a.parameters(), init))  # a step was taken
