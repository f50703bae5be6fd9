"""Per-epoch feedback during ``fit``: a progress bar or one line per epoch.

``verbose=1`` shows a tqdm progress bar when standard error is a terminal and
tqdm is installed, and falls back to one line per epoch otherwise;
``verbose=2`` always prints one line per epoch; 0 / False is silent. Lines keep
scikit-learn's ``Iteration N, loss = ...`` form.
"""
import sys


def _format_metrics(info):
    parts = [f"loss = {info['loss']:.8f}"]
    if info.get("val_loss") is not None:
        parts.append(f"val_loss = {info['val_loss']:.6f}")
    if info.get("val_score") is not None:
        parts.append(f"val_score = {info['val_score']:.6f}")
    return ", ".join(parts)


class EpochReporter:
    """Report each epoch of a fit according to ``verbose``."""

    def __init__(self, verbose, total_epochs):
        self.level = int(verbose)
        self.bar = None
        if self.level == 1 and sys.stderr.isatty():
            try:
                from tqdm.auto import tqdm
            except ImportError:  # pragma: no cover - tqdm is a dependency
                tqdm = None
            if tqdm is not None:
                self.bar = tqdm(total=total_epochs, unit="epoch", leave=True)

    def epoch(self, info):
        """Show one finished epoch (``info`` as passed to callbacks)."""
        if self.bar is not None:
            postfix = {"loss": f"{info['loss']:.4g}"}
            for key in ("val_loss", "val_score"):
                if info.get(key) is not None:
                    postfix[key] = f"{info[key]:.4g}"
            self.bar.set_postfix(postfix, refresh=False)
            self.bar.update(1)
        elif self.level >= 1:
            print(f"Iteration {info['epoch']}, {_format_metrics(info)}")

    def message(self, text):
        """A note such as a change of learning rate or the reason training stopped."""
        if self.bar is not None:
            self.bar.write(text)
        elif self.level >= 1:
            print(text)

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None
