"""Numba training kernels, grouped by domain.

- :mod:`.activations`: hidden-layer activations and their derivatives.
- :mod:`.losses`: output activation fused with its loss and the output delta.
- :mod:`.dense`: fused dense-layer forward and backward passes.
- :mod:`.optimizers`: in-place updates over the flat parameter buffer.
- :mod:`.network`: whole minibatch steps over every layer.

Kernels never import scikit-learn, and dispatch by integer code (see the
``*_CODES`` registries) rather than taking functions as arguments.
"""
