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

Local or LDAP is the library's decision, made from the ldb backend of the
SamDB (``is_local(samdb)``): one transaction on a local sam.ldb, checked
single modifies over LDAP.  The ``local`` keyword that the operations
took before is still accepted and ignored, so older callers keep working.

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

import builtins  # noqa: E402
from collections.abc import Mapping  # noqa: E402

from samba_spnpool import render  # noqa: E402
from samba_spnpool import _spnpool  # noqa: E402
from samba_spnpool._spnpool import (  # noqa: E402
    ACTION_KINDS,
    CHECK_REASONS,
    CLIENT_MODELS,
    DECISIONS,
    DNS_STATES,
    NOTE_KINDS,
    PRIVILEGED_REASONS,
    RESOLUTION_KINDS,
    CHANGE_STATES,
    FINDING_KINDS,
    VERDICTS,
    SpnPoolError,
    compare_dcs,
    is_local,
    parse_iis_config,
    parse_pools_file,
    version,
)

__all__ = [
    'ACTION_KINDS', 'CHECK_REASONS', 'CLIENT_MODELS', 'DECISIONS',
    'DNS_STATES',
    'NOTE_KINDS', 'PRIVILEGED_REASONS', 'RESOLUTION_KINDS', 'render',
    'CHANGE_STATES', 'EXIT_ACCESS', 'EXIT_AUTH', 'EXIT_BAD_INPUT',
    'EXIT_CONFLICT', 'EXIT_CONNECTION', 'EXIT_ERROR', 'EXIT_FINDINGS',
    'EXIT_NO_IDENTITY', 'EXIT_OK', 'EXIT_PRIVILEGED', 'FINDING_KINDS',
    'VERDICTS', 'SpnPoolError', 'add', 'apply', 'audit', 'check',
    'compare_dcs', 'exit_code',
    'is_local', 'list', 'parse_iis_config', 'parse_pools_file', 'plan',
    'remove', 'undo', 'verdict_exit_code', 'version',
]

# The exit statuses are the command layer's, not libspnpool's: the
# library reports LDB codes, exitcodes.py maps them (EXIT_FINDINGS, for
# audit, sits above the error codes 1-7 and below check's verdict codes
# 10-13 so that automation can gate on it).
from samba_spnpool.exitcodes import (  # noqa: E402
    EXIT_ACCESS,
    EXIT_AUTH,
    EXIT_BAD_INPUT,
    EXIT_CONFLICT,
    EXIT_CONNECTION,
    EXIT_ERROR,
    EXIT_FINDINGS,
    EXIT_NO_IDENTITY,
    EXIT_OK,
    EXIT_PRIVILEGED,
    exit_code,
)

SpnPoolError.exit_code = property(
    lambda self: exit_code(self.args[0]),
    doc="The documented exit status for this error's LDB code.")



def add(samdb, identity, hosts, **kwargs):
    """Make IDENTITY hold http/<NetBIOS> and http/<FQDN> for every host in
    hosts (and the :port forms when port is given as int or decimal str),
    after checking that no other account holds them or a HOST/ alias of
    them.  Keywords: port, server (the web server, for built-in IIS
    identities), move (take SPNs from their holder), port_only (only the
    :port forms; needs port, not 80 or 443), dry_run (also foresees an
    access refusal: "access", "access_dn"), peers (SamDBs of the other
    writable DCs, whose holders count too), allow_privileged (else a
    privileged account is refused with exit_code 9).

    Returns {'operation', 'dry_run', 'changed', 'account', 'spns'}.
    Raises SpnPoolError (an ldb.LdbError) with .exit_code and .result (the
    report, e.g. the holders on a conflict, or None)."""
    return _report("add", _spnpool.add, samdb, identity, hosts, **kwargs)


def remove(samdb, identity, hosts, **kwargs):
    """Take exactly http/<NetBIOS> and http/<FQDN> of every host (with a
    port: only the :port forms) off IDENTITY, whatever letter case they
    are stored in, in one modify; SPNs it does not hold are 'absent'.
    Keywords: port, server, dry_run, peers.  Returns and raises as
    add(); remove runs no uniqueness check, so 'conflict' is None."""
    return _report("remove", _spnpool.remove, samdb, identity, hosts,
                   **kwargs)


def list(samdb, identity=None, host=None, server=None, local=False):
    """The HTTP SPNs of an account (identity) or those that answer for a
    host (explicit holders, HOST/ aliases and the computer named like it);
    server names the web server for built-in identities.  Returns
    {'account', 'entries': [{'spn', 'dn', 'sam_account_name', 'via'}]}.
    Raises SpnPoolError.  local is accepted and ignored, see the module's
    note."""
    return _spnpool.list(samdb, identity, host, server)


def _report(operation, fn, /, *args, **kwargs):
    """fn's report (also an error's .result) named by its operation."""
    kwargs.pop("local", None)  # ignored, see the module's note
    def named(result):
        if operation == "remove":
            for spn in result.get("spns") or []:
                spn["conflict"] = None
        return render.report(dict(result, operation=operation))
    try:
        return named(fn(*args, **kwargs))
    except SpnPoolError as e:
        if isinstance(e.result, dict):
            e.result = named(e.result)
        raise


def check(samdb, target, identity, server=None, kernel_mode=False,
          include_port=False, local=False, client="browser"):
    """Predict what a client gets for target (a URL or host name) when the
    application pool runs as identity: the SPN it requests (client
    'browser': short names get the domain, CNAMEs in the AD-integrated
    zones are followed; 'as-typed': neither), who the KDC picks for it,
    and the verdict with its reason and fixes, rendered by
    samba_spnpool.render ('reason', 'fixes', 'actions' with command
    lines, 'exit_code').  server names the web server (built-in
    identities, kernel_mode); kernel_mode: IIS kernel-mode authentication
    without useAppPoolCredentials; include_port: the client puts the port
    into the SPN.  'other' is the same under the other client model.  A
    verdict is a result; raises SpnPoolError when the check cannot be
    made."""
    if client not in CLIENT_MODELS:
        raise ValueError("client must be 'browser' or 'as-typed', not %r"
                         % (client,))
    result = _spnpool.check(samdb, target, identity, server=server,
                            kernel_mode=kernel_mode,
                            include_port=include_port,
                            client=CLIENT_MODELS.index(client))
    result["target"] = target
    if result.get("other"):
        result["other"]["target"] = target
    return render.check(result, VERDICTS)


def audit(samdb, all_classes=False, page_size=0, progress=None,
          local=False, max_password_age=0):
    """Scan every naming context once (paged searches of page_size
    entries, 0: the library's default) and report every SPN held by
    several accounts (HTTP only unless all_classes), every http/X that
    shadows host/X of another account, every half registration, every
    HTTP SPN on a disabled account and every kerberoastable user (RC4 and
    a password older than max_password_age days, 0: 365).  progress, if
    given, is called as progress(entries, values) during the scan; if it
    raises, the scan runs to its end and the exception is raised then.

    Returns {'entries_read', 'values_read', 'distinct_spns', 'findings'
    (rendered by samba_spnpool.render: 'detail', 'fix', 'actions'),
    'counts': {kind: n} (every kind)}.  Raises SpnPoolError."""
    if page_size is None:
        page_size = 0
    if isinstance(page_size, bool) or not isinstance(page_size, int):
        raise TypeError("page_size must be int, not %s" %
                        type(page_size).__name__)
    if not 0 <= page_size <= 0xffffffff:
        raise ValueError("page_size must be from 0 (the default) to %d" %
                         0xffffffff)
    if progress is not None and not callable(progress):
        raise TypeError("progress must be callable or None, not %s" %
                        type(progress).__name__)
    result = _spnpool.audit(samdb, all_classes=all_classes,
                            page_size=page_size, progress=progress,
                            max_password_age=max_password_age)
    counts = dict.fromkeys(FINDING_KINDS, 0)
    for finding in result["findings"]:
        counts[finding["kind"]] += 1
    result["counts"] = counts
    return render.audit(result)


def plan(samdb, kind, data, servers=(), filename=None, local=False,
         allow_privileged=False):
    """Parse data as kind ('iis': an applicationHost.config, 'pools': a
    pools file; bytes, or str taken as UTF-8) and decide, for every name
    browsers use, which account must hold http/<NetBIOS> and http/<FQDN>,
    compared with the directory.  servers names the web server(s) the
    configuration belongs to.  Nothing is written.

    Returns {'source', 'servers', 'names', 'changes' (what apply()
    takes), 'notes'}, rendered by samba_spnpool.render.  Raises
    SpnPoolError: exit_code 2 for a refused file or bad servers, 3 for an
    identity not found."""
    if servers is None:
        servers = ()
    if isinstance(servers, (str, bytes)):
        raise TypeError("servers must be a list of str, not one str")
    servers = builtins.list(servers)
    result = _spnpool.plan(samdb, kind, data, servers=servers,
                           filename=filename,
                           allow_privileged=allow_privileged)
    result.update(source=kind, servers=servers)
    return render.plan(result)


def _text(obj, where, optional=False):
    if obj is None and optional:
        return None
    if not isinstance(obj, str):
        raise TypeError("%s must be str, not %s" % (where,
                                                    type(obj).__name__))
    return obj


def _dicts(obj, what):
    if isinstance(obj, (str, bytes, dict)) or not hasattr(obj,
                                                          "__iter__"):
        raise TypeError("%s must be a list of dicts, not %s" %
                        (what, type(obj).__name__))
    for i, item in enumerate(obj):
        where = "%s[%d]" % (what, i)
        if not isinstance(item, Mapping):
            raise TypeError("%s must be a dict, not %s" %
                            (where, type(item).__name__))
        yield where, item


def _field(item, where, key, optional=False):
    if key not in item:
        if optional:
            return None
        raise ValueError("%s['%s'] is missing" % (where, key))
    return _text(item[key], "%s['%s']" % (where, key), optional)


def apply(samdb, changes, journal=None, dry_run=False, local=False,
          peers=None, names=None, allow_privileged=False):
    """Execute changes (a plan's 'changes': dicts with 'action' ('add' or
    'delete'), 'dn', 'spn' and optionally 'sam_account_name' and 'reason')
    in order.  On a local sam.ldb (is_local()): one transaction, all or
    nothing.  Over LDAP: one checked exact-value modify per change; the
    first surprise stops the run and what it did is reversed.  Every
    change is written to the journal file (which must not exist; required
    unless dry_run) before it is made; undo() replays it.  Changes already
    in effect are skipped.  dry_run writes nothing and returns the LDIF.

    names is the plan's 'names' ([{'fqdn', 'users': [{'identity',
    'server'}]}]): every change must be http/<NetBIOS> or http/<FQDN> of
    one of them, and an add must target an account one of that name's
    identities resolves to now; else nothing is done (exit_code 2).  A
    privileged target is refused (exit_code 9) unless allow_privileged.

    Returns {'changed', 'dry_run', 'journal', 'changes': [{'action', 'dn',
    'sam_account_name', 'spn', 'reason', 'state'}], 'ldif'}; state is one
    of CHANGE_STATES.  Raises SpnPoolError (a surprise: exit_code 4 and
    .result with the states; a failed reversal: exit_code 1); malformed
    changes or names raise TypeError or ValueError.  This is where they
    are validated; the extension takes them as tuples.
    """
    rows = []
    for where, c in _dicts(changes, "changes"):
        action = _field(c, where, "action")
        if action not in ("add", "delete"):
            raise ValueError("%s['action'] must be 'add' or 'delete', not "
                             "%r" % (where, action))
        rows.append((action, _field(c, where, "dn"),
                     _field(c, where, "spn"),
                     _field(c, where, "sam_account_name", True),
                     _field(c, where, "reason", True)))
    scope = None
    if names is not None:
        scope = []
        for where, n in _dicts(names, "names"):
            if "users" not in n:
                raise ValueError("%s['users'] is missing" % where)
            users = []
            for uwhere, u in _dicts(n["users"], where + "['users']"):
                identity = _field(u, uwhere, "identity", True)
                server = _field(u, uwhere, "server", True)
                if identity is not None:  # else nobody's tickets
                    users.append((identity, server))
            scope.append((_field(n, where, "fqdn"), tuple(users)))
    return _applied(journal, dry_run, _spnpool.apply, samdb, rows,
                    journal=journal, dry_run=dry_run,
                    peers=peers, names=scope,
                    allow_privileged=allow_privileged)


def undo(samdb, journal, dry_run=False, local=False, peers=None,
         allow_privileged=False):
    """Restore the state before the apply recorded in the journal file:
    the changes that took effect are reversed, last first, the way apply()
    works, and the journal records it.  Refuses without writing anything
    if any of those SPNs changed since, or if the journal was undone
    already (SpnPoolError, exit_code 4); an unreadable or malformed
    journal (a record whose checksum does not match, a value apply would
    not write) is exit_code 2; giving a value back to a privileged account
    is exit_code 9 unless allow_privileged.  dry_run writes nothing and
    returns the LDIF.  Returns the same dict as apply(); its changes are
    the reversals."""
    return _applied(journal, dry_run, _spnpool.undo, samdb, journal,
                    dry_run=dry_run, peers=peers,
                    allow_privileged=allow_privileged)


def _applied(journal, dry_run, fn, /, *args, **kwargs):
    """fn's result (also an error's .result) with each change's state,
    the journal (None on a dry run) and the LDIF (dry runs only)."""
    def shaped(result):
        for change, state in zip(result["changes"], result.pop("states")):
            change["state"] = state
        return dict(result, dry_run=bool(dry_run),
                    journal=None if dry_run else journal,
                    ldif=result["ldif"] if dry_run else None)
    try:
        return shaped(fn(*args, **kwargs))
    except SpnPoolError as e:
        if isinstance(e.result, dict):
            e.result = shaped(e.result)
        raise


def verdict_exit_code(verdict):
    """The exit status of a check verdict, by name or by its position in
    VERDICTS: 0 for kerberos-ok, then 10, 11, 12, 13."""
    return render.verdict_exit_code(verdict, VERDICTS)


