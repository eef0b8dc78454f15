"""dtpinn.SparseOperator: forward A u and backward A^T g against dense references, gradcheck."""
import numpy as np
import pytest
import torch

import dtpinn


@pytest.fixture(scope="module")
def ops():
    ns = dtpinn.nodes("disk", n=120, seed=2)
    return dtpinn.operators(ns, order=2, boundary=dict(alpha=1.0, beta=1.0))


@pytest.mark.parametrize("k", [None, 3])
@pytest.mark.parametrize("name", ["L", "B"])
def test_forward_and_backward_against_dense(ops, name, k):
    A = ops[name]
    D = A.to_dense()
    op = dtpinn.SparseOperator(A)
    assert op.shape == tuple(A.shape) and op.nnz == A.values().numel()
    gen = torch.Generator().manual_seed(7)
    shape = (op.cols,) if k is None else (op.cols, k)
    u = torch.randn(shape, dtype=torch.float64, generator=gen, requires_grad=True)
    y = op(u)
    assert y.shape == ((op.rows,) if k is None else (op.rows, k))
    ref = D @ u.detach()
    assert (y.detach() - ref).abs().max().item() <= 1e-12 * ref.abs().max().item()
    w = torch.randn(y.shape, dtype=torch.float64, generator=gen)
    (y * w).sum().backward()
    gref = D.T @ w
    assert (u.grad - gref).abs().max().item() <= 1e-12 * gref.abs().max().item()
    assert torch.equal(op.multiply(u.detach()), y.detach())
    assert (op.multiply_transpose(w) - gref).abs().max().item() <= 1e-12 * gref.abs().max().item()


def test_gradcheck_fp64(ops):
    op = dtpinn.SparseOperator(ops["B"])
    gen = torch.Generator().manual_seed(1)
    u1 = torch.randn(op.cols, dtype=torch.float64, generator=gen, requires_grad=True)
    u2 = torch.randn(op.cols, 2, dtype=torch.float64, generator=gen, requires_grad=True)
    assert torch.autograd.gradcheck(op, (u1,), eps=1e-6, atol=1e-8)
    assert torch.autograd.gradcheck(op, (u2,), eps=1e-6, atol=1e-8)
    # the backward is the op on A^T: differentiable again
    assert torch.autograd.gradgradcheck(op, (u1,), eps=1e-6, atol=1e-8)


def test_inside_a_network_loss(ops):
    """The op in an ordinary PyTorch loss: gradients in the weights equal the dense ones."""
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    net = net.double()
    x = torch.rand(ops["L"].shape[1], 2, dtype=torch.float64)
    L = dtpinn.SparseOperator(ops["L"])
    D = ops["L"].to_dense()
    grads = []
    for apply in (L, lambda u: D @ u):
        net.zero_grad()
        apply(net(x).squeeze(1)).pow(2).mean().backward()
        grads.append(torch.cat([p.grad.flatten() for p in net.parameters()]))
    assert (grads[0] - grads[1]).abs().max().item() < 1e-10 * grads[1].abs().max().item()


def test_fp32_and_inputs(ops):
    A = ops["L"]
    op = dtpinn.SparseOperator(A, dtype=torch.float32)
    u = torch.randn(op.cols, dtype=torch.float32)
    ref = (A.to_dense() @ u.double()).float()
    assert (op(u) - ref).abs().max().item() < 1e-4 * ref.abs().max().item()
    # scipy and dense inputs give the same operator
    dense = dtpinn.SparseOperator(A.to_dense())
    assert torch.equal(dense.to_sparse_csr().values(), dtpinn.SparseOperator(A).to_sparse_csr()
                       .values())
    with pytest.raises(ValueError, match="input dtype Float but operator dtype Double"):
        dtpinn.SparseOperator(A)(u)
    with pytest.raises(ValueError, match="input has 3 rows, the operator has"):
        dtpinn.SparseOperator(A)(torch.zeros(3, dtype=torch.float64))
    with pytest.raises(ValueError, match="must be \\[cols\\] or \\[cols, k\\]"):
        dtpinn.SparseOperator(A)(torch.zeros(op.cols, 1, 1, dtype=torch.float64))
    with pytest.raises(ValueError, match="dtype: must be torch.float64 or torch.float32"):
        dtpinn.SparseOperator(A, dtype=torch.int32)
    with pytest.raises(ValueError, match="A must be a 2D torch tensor"):
        dtpinn.SparseOperator(np.zeros(3))


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is present (see the CUDA test)")
def test_cuda_refused_without_a_gpu(ops):
    with pytest.raises(ValueError, match="^device cuda: "):
        dtpinn.SparseOperator(ops["L"], device="cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cuda_matches_cpu_and_graph_capture(ops):
    A = ops["L"]
    cpu, gpu = dtpinn.SparseOperator(A), dtpinn.SparseOperator(A, device="cuda")
    u = torch.randn(cpu.cols, 4, dtype=torch.float64, requires_grad=True)
    ug = u.detach().cuda().requires_grad_(True)
    y, yg = cpu(u), gpu(ug)
    assert (yg.cpu() - y).abs().max().item() < 1e-12 * y.abs().max().item()
    y.sum().backward()
    yg.sum().backward()
    assert (ug.grad.cpu() - u.grad).abs().max().item() < 1e-12 * u.grad.abs().max().item()
    gpu.prepare(0)
    static = torch.randn(cpu.cols, dtype=torch.float64, device="cuda")
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g):
        out = gpu.multiply(static)
    static.copy_(torch.ones_like(static))
    g.replay()
    torch.cuda.synchronize()
    assert (out.cpu() - A @ torch.ones(cpu.cols, dtype=torch.float64)).abs().max().item() < 1e-10
