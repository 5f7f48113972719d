"""The command line, a layer over the engine that nothing else imports: `python -m unlearn_core ...`.

    python -m unlearn_core run [--dataset digits --mode class --forget-class 5 --lr 0.01 ...] [--out run.json]
    python -m unlearn_core compare --methods contrastive,neggrad --seeds 0,1,2
    python -m unlearn_core sweep --space lr=loguniform:1e-3:1e-1 --samples 8
    python -m unlearn_core download cifar10 [--data-dir DIR]
    python -m unlearn_core privacy run.json --models 8      # per-sample privacy of a saved run

Bad input gets one line on stderr and exit code 2; an interrupt writes nothing and exits 130 (compare
--out keeps the runs it finished: its file is rewritten after each, and --resume runs the rest). Torch uses
as many CPU threads as the process has cores, or $UNLEARN_THREADS.

Reading and checking the arguments imports nothing heavy (these modules import only argparse, the
settings and the checks); a command imports the engine (torch, scikit-learn, Ray) once its own checks
passed (args.start_engine), so bad input is refused in a fraction of a second and tens of MB (issue 23).
"""
from __future__ import annotations

import sys

from ..errors import UserInputError
from .args import OneLineParser, fail
from .compare import add_compare_command
from .download import add_download_command
from .privacy import add_privacy_command
from .run import add_run_command
from .sweep import add_sweep_command


def build_parser() -> OneLineParser:
    parser = OneLineParser(prog="python -m unlearn_core", description="Contrastive machine unlearning.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    for register in (add_run_command, add_compare_command, add_sweep_command, add_download_command,
                     add_privacy_command):
        register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except UserInputError as err:
        return fail(str(err))
    except KeyboardInterrupt:
        print("interrupted; nothing written", file=sys.stderr)
        return 130
