"""Two-class problems: PyTorch's two-output softmax against one logistic output.

Usage::

    pip install -e ".[bench]"
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/binary_output.py
    python benchmarks/binary_output.py --workload breast-cancer --seeds 12 --epochs 3,10

``quality.py``'s PyTorch and JAX peers train a two-class problem with two
outputs and a softmax; scikit-learn's MLP and fastnn use one logistic output.
With two logits the gradients of the two output columns are opposite, so Adam
(whose step does not depend on the gradient's size) moves their difference by
twice its step size: the same as one logistic output whose learning rate is
doubled. This trains the same PyTorch network (``peers.py``'s layers and Adam
settings, the workload's batch size, one thread) three ways, with two softmax
outputs, with one logistic output, and with one logistic output at twice the
learning rate, and prints the mean test accuracy over seeds after each epoch
count.
"""
import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peers import LEARNING_RATE, _torch_module, torch_epoch  # noqa: E402
from workloads import PANEL, WORKLOADS, MissingData  # noqa: E402

VARIANTS = ("two softmax outputs", "one logistic output", "one output, twice the rate")


def train(torch, w, data, variant, seed, epochs):
    """Test accuracy after each epoch in ``epochs`` for one variant and seed."""
    X_tr, y_tr, X_te, y_te = data
    torch.manual_seed(seed)
    two = variant == VARIANTS[0]
    model = _torch_module(torch, w.hidden, X_tr.shape[1], 2 if two else 1)
    head = list(model.parameters())[-2:]
    body = list(model.parameters())[:-2]
    head_rate = 2 * LEARNING_RATE if variant == VARIANTS[2] else LEARNING_RATE
    opt = torch.optim.Adam([{"params": body}, {"params": head, "lr": head_rate}],
                           lr=LEARNING_RATE)
    if two:
        y = torch.from_numpy(y_tr.astype(np.int64))
        loss_fn = torch.nn.CrossEntropyLoss()
    else:
        y = torch.from_numpy(y_tr.astype(np.float32)).reshape(-1, 1)
        loss_fn = torch.nn.BCEWithLogitsLoss()
    X, Xt = torch.from_numpy(X_tr), torch.from_numpy(X_te)
    scores = {}
    for epoch in range(1, max(epochs) + 1):
        torch_epoch(torch, model, opt, loss_fn, X, y, w.batch_size)
        if epoch in epochs:
            with torch.inference_mode():
                out = model(Xt)
            pred = out.argmax(1) if two else (out[:, 0] > 0).long()
            scores[epoch] = float((pred.numpy() == y_te).mean())
    return scores


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workload", default="moons")
    parser.add_argument("--seeds", type=int, default=12)
    parser.add_argument("--epochs", default="3,10")
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed (pip install -e '.[bench]'); nothing to compare")
        return 0
    torch.set_num_threads(1)
    w = {**WORKLOADS, **PANEL}[args.workload]
    try:
        data = w.load()
    except MissingData as exc:
        print(f"skipped: {exc}")
        return 0
    n_classes = len(np.unique(data[1]))
    if n_classes != 2:
        parser.error(f"{args.workload} has {n_classes} classes; "
                     "pick a two-class workload (moons, breast-cancer, hastie, binary-wide)")
    epochs = sorted(int(e) for e in args.epochs.split(","))
    print(f"# {args.workload}, PyTorch {torch.__version__}, hidden {w.hidden}, "
          f"batch {w.batch_size}, Adam {LEARNING_RATE}, mean of {args.seeds} seeds")
    print("| variant | " + " | ".join(f"{e} epochs" for e in epochs) + " |")
    print("|---|" + "---|" * len(epochs))
    for variant in VARIANTS:
        runs = [train(torch, w, data, variant, seed, epochs) for seed in range(args.seeds)]
        means = [np.mean([r[e] for r in runs]) for e in epochs]
        print(f"| {variant} | " + " | ".join(f"{m:.4f}" for m in means) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
