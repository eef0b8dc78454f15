"""The paper's DT-PINN in plain PyTorch with the dtpinn module: Poisson on the unit disk,
u = 1 + sin(pi x) cos(pi y), Robin du/dn + u = g (data/configs/poisson_disk.toml), RBF-FD L and
B of order 4 applied by the engine's SpMV op, a 4 x 50 tanh MLP in fp64, L-BFGS.
    PYTHONPATH=build/python python examples/python/poisson_disk.py [TARGET_ERROR [THREADS]]"""
import math, sys, time
import torch
import dtpinn

def exact(x):  # u, Lap u, and grad u
    s, c = torch.sin(math.pi * x[:, 0]), torch.cos(math.pi * x[:, 1])
    grad = torch.stack([math.pi * torch.cos(math.pi * x[:, 0]) * c,
                        -math.pi * s * torch.sin(math.pi * x[:, 1])], 1)
    return 1 + s * c, -2 * math.pi ** 2 * s * c, grad

def problem(n=1663, order=4, seed=0):
    nodes = dtpinn.nodes("disk", n=n, seed=seed)                     # interior, boundary, ghosts
    ops = dtpinn.operators(nodes, order=order, boundary=dict(alpha=1.0, beta=1.0))
    L, B = dtpinn.SparseOperator(ops["L"]), dtpinn.SparseOperator(ops["B"])
    x, nrm = (torch.from_numpy(a.copy()) for a in (nodes.points, nodes.normals))
    nb = slice(nodes.n_interior, nodes.n_collocation)                  # the boundary nodes
    f = exact(x[:nodes.n_collocation])[1]                              # Lap u = f
    u_b, _, du_b = exact(x[nb])
    g = (du_b * nrm[nb]).sum(1) + u_b                                  # du/dn + u = g
    return x, L, B, f, g

def network(seed=0):
    torch.manual_seed(seed)
    layers = [torch.nn.Linear(2, 50), torch.nn.Tanh()]
    layers += [m for _ in range(3) for m in (torch.nn.Linear(50, 50), torch.nn.Tanh())]
    return torch.nn.Sequential(*layers, torch.nn.Linear(50, 1)).double()

def loss_fn(net, x, L, B, f, g):                     # eq. (12): mean((L u - f)^2) + mean((B u - g)^2)
    u = net(x).squeeze(1)
    return (L(u) - f).pow(2).mean() + (B(u) - g).pow(2).mean()

def main(n=1663, epochs=100, target=1e-4, test_n=5000, log=print):
    x, L, B, f, g = problem(n)
    xt = torch.from_numpy(dtpinn.nodes("disk", n=test_n, seed=1, ghosts=False).points.copy())
    ut, net, t0 = exact(xt)[0], network(), time.perf_counter()
    opt = torch.optim.LBFGS(net.parameters(), max_iter=20, history_size=100,
                            line_search_fn="strong_wolfe")
    def closure():
        opt.zero_grad()
        loss = loss_fn(net, x, L, B, f, g)
        loss.backward()
        return loss
    for epoch in range(1, epochs + 1):
        loss = opt.step(closure)
        with torch.no_grad():
            err = ((net(xt).squeeze(1) - ut).norm() / ut.norm()).item()
        log(f"epoch {epoch}: loss {loss.item():.3e}, test rel. l2 error {err:.3e}")
        if err < target:
            break
    return dict(epochs=epoch, error=err, seconds=time.perf_counter() - t0)

if __name__ == "__main__":
    torch.set_num_threads(int(sys.argv[2]) if len(sys.argv) > 2 else torch.get_num_threads())
    print(main(target=float(sys.argv[1]) if len(sys.argv) > 1 else 1e-4))
