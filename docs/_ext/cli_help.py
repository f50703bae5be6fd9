"""``.. fastnn-cli::``: the ``fastnn`` command's help, generated from its parser.

Renders ``fastnn --help`` and ``fastnn COMMAND --help`` for every subcommand of
:func:`fastnn.cli.build_parser` as literal blocks, one section per command, so
the reference page cannot drift from the command line.
"""
import argparse
import os

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

#: Width of the rendered help (argparse reads it from ``COLUMNS``).
HELP_WIDTH = "88"


def subcommands(parser):
    """``{name: subparser}`` of ``parser``'s subcommands, in their order."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def help_text(parser):
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = HELP_WIDTH
    try:
        return parser.format_help()
    finally:
        if old is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = old


class FastnnCliDirective(SphinxDirective):
    has_content = False

    def run(self):
        from fastnn.cli import build_parser

        parser = build_parser()
        out = [nodes.literal_block(text=help_text(parser).rstrip(), language="text")]
        for name, sub in subcommands(parser).items():
            section = nodes.section(ids=[nodes.make_id(f"fastnn-{name}")])
            section += nodes.title(text=f"fastnn {name}")
            section += nodes.literal_block(text=help_text(sub).rstrip(), language="text")
            out.append(section)
        return out


def setup(app):
    app.add_directive("fastnn-cli", FastnnCliDirective)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
