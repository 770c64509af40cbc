"""HTTP service principal names for application pool identities.

A thin layer over the C extension ``samba_spnpool._spnpool`` (libspnpool).
Every operation takes an open ``samba.samdb.SamDB`` and borrows its ldb
context, so the caller chooses how to connect (local sam.ldb, ldap://
with a password or Kerberos, ...)::

    from samba_spnpool import add, SpnPoolError, is_local_url
    samdb = SamDB(url=H, session_info=system_session(),
                  credentials=creds, lp=lp)
    try:
        result = add(samdb, 'svc-web', ['web01'], local=is_local_url(H))
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

from samba_spnpool import render  # noqa: E402
from samba_spnpool import _spnpool  # noqa: E402
from samba_spnpool._spnpool import (  # noqa: E402
    ACTION_KINDS,
    CHECK_REASONS,
    DECISIONS,
    DNS_STATES,
    NOTE_KINDS,
    RESOLUTION_KINDS,
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
    compare_dcs,
    exit_code,
    list,
    parse_iis_config,
    parse_pools_file,
    remove,
    undo,
    version,
)

__all__ = [
    'ACTION_KINDS', 'CHECK_REASONS', 'DECISIONS', 'DNS_STATES',
    'NOTE_KINDS', 'RESOLUTION_KINDS', 'render',
    'CHANGE_STATES', 'EXIT_ACCESS', 'EXIT_AUTH', 'EXIT_BAD_INPUT',
    'EXIT_CONFLICT', 'EXIT_CONNECTION', 'EXIT_ERROR', 'EXIT_FINDINGS',
    'EXIT_NO_IDENTITY', 'EXIT_OK', 'EXIT_PRIVILEGED', 'FINDING_KINDS',
    'VERDICTS', 'SpnPoolError', 'add', 'apply', 'audit', 'check',
    'compare_dcs', 'exit_code',
    'is_local_url', 'list', 'parse_iis_config', 'parse_pools_file', 'plan',
    'remove', 'undo', 'verdict_exit_code', 'version',
]

# samba-tool spn http-pool audit: the scan worked and found something to
# repair.  Chosen above the error codes (1-7) and below check's verdict
# codes (10-13) so that automation can gate on it; libspnpool has no
# notion of it because a finding is a result, not an error.
EXIT_FINDINGS = 8



def check(*args, **kwargs):
    """_spnpool.check with its facts rendered (samba_spnpool.render):
    'reason', 'fixes' and each action's command line; 'exit_code'."""
    return render.check(_spnpool.check(*args, **kwargs), VERDICTS)


def audit(*args, **kwargs):
    """_spnpool.audit with each finding's 'detail', 'fix' and commands
    rendered (samba_spnpool.render)."""
    return render.audit(_spnpool.audit(*args, **kwargs))


def plan(*args, **kwargs):
    """_spnpool.plan with its explanations, resolutions, commands, notes
    and change reasons rendered (samba_spnpool.render)."""
    return render.plan(_spnpool.plan(*args, **kwargs))


def verdict_exit_code(verdict):
    """The exit status of a check verdict, by name or by its position in
    VERDICTS: 0 for kerberos-ok, then 10, 11, 12, 13."""
    return render.verdict_exit_code(verdict, VERDICTS)


# URL schemes that reach a directory server over the network (or its
# socket), where ldb transactions do nothing and one LDAP modify is the
# unit of atomicity.
_REMOTE_SCHEMES = ('ldap://', 'ldaps://', 'ldapi://')


def is_local_url(url):
    """True if url opens a sam.ldb directly (real ldb transactions).

    None (samba-tool's default: the DC's own sam.ldb), a path and
    tdb:// / mdb:// URLs are local; ldap://, ldaps:// and ldapi:// are not.
    """
    if url is None:
        return True
    return not url.strip().lower().startswith(_REMOTE_SCHEMES)
