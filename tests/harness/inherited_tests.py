"""Run every test a variant class inherits, or say which it skips and why.

A variant of a specification (the same tests over HTTPS, say) used to drop inherited tests by
setting them to None: unittest then neither ran nor reported them, and a test added to the
specification later vanished from the variant unseen. Instead:

    class BackupOverHttpsOnMoto(EveryPutUnsigned, BackupOnMoto): ...
    skip_inherited(BackupOverHttpsOnMoto, BackupOnMoto, {
        "test_restore_db_refuses_to_drop_the_backup_source": PG_SIDE,   # a reason, never empty
    })

* every inherited test not named runs in the variant, new ones included;
* each named test is reported as skipped with its reason on every run (`unittest -v` lists it);
* a name the base does not define, or one the variant defines itself, or an empty reason raises
  at import: the whole file fails, so an exemption cannot outlive its test.
"""

from __future__ import annotations

import unittest


def skip_inherited(cls: type, base: type, skipped: dict[str, str]) -> type:
    """Marks `skipped` (test name -> reason) of `base`'s tests as skipped in `cls`; returns cls."""
    inherited = {name for name in dir(base) if name.startswith("test_") and callable(getattr(base, name))}
    unknown = sorted(set(skipped) - inherited)
    if unknown:
        raise ValueError(f"{cls.__name__}: skips {unknown}, which {base.__name__} does not define "
                         "(renamed or removed? drop the exemption)")
    for name, reason in skipped.items():
        if name in cls.__dict__:
            raise ValueError(f"{cls.__name__}: defines {name} itself and also skips it")
        if not reason or not reason.strip():
            raise ValueError(f"{cls.__name__}: {name} is skipped without a reason")
        setattr(cls, name, unittest.skip(f"not in {cls.__name__}: {reason}")(getattr(base, name)))
    return cls
