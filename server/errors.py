"""The command line's errors, apart from `cli.py` so the command modules it loads can import them without a cycle."""

import argparse


class CommandError(Exception):
    """A mistake on the command line or in a file it names; the message says what to do instead."""


def one_line_errors(parser: argparse.ArgumentParser, exit_code: int) -> None:
    """Usage mistakes on this sub-command as one line naming the option, never the value (a stray value may be a
    patient ID), with `exit_code`; unknown options are refused here rather than passed up to the parent parser."""

    def error(message: str):
        parser.exit(exit_code, f"{parser.prog}: error: {message}; see {parser.prog} --help\n")

    def parse_known_args(args=None, namespace=None):
        namespace, extras = argparse.ArgumentParser.parse_known_args(parser, args, namespace)
        if extras:
            names = [extra.split("=", 1)[0] for extra in extras if extra.startswith("-")]
            error(f"unknown options: {', '.join(names)}" if names else "a value without an option before it")
        return namespace, []

    parser.error = error
    parser.parse_known_args = parse_known_args
