"""Shared by the allowlist scripts: run one check over every keras.applications model."""

from __future__ import annotations


def sweep_applications(check, checked_what: str, refused_what: str) -> int:
    """Build every keras.applications model (Keras 3 and tf_keras, no weights) and call check(model), which
    returns what it refuses (falsy for nothing); print the count and each refusal; 1 if anything was refused."""
    import keras
    import tf_keras

    checked, failures = 0, []
    for package in (keras, tf_keras):
        for name in sorted(n for n in dir(package.applications) if n[:1].isupper()):
            found = check(getattr(package.applications, name)(weights=None))
            checked += 1
            if found:
                failures.append(f"{package.__name__}.applications.{name}: {found}")
            package.backend.clear_session()
    print(f"{checked} keras.applications {checked_what}; {len(failures)} {refused_what}")
    for line in failures:
        print("  " + line)
    return 1 if failures else 0
