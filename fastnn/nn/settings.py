"""The float64 ``settings`` array every training kernel reads, field by field.

One array, so that a kernel call takes one argument for every number that
configures training; its fields come from three places: the optimizer
(:data:`fastnn.nn.optimizers.OPTIMIZERS` says which fields each one uses),
regularisation and stability, and normalisation. Indices are module constants,
so the kernels read ``settings[ALPHA]`` rather than a magic number. The order
is fixed: model files store the array by these names.
"""
SETTING_FIELDS = (
    # optimizer
    "learning_rate", "momentum", "nesterov", "beta_1", "beta_2", "epsilon", "rho",
    "weight_decay",
    # regularisation and stability
    "alpha", "l1", "max_norm", "clip_norm", "clip_value", "input_noise",
    # normalisation
    "batch_norm_momentum", "batch_norm_eps", "layer_norm_eps",
)
(LR, MOMENTUM, NESTEROV, BETA_1, BETA_2, EPSILON, RHO, WEIGHT_DECAY, ALPHA, L1, MAX_NORM,
 CLIP_NORM, CLIP_VALUE, INPUT_NOISE, BN_MOMENTUM, BN_EPS, LN_EPS) = range(len(SETTING_FIELDS))
#: Batch-norm and layer-norm epsilon (PyTorch's defaults).
BATCH_NORM_EPS = 1e-5
LAYER_NORM_EPS = 1e-5
