"""The ``vaeaug`` command line: parse arguments, call the library, print or write results.

One module per command (``augment``, ``models``: fit and sample, ``info``, ``evaluate``:
evaluate and datasets), what they share in ``options`` (errors, stdin, common options) and
``tables`` (labelled tables, classes named on the command line). torch, scikit-learn and
imbalanced-learn (some seconds to import) are imported by the commands that use them, so
that --help and errors in the arguments come at once; the defaults the options show are the
estimators' own (:mod:`vaeaug.defaults`).
"""

from __future__ import annotations

import signal
from typing import Any

import click

from .. import __version__
from . import augment, evaluate, info, models


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="vaeaug")
def main() -> None:
    """Conditional-VAE oversampling for imbalanced classification.

    \b
    Examples:
      vaeaug info data.csv --target label
      vaeaug augment data.csv --target label --class-balance -o balanced.csv
      vaeaug fit data.csv --target label -o model.vaeaug
      vaeaug sample model.vaeaug -n 500 --class rare -o synth.csv
      vaeaug evaluate data.csv --target label
    """


for _command in (augment.augment, models.fit, models.sample, info.info, evaluate.evaluate,
                evaluate.datasets):
    main.add_command(_command)


def _terminate(signum: int, frame: Any) -> None:
    # SIGTERM unwinds like Ctrl-C, so temporary files are removed on the way out.
    raise SystemExit(128 + signum)


def run() -> None:
    """Console entry point: ``vaeaug`` and ``python -m vaeaug``."""
    signal.signal(signal.SIGTERM, _terminate)
    main()
