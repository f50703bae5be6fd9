"""A seeded, synthetic customer table of the shape issue 15 describes.

Five numeric columns on very different scales (``age``, ``income``, ``score``,
``tenure_months``, ``monthly_charges``; the first three with missing values),
three string columns (``region``, ``plan``, ``device``, each with a rare level
or two), and a ``churn`` target of ``'yes'`` / ``'no'`` (about 41% ``'yes'``) that
depends nonlinearly on numbers and categories, and on whether ``income`` is
known. Tests build a few hundred rows; the comparison in the issue uses 20000::

    python tests/customers.py customers.csv --rows 20000 --seed 0
"""
import argparse

import numpy as np

REGIONS = (("north", 0.30), ("south", 0.27), ("east", 0.20), ("west", 0.15),
           ("central", 0.068), ("islands", 0.01), ("arctic", 0.002))
PLANS = (("basic", 0.45), ("standard", 0.35), ("premium", 0.19), ("enterprise", 0.01))
DEVICES = (("mobile", 0.55), ("desktop", 0.30), ("tablet", 0.147), ("tv", 0.003))
NUMERIC = ("age", "income", "score", "tenure_months", "monthly_charges")
CATEGORICAL = ("region", "plan", "device")
#: Share of missing values in the columns that have some.
MISSING = {"age": 0.06, "income": 0.10, "score": 0.05}


def _levels(rng, table, n):
    names, shares = zip(*table)
    shares = np.asarray(shares) / np.sum(shares)
    return np.asarray(names, dtype=object)[rng.choice(len(names), size=n, p=shares)]


def customer_columns(n_rows, seed=0):
    """The table as a dict of NumPy arrays (so it needs no pandas).

    Parameters
    ----------
    n_rows : int
    seed : int, default=0

    Returns
    -------
    dict of str to ndarray
        Numeric columns are float64 with NaN for missing values; ``region``,
        ``plan``, ``device`` and ``churn`` are object arrays of strings.
    """
    rng = np.random.default_rng(seed)
    age = rng.uniform(18, 80, n_rows)
    income = np.exp(rng.normal(10.8, 0.5, n_rows))           # about 50 000
    score = np.clip(rng.normal(650, 90, n_rows), 300, 850)
    tenure = rng.gamma(2.0, 14.0, n_rows)
    region = _levels(rng, REGIONS, n_rows)
    plan = _levels(rng, PLANS, n_rows)
    device = _levels(rng, DEVICES, n_rows)
    charges = (20 + 25 * (plan == "standard") + 55 * (plan == "premium")
               + 90 * (plan == "enterprise") + rng.normal(0, 8, n_rows))
    region_effect = {"north": -0.3, "south": 0.4, "east": 0.0, "west": -0.1,
                     "central": 0.9, "islands": 1.2, "arctic": -1.0}
    device_effect = {"mobile": 0.3, "desktop": -0.4, "tablet": 0.0, "tv": 1.0}
    plan_effect = {"basic": 0.2, "standard": -0.1, "premium": -0.5, "enterprise": -1.5}
    logit = (
        1.8 * ((age - 48) / 18) ** 2 - 1.0                          # young and old churn
        - 1.3 * np.tanh((np.log(income) - 10.8) / 0.4)               # low income churns
        + 1.4 * np.sin((score - 650) / 70)                           # wavy in score
        - 1.2 * np.log1p(tenure / 12) * (plan != "basic")            # loyalty on paid plans
        + 0.025 * (charges - 50) * (device == "mobile")              # pricey on mobile
        + np.vectorize(region_effect.get)(region)
        + np.vectorize(device_effect.get)(device)
        + np.vectorize(plan_effect.get)(plan)
    )
    income_unknown = rng.random(n_rows) < MISSING["income"]
    logit += 0.9 * income_unknown                                    # unknown income churns
    logit -= 0.62                                                    # about 41% churn
    churn = rng.random(n_rows) < 1 / (1 + np.exp(-logit))
    columns = {"age": np.round(age), "income": np.round(income, 2), "score": np.round(score),
               "tenure_months": np.round(tenure, 1), "monthly_charges": np.round(charges, 2),
               "region": region, "plan": plan, "device": device,
               "churn": np.where(churn, "yes", "no").astype(object)}
    for name, share in MISSING.items():
        gaps = income_unknown if name == "income" else rng.random(n_rows) < share
        columns[name] = np.where(gaps, np.nan, columns[name])
    return columns


def customer_frame(n_rows, seed=0):
    """:func:`customer_columns` as a pandas DataFrame."""
    import pandas as pd

    return pd.DataFrame(customer_columns(n_rows, seed))


def write_customers_csv(path, n_rows, seed=0):
    """Write the table to ``path`` as CSV (missing values as empty fields)."""
    customer_frame(n_rows, seed).to_csv(path, index=False)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path")
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    write_customers_csv(args.path, args.rows, args.seed)
