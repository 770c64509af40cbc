"""The exit statuses of ``samba-tool spn http-pool``, in one place.

They belong to the command layer: libspnpool reports an LDB result code
(and its errstring), and this module maps it to the status a script sees
(docs/admin-guide.md, "Exit codes"; docs/design.md, "Exit codes").  ``check`` verdicts have their own
statuses (``samba_spnpool.render.verdict_exit_code``); ``audit`` exits
``EXIT_FINDINGS`` when it finds something.
"""

import ldb

EXIT_OK = 0
EXIT_ERROR = 1          # anything unexpected
EXIT_BAD_INPUT = 2      # refused before anything was written
EXIT_NO_IDENTITY = 3    # identity not found, not an account, elsewhere
EXIT_CONFLICT = 4       # another account holds it; the account is full
EXIT_ACCESS = 5         # the DC refused the write
EXIT_CONNECTION = 6     # cannot reach the DC, or it refers elsewhere
EXIT_AUTH = 7           # authentication failed
EXIT_FINDINGS = 8       # audit: the scan worked and found problems
EXIT_PRIVILEGED = 9     # krbtgt, a DC, a protected admin, Guest, disabled

# libspnpool refuses a privileged target with this LDB code
# (LDB_ERR_UNWILLING_TO_PERFORM; SPNPOOL_ERR_PRIVILEGED in spnpool.h).
ERR_PRIVILEGED = ldb.ERR_UNWILLING_TO_PERFORM

_BY_LDB_CODE = {
    ldb.SUCCESS: EXIT_OK,
    ldb.ERR_INVALID_ATTRIBUTE_SYNTAX: EXIT_BAD_INPUT,
    ldb.ERR_INVALID_DN_SYNTAX: EXIT_BAD_INPUT,
    ldb.ERR_NO_SUCH_OBJECT: EXIT_NO_IDENTITY,
    ldb.ERR_OBJECT_CLASS_VIOLATION: EXIT_NO_IDENTITY,
    ldb.ERR_CONSTRAINT_VIOLATION: EXIT_CONFLICT,
    ldb.ERR_ATTRIBUTE_OR_VALUE_EXISTS: EXIT_CONFLICT,
    ldb.ERR_ENTRY_ALREADY_EXISTS: EXIT_CONFLICT,
    ldb.ERR_ADMIN_LIMIT_EXCEEDED: EXIT_CONFLICT,  # the account is full
    ldb.ERR_INSUFFICIENT_ACCESS_RIGHTS: EXIT_ACCESS,
    ldb.ERR_UNAVAILABLE: EXIT_CONNECTION,
    ldb.ERR_REFERRAL: EXIT_CONNECTION,  # a write this DC does not take
    ldb.ERR_BUSY: EXIT_CONNECTION,
    ldb.ERR_TIME_LIMIT_EXCEEDED: EXIT_CONNECTION,
    ldb.ERR_INVALID_CREDENTIALS: EXIT_AUTH,
    ldb.ERR_INAPPROPRIATE_AUTHENTICATION: EXIT_AUTH,
    ldb.ERR_STRONG_AUTH_REQUIRED: EXIT_AUTH,
    ldb.ERR_CONFIDENTIALITY_REQUIRED: EXIT_AUTH,
    ERR_PRIVILEGED: EXIT_PRIVILEGED,
}


def exit_code(ldb_error_code):
    """The documented exit status for an LDB result code of libspnpool."""
    return _BY_LDB_CODE.get(ldb_error_code, EXIT_ERROR)
