"""One plan with every kind of action and warning, built by hand so goldens stay stable."""

from datetime import UTC, datetime

from bkctl.model.plan import (
    Action,
    ActionKind,
    ErrorKind,
    Plan,
    PlanError,
    PlanWarning,
    PrunedPoint,
    Reason,
    WarningKind,
)

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def sample_plan() -> Plan:
    pruned = tuple(
        PrunedPoint(id=f"{day:02d}" + "ab" * 31, time=datetime(2026, 11, day, 8, tzinfo=UTC),
                    rules_not_keeping=("daily 7", "weekly 4"))
        for day in (3, 2)
    )
    return Plan(
        created=NOW, now=NOW, host="web-01", manifest_digest="sha256:1234",
        fingerprints={"local": "f00d", "offsite": "uninitialised"},
        actions=(
            Action(kind=ActionKind.INIT_TARGET, target="offsite",
                   reason=Reason.TARGET_NOT_INITIALISED, detail="create the disk repository"),
            Action(kind=ActionKind.BACKUP, target="local", workload="etc",
                   reason=Reason.SCHEDULE_DUE,
                   detail="newest point 2026-11-24 03:00 UTC is 9h old; schedule every 8h"),
            Action(kind=ActionKind.BACKUP, target="offsite", workload="etc",
                   reason=Reason.NEVER_BACKED_UP, detail="no complete recovery point"),
            Action(kind=ActionKind.PRUNE, target="local", workload="etc", reason=Reason.RETENTION,
                   detail="2 of 12 recovery points kept by no retention rule", points=pruned),
            Action(kind=ActionKind.RECLAIM, target="local", reason=Reason.UNREFERENCED_DATA,
                   detail="delete data no remaining recovery point references"),
            Action(kind=ActionKind.VERIFY, target="local", reason=Reason.VERIFY_DUE,
                   detail="never verified; every 7d; read 5% of data"),
        ),
        warnings=(
            PlanWarning(kind=WarningKind.ORPHANED_POINTS, target="local", workload="old|db",
                        message="target 'local' holds 3 recovery points of workload 'old|db' "
                                "(host web-01) that the manifest no longer stores there; kept"),
        ),
    )


def incomplete_plan() -> Plan:
    """The sample plan made while target 'offsite' refused the passphrase."""
    plan = sample_plan()
    return plan.model_copy(update={
        "actions": tuple(a for a in plan.actions if a.target != "offsite"),
        "fingerprints": {"local": "f00d", "offsite": "unreachable"},
        "errors": (PlanError(kind=ErrorKind.TARGET_UNREACHABLE, target="offsite", cause="passphrase",
                             message="target 'offsite' could not be read (wrong passphrase for repository "
                                     "a019); nothing is planned for it",
                             hint="check the passphrase environment variable or file of this target",
                             exit_code=65),),
    })
