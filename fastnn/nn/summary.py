"""``est.summary()``: a table of the network's layers and parameter counts."""


class ModelSummary:
    """The layers of a fitted network and their parameter counts.

    Attributes
    ----------
    rows : list of dict
        Per layer: ``layer``, ``kind`` (dense or batch_norm), ``output_shape``,
        ``activation``, ``params`` (``(fan_in + 1) * fan_out`` for a dense layer,
        ``2 * units`` for batch norm, plus PReLU's slopes) and ``trainable``.
    total_params, trainable_params : int
    """

    COLUMNS = ("layer", "kind", "output_shape", "activation", "params", "trainable")

    def __init__(self, rows, input_features):
        self.rows = rows
        self.input_features = input_features
        self.total_params = sum(r["params"] for r in rows)
        self.trainable_params = sum(r["params"] for r in rows if r["trainable"])

    def __str__(self):
        cells = [[str(r[c]) for c in self.COLUMNS] for r in self.rows]
        widths = [max(len(c), *(len(row[i]) for row in cells))
                  for i, c in enumerate(self.COLUMNS)]
        line = lambda values: "  ".join(v.ljust(w) for v, w in zip(values, widths))  # noqa: E731
        out = [f"input: (None, {self.input_features})", line(self.COLUMNS),
               line(["-" * w for w in widths])]
        out += [line(row) for row in cells]
        out.append(f"total parameters: {self.total_params:,} "
                   f"(trainable {self.trainable_params:,}, "
                   f"frozen {self.total_params - self.trainable_params:,})")
        return "\n".join(out)

    __repr__ = __str__
