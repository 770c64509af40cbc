"""HTTP service principal names for application pool identities.

A thin layer over the C extension ``samba_spnpool._spnpool`` (libspnpool).
Every operation takes an open ``samba.samdb.SamDB`` and borrows its ldb
context, so the caller chooses how to connect (local sam.ldb, ldap://
with a password or Kerberos, ...)::

    from samba_spnpool import add, SpnPoolError
    samdb = SamDB(url=H, session_info=system_session(),
                  credentials=creds, lp=lp)
    try:
        result = add(samdb, 'svc-web', ['web01'])
    except SpnPoolError as e:
        code, message = e.args
        sys.exit(e.exit_code)

Results are plain dicts whose keys are part of the public JSON contract
of ``samba-tool spn http-pool --json``.  ``check`` returns a verdict (one
of ``VERDICTS``, each with its own exit status from
``verdict_exit_code``); ``audit`` returns findings (of the kinds in
``FINDING_KINDS``), for which the command exits ``EXIT_FINDINGS``.

Many pools at once: ``plan`` parses a web server's configuration in C
(``'iis'``: applicationHost.config, ``'pools'``: a pools file) and decides
the changes; ``apply`` executes a plan's ``changes`` with a journal, and
``undo`` replays the journal backwards::

    data = open('applicationHost.config', 'rb').read()
    p = plan(samdb, 'iis', data, servers=['web01'], filename=path)
    r = apply(samdb, p['changes'], journal='run.journal')
    undo(samdb, 'run.journal')

``parse_iis_config`` and ``parse_pools_file`` give the parsed bindings
without a directory.  Each change of an apply/undo result has a state,
one of ``CHANGE_STATES``.
"""

from samba_spnpool.interfaces import require as _require_samba_interfaces

# One line naming the Samba interface that is missing, not a traceback (or
# a crash) later; the launcher prints it for "spn http-pool" only.
_require_samba_interfaces()

from samba_spnpool._spnpool import (  # noqa: E402
    EXIT_ACCESS,
    EXIT_AUTH,
    EXIT_BAD_INPUT,
    EXIT_CONFLICT,
    EXIT_CONNECTION,
    EXIT_ERROR,
    EXIT_NO_IDENTITY,
    EXIT_OK,
    EXIT_PRIVILEGED,
    CHANGE_STATES,
    FINDING_KINDS,
    VERDICTS,
    SpnPoolError,
    add,
    apply,
    audit,
    check,
    compare_dcs,
    exit_code,
    is_local,
    list,
    parse_iis_config,
    parse_pools_file,
    plan,
    remove,
    undo,
    verdict_exit_code,
    version,
)

__all__ = [
    'CHANGE_STATES', 'EXIT_ACCESS', 'EXIT_AUTH', 'EXIT_BAD_INPUT',
    'EXIT_CONFLICT', 'EXIT_CONNECTION', 'EXIT_ERROR', 'EXIT_FINDINGS',
    'EXIT_NO_IDENTITY', 'EXIT_OK', 'EXIT_PRIVILEGED', 'FINDING_KINDS',
    'VERDICTS', 'SpnPoolError', 'add', 'apply', 'audit', 'check',
    'compare_dcs', 'exit_code',
    'is_local', 'list', 'parse_iis_config', 'parse_pools_file', 'plan',
    'remove', 'undo', 'verdict_exit_code', 'version',
]

# samba-tool spn http-pool audit: the scan worked and found something to
# repair.  Chosen above the error codes (1-7) and below check's verdict
# codes (10-13) so that automation can gate on it; libspnpool has no
# notion of it because a finding is a result, not an error.
EXIT_FINDINGS = 8
