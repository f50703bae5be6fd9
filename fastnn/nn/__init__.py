"""The network and its compiled kernels (no scikit-learn here).

- :mod:`.plan`: a network as a list of layer ops over one flat buffer.
- Layer ops, each with its Numba forward and backward side by side and its other
  behaviour in one class (:mod:`.layerop`): :mod:`.dense`, :mod:`.batch_norm`,
  :mod:`.layer_norm`, :mod:`.activations` (with the activation registry),
  :mod:`.dropout`, :mod:`.output` (output activation and loss).
- :mod:`.optimizers` (with the optimizer registry), :mod:`.regularization`,
  :mod:`.random`, :mod:`.init` (weight initialisation).
- :mod:`.compile`: the one place where a configuration becomes a compiled
  training kernel; :mod:`.optable`, :mod:`.settings`: what it reads.
- :mod:`.inference`: the compiled Cython forward pass behind ``predict``.
- :mod:`.jit`: compilation flags and the kernel cache.

Kernels dispatch by integer code (see the registries) rather than taking
functions as arguments.
"""
