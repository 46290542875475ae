"""The real-world corpus (tests/corpus/models.py) through check, in this process, as the CLI checks a factory.

Correct models must earn no warning or error (info about a backbone is allowed: it is what `probe`
answers); each buggy model must earn exactly the rule its source names, and nothing else at warning or
above. `PYTHONPATH=. python tests/corpus/test_corpus.py` prints the table with precision and recall.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from shapelint.engine.check import check_source
from shapelint.engine.run import Options

try:
    from .cases import CASES
    from .scoring import loud, print_table
except ImportError:  # run as a script
    from cases import CASES
    from scoring import loud, print_table

MODELS = Path(__file__).with_name("models.py")
SIZES = ((64, 64), (32, 32))


def check_case(case):
    return check_source(f"{MODELS}:{case.name}", Options(sizes=SIZES, num_classes=case.num_classes))




def test_the_corpus_is_large_and_mostly_correct():
    assert len(CASES) >= 40
    assert sum(c.rule is None for c in CASES) > len(CASES) / 2


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_corpus_model(case):
    """One test per model, so that xdist spreads the corpus over its workers; every case passing is
    precision 1.0 and recall 1.0 (the script below prints the counts)."""
    report = check_case(case)
    assert report.error is None, report.error  # a valid model is never a load error
    assert loud(report) == ([case.rule] if case.rule else []), [(f.code, f.message) for f in report.findings]


if __name__ == "__main__":
    from shapelint.adapters.tensorflow.runtime import import_tensorflow

    import_tensorflow()  # quietly, before the factories import Keras
    print_table([(case, check_case(case)) for case in CASES])
