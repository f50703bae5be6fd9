"""How the ``fastnn`` command reports problems: one line each, never a traceback.

Every error ends the command with one line on standard error,
``fastnn: error: <what went wrong and what to do>``, and exit status 2
(argparse's convention for usage errors). Warnings raised while a command runs
(a fit that reached ``max_iter``, ``init_from`` copying layers) become one
``fastnn: warning: ...`` line each. An unexpected exception is reported the same
way; set the environment variable ``FASTNN_TRACEBACK=1`` to see its traceback.
"""
import os
import sys
import warnings

from sklearn.utils._param_validation import InvalidParameterError

from ..exceptions import DivergenceError, ModelFileError

#: Exit status of every failed command (argparse's status for usage errors).
EXIT_ERROR = 2
#: Exit status after Ctrl-C outside training (128 + SIGINT, as shells report it).
EXIT_INTERRUPTED = 130


class CLIError(Exception):
    """A problem with the command's input: the message is shown as it is."""


#: Exceptions whose message explains the problem well enough to show on its own.
EXPECTED = (CLIError, ModelFileError, InvalidParameterError, DivergenceError, ValueError,
            OSError, ImportError)


def one_line(message):
    """``message`` (a string or an exception) with its whitespace collapsed into one line."""
    text = " ".join(str(message).split())
    if isinstance(message, OSError) and message.filename is not None and message.strerror:
        text = f"{message.filename}: {message.strerror}"
    return text or type(message).__name__


def error_line(message):
    """The line printed for an error: ``fastnn: error: ...``."""
    return f"fastnn: error: {one_line(message)}"


def _show_warning(message, category, filename, lineno, file=None, line=None):
    print(f"fastnn: warning: {one_line(message)}", file=sys.stderr)


def run_command(func, args):
    """Run ``func(args)`` and turn its outcome into an exit status.

    Parameters
    ----------
    func : callable
        The command; returns None or 0 on success.
    args : argparse.Namespace
        Parsed command-line arguments.

    Returns
    -------
    int
        0 on success, :data:`EXIT_ERROR` after printing one error line.
    """
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        try:
            return func(args) or 0
        except EXPECTED as exc:
            if isinstance(exc, BrokenPipeError):
                return _broken_pipe()
            print(error_line(exc), file=sys.stderr)
            return EXIT_ERROR
        except KeyboardInterrupt:
            print("fastnn: interrupted", file=sys.stderr)
            return EXIT_INTERRUPTED
        except Exception as exc:
            if os.environ.get("FASTNN_TRACEBACK"):
                raise
            print(error_line(f"unexpected {type(exc).__name__}: {one_line(exc)} "
                             "(set FASTNN_TRACEBACK=1 to see the traceback)"),
                  file=sys.stderr)
            return EXIT_ERROR


def _broken_pipe():
    """Standard output was closed early (``fastnn predict ... | head``): stop quietly."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 1
