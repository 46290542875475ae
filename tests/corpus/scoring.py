"""How a corpus of real programs is scored, shared by the Keras (tests/corpus) and PyTorch (tests/torch_corpus)
corpora. Framework-free."""

from __future__ import annotations

LOUD = ("warning", "error")


def loud(report) -> list[str]:
    return [f.rule for f in report.findings if f.severity in LOUD]


def score(results) -> dict:
    """Precision and recall over the corpus: a found named rule is a true positive, any other loud finding
    (on a correct model, or a second one on a buggy model) a false positive, a missed named rule a false negative."""
    tp = sum(case.rule in loud(report) for case, report in results)
    fn = sum(case.rule is not None and case.rule not in loud(report) for case, report in results)
    fp = sum(len([r for r in loud(report) if r != case.rule]) for case, report in results)
    return {"models": len(results), "buggy": sum(c.rule is not None for c, _ in results), "tp": tp, "fp": fp, "fn": fn,
            "precision": tp / (tp + fp) if tp + fp else 1.0, "recall": tp / (tp + fn) if tp + fn else 1.0}


def print_table(results, width: int = 32) -> None:
    """One line per program (expected rule, found rules, any load error), then the score."""
    for case, report in results:
        found = ", ".join(loud(report)) or "-"
        print(f"{'bug ' if case.rule else 'ok  '} {case.name:45} expected {case.rule or '-':{width}} found {found}"
              + (f"  ERROR {report.error}" if report.error else ""))
    print(score(results))
