"""The argument parser class of the ``fastnn`` command.

Usage errors are one ``fastnn: error: ...`` line (exit status 2). No option is
taken from an abbreviation (``--standard`` is not ``--standardize``), and an
unknown option or choice comes with the closest known one: ``unrecognized
arguments: --hiden 64; did you mean --hidden?``.
"""
import argparse
import difflib
import re

from .errors import EXIT_ERROR, error_line

_CHOICE = re.compile(r"invalid choice: '([^']*)' \(choose from (.*)\)")


def closest(word, candidates):
    """The candidate closest to ``word`` (a likely typo or abbreviation), or None."""
    candidates = list(candidates)
    starting = [c for c in candidates if c.startswith(word) and c != word]
    if len(starting) == 1:
        return starting[0]
    found = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return found[0] if found else None


class Parser(argparse.ArgumentParser):
    """argparse with one-line usage errors, no abbreviations, and suggestions."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message):
        match = _CHOICE.search(message)
        if match:
            choices = re.findall(r"'([^']*)'", match.group(2))
            guess = closest(match.group(1), choices)
            if guess is not None:
                message += f"; did you mean {guess!r}?"
        self.exit(EXIT_ERROR, error_line(f"{message} (see '{self.prog} --help')") + "\n")

    def _command_parser(self, namespace):
        """The subcommand's parser that parsed ``namespace`` (else this one)."""
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                return action.choices.get(getattr(namespace, action.dest, None), self)
        return self

    def parse_args(self, args=None, namespace=None):
        namespace, extras = self.parse_known_args(args, namespace)
        if extras:
            parser = self._command_parser(namespace)
            options = [s for action in parser._actions for s in action.option_strings]
            hints = []
            for extra in extras:
                flag = extra.split("=", 1)[0]
                if flag.startswith("--") and flag not in options:
                    guess = closest(flag, options)
                    if guess is not None:
                        hints.append(f"{flag}: did you mean {guess}?")
            message = f"unrecognized arguments: {' '.join(extras)}"
            if hints:
                message += "; " + "; ".join(hints)
            parser.error(message)
        return namespace
