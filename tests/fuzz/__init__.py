"""The bad-input fuzz harness: case generators and the outcome rule (not part of the installed package).

``tests/test_fuzz.py`` drives it through hypothesis and ``benchmarks/fuzz_inputs.py`` through
numpy; both put ``tests/`` on ``sys.path`` and import ``fuzz``.
"""

from fuzz.generators import HypothesisChooser, NumpyChooser, draw_case
from fuzz.outcomes import METHODS, OUTCOMES, classify_error, run_case

__all__ = [
    "HypothesisChooser",
    "METHODS",
    "NumpyChooser",
    "OUTCOMES",
    "classify_error",
    "draw_case",
    "run_case",
]
