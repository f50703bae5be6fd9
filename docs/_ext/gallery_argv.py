"""The command line the gallery runs each example with (``reset_argv``).

A module of its own so that ``sphinx_gallery_conf`` names it by a string and
stays picklable (Sphinx caches the configuration between builds).
"""


def quick_argv(gallery_conf, script_vars):
    """Every gallery example runs at its reduced size: ``--quick``."""
    return ["--quick"]
