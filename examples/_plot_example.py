"""What the two plot examples share: their command line, the digits split they
train on, and saving or showing the figures at the end."""
import argparse
import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split


def epochs_from_command_line(description):
    """Parse ``--quick`` (15 epochs instead of 40) and ``--plot-dir``; silence
    ConvergenceWarning, since ``max_iter`` is the plan, not a failure.

    Returns
    -------
    epochs : int
    plot_dir : str or None
        Where to save the figures as PNG (None: show them).
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="15 epochs instead of 40")
    parser.add_argument("--plot-dir", default=None,
                        help="save the figures there as PNG (default: show them)")
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    return (15 if args.quick else 40), args.plot_dir


def digits_split():
    """scikit-learn's digits scaled to [0, 1]: three quarters to train, one
    quarter held out (stratified, ``random_state=0``).

    Returns
    -------
    X_train, X_held_out, y_train, y_held_out : ndarray
    """
    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16, y, random_state=0, stratify=y)


def save_or_show(plot_dir, prefix):
    """Save every open figure as ``<plot_dir>/<prefix>_<number>.png``, or show
    them when ``plot_dir`` is None."""
    if plot_dir:
        for number in plt.get_fignums():
            plt.figure(number).savefig(f"{plot_dir}/{prefix}_{number}.png")
        print(f"saved {len(plt.get_fignums())} figures in {plot_dir}")
    else:
        plt.show()
