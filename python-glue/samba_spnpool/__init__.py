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
of ``samba-tool spn http-pool --json``.
"""

from samba_spnpool._spnpool import (
    EXIT_ACCESS,
    EXIT_AUTH,
    EXIT_BAD_INPUT,
    EXIT_CONFLICT,
    EXIT_CONNECTION,
    EXIT_ERROR,
    EXIT_NO_IDENTITY,
    EXIT_OK,
    SpnPoolError,
    add,
    exit_code,
    list,
    remove,
    version,
)

__all__ = [
    'EXIT_ACCESS', 'EXIT_AUTH', 'EXIT_BAD_INPUT', 'EXIT_CONFLICT',
    'EXIT_CONNECTION', 'EXIT_ERROR', 'EXIT_NO_IDENTITY', 'EXIT_OK',
    'SpnPoolError', 'add', 'exit_code', 'is_local_url', 'list', 'remove',
    'version',
]

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
