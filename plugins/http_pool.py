# samba-tool spn http-pool: HTTP SPNs for IIS/Apache application pools.
#
# This program is free software; you can redistribute it and/or modify
# it under the terms of the GNU General Public License as published by
# the Free Software Foundation; either version 3 of the License, or
# (at your option) any later version.
#
# Installed as samba_spnpool.http_pool; plugins/samba-tool hangs
# cmd_spn_http_pool under samba-tool's own "spn" command.  All deciding
# and writing happens in libspnpool (samba_spnpool._spnpool); this module
# parses options, opens the SamDB the way every samba-tool command does,
# prints the result and returns the documented exit code.  Our failures
# are printed and returned, not raised as CommandError, which would make
# every one of them exit 255.

import json
import sys

import ldb
import samba
import samba.getopt as options
from samba.auth import system_session
from samba.netcmd import Command, Option, SuperCommand
from samba.samdb import SamDB

import samba_spnpool
from samba_spnpool import SpnPoolError

# Opening the SamDB failed because of the credentials, not the server.
_AUTH_LDB_CODES = (
    ldb.ERR_INVALID_CREDENTIALS,
    ldb.ERR_INAPPROPRIATE_AUTHENTICATION,
    ldb.ERR_STRONG_AUTH_REQUIRED,
)
_AUTH_MARKERS = (
    'NT_STATUS_LOGON_FAILURE',
    'NT_STATUS_WRONG_PASSWORD',
    'NT_STATUS_NO_SUCH_USER',
    'NT_STATUS_ACCOUNT_DISABLED',
    'NT_STATUS_ACCOUNT_LOCKED_OUT',
    'NT_STATUS_ACCOUNT_EXPIRED',
    'NT_STATUS_ACCOUNT_RESTRICTION',
    'NT_STATUS_PASSWORD_EXPIRED',
    'NT_STATUS_PASSWORD_MUST_CHANGE',
    'NT_STATUS_INVALID_LOGON_HOURS',
    'NT_STATUS_INVALID_WORKSTATION',
    'INVALID_CREDENTIALS',
    'INVALID CREDENTIALS',
)

# State names of libspnpool (spnpool_state_name()).
_DONE_STATES = {
    'add': ('added', 'moved'),
    'remove': ('removed',),
}
_WOULD_STATES = ('would-add', 'would-move', 'would-remove')

_EXIT_CODES_HELP = """\
Exit codes: 0 done or nothing to do, 1 unexpected error, 2 bad input,
3 identity not found or not an account, 4 conflict, 5 access denied,
6 cannot reach the server, 7 authentication failed."""

_IDENTITY_HELP = """\
IDENTITY is the account the application pool runs as: name,
DOMAIN\\name, name@realm or a UPN, a DN, COMPUTER$, a managed service
account (gmsa$), or a built-in IIS identity (NetworkService, LocalSystem,
ApplicationPoolIdentity, "IIS APPPOOL\\pool"), which means the computer
account of the web server named with --server."""


def _one_line(text):
    """Collapse a (possibly multi-line) error message to one line."""
    return ' '.join(str(text).split())


def _ldb_error_args(err):
    """(code, message) of an ldb.LdbError, whatever its args hold."""
    args = getattr(err, 'args', ())
    if len(args) >= 2 and isinstance(args[0], int):
        return args[0], _one_line(args[1])
    if len(args) == 1 and isinstance(args[0], int):
        return args[0], ldb_strerror(args[0])
    return ldb.ERR_OPERATIONS_ERROR, _one_line(err)


def ldb_strerror(code):
    """A readable name for an LDB error code, for errors without text."""
    for name in dir(ldb):
        if name.startswith('ERR_') and getattr(ldb, name) == code:
            return name[4:].lower().replace('_', ' ')
    return 'ldb error %d' % code


def connect_exit_code(code, message):
    """EXIT_AUTH if opening the SamDB failed on credentials, otherwise
    EXIT_CONNECTION (refused, unresolvable, no such sam.ldb, ...)."""
    if code in _AUTH_LDB_CODES:
        return samba_spnpool.EXIT_AUTH
    upper = message.upper()
    if any(marker in upper for marker in _AUTH_MARKERS):
        return samba_spnpool.EXIT_AUTH
    return samba_spnpool.EXIT_CONNECTION


# ldb's message levels (fatal, error, warning, trace) as the Samba debug
# levels Samba's own ldb wrapper logs them at.
_LDB_TO_SAMBA_LEVEL = {0: 0, 1: 1, 2: 2, 3: 10}


def _ldb_debug(level, text):
    """ldb messages follow samba-tool's -d level, as in Samba's daemons:
    at the default level a failed bind is not repeated on stderr."""
    if samba.get_debug_level() >= _LDB_TO_SAMBA_LEVEL.get(level, 10):
        sys.stderr.write(text.rstrip("\n") + "\n")


class _SamDB(SamDB):
    """A SamDB that routes its ldb messages through _ldb_debug; otherwise
    opened exactly like samba-tool's own (same URL, session, credentials,
    loadparm, modules)."""

    def connect(self, url=None, flags=0, options=None):
        self.set_debug(_ldb_debug)
        super().connect(url=url, flags=flags, options=options)


class _Failure(Exception):
    """A failure reported as one line plus an exit code (not raised out
    of run())."""

    def __init__(self, code, exit_code, message, result=None):
        super().__init__(message)
        self.code = code
        self.exit_code = exit_code
        self.message = message
        self.result = result


class _HttpPoolCommand(Command):
    """Shared plumbing of the http-pool subcommands."""

    takes_optiongroups = {
        "sambaopts": options.SambaOptions,
        "credopts": options.CredentialsOptions,
        "versionopts": options.VersionOptions,
    }

    common_options = [
        Option("-H", "--URL", help="LDB URL for database or target server",
               type=str, metavar="URL", dest="H"),
        Option("--json", help="print one JSON document instead of text",
               action="store_true", dest="output_json", default=False),
        Option("--server", type=str, metavar="COMPUTER", dest="server",
               help="the web server, for built-in IIS identities "
                    "(NetworkService, LocalSystem, ApplicationPoolIdentity, "
                    "'IIS APPPOOL\\pool'): its computer account is used"),
    ]

    def open_samdb(self, H, sambaopts, credopts):
        """The SamDB exactly as samba-tool's spn commands open it, or
        _Failure with EXIT_CONNECTION / EXIT_AUTH."""
        lp = sambaopts.get_loadparm()
        creds = credopts.get_credentials(lp)
        try:
            return _SamDB(url=H, session_info=system_session(),
                          credentials=creds, lp=lp)
        except ldb.LdbError as err:
            code, message = _ldb_error_args(err)
            exit_code = connect_exit_code(code, message)
            where = H if H is not None else lp.samdb_url()
            if exit_code == samba_spnpool.EXIT_AUTH:
                text = 'authentication to %s failed: %s' % (where, message)
            else:
                text = 'cannot open %s: %s' % (where, message)
                if H is None:
                    text += (' (no -H given, so this host\'s own sam.ldb '
                             'was used; on a host that is not a DC give '
                             '-H ldap://DC)')
            raise _Failure(code, exit_code, text)

    def call(self, fn, samdb, *args, **kwargs):
        """fn(samdb, ...) of the binding, SpnPoolError as _Failure."""
        try:
            return fn(samdb, *args, **kwargs)
        except SpnPoolError as err:
            code, message = _ldb_error_args(err)
            raise _Failure(code, err.exit_code, message, err.result)
        except ldb.LdbError as err:
            code, message = _ldb_error_args(err)
            raise _Failure(code, samba_spnpool.exit_code(code), message)

    def print_json(self, doc):
        self.outf.write(json.dumps(doc, sort_keys=True, indent=2) + "\n")

    def finish(self, result, output_json, print_text):
        """Print a successful result; the exit code (0)."""
        if output_json:
            doc = dict(result)
            doc["ok"] = True
            self.print_json(doc)
        else:
            print_text(result)
        return samba_spnpool.EXIT_OK

    def fail(self, failure, output_json, print_text=None):
        """Report a failure: JSON or the partial report on stdout, one
        line on stderr; the exit code."""
        if output_json:
            doc = {}
            if failure.result is not None:
                doc.update(failure.result)
            doc["ok"] = False
            doc["error"] = {
                "code": failure.code,
                "exit_code": failure.exit_code,
                "message": failure.message,
            }
            self.print_json(doc)
        elif failure.result is not None and print_text is not None:
            print_text(failure.result, failed=True)
        self.errf.write("ERROR: %s\n" % failure.message)
        return failure.exit_code

    def write_account(self, account, server=None):
        """The header line naming the account."""
        tags = []
        if account.get("builtin"):
            tags.append("computer account of %s (built-in IIS identity)" %
                        (server or "the web server"))
        elif account.get("is_managed"):
            tags.append("managed service account")
        elif account.get("is_computer"):
            tags.append("computer account")
        if account.get("disabled"):
            tags.append("DISABLED: the KDC issues no tickets for it")
        line = "Account: %s (%s)" % (account.get("sam_account_name"),
                                     account.get("dn"))
        if tags:
            line += " [%s]" % "; ".join(tags)
        self.outf.write(line + "\n")


class _OpCommand(_HttpPoolCommand):
    """add and remove: the same report."""

    operation = None

    def print_report(self, result, failed=False, server=None):
        account = result.get("account")
        if account is not None:
            self.write_account(account, server)
        spns = result.get("spns") or []
        for spn in spns:
            self.outf.write("  %-12s %s%s\n" % (spn["state"], spn["spn"],
                                                self._holder_text(spn)))
        for spn in spns:
            if (spn.get("conflict") == "alias-shadows" and
                    spn["state"] in ("added", "would-add", "present")):
                self.outf.write(self._shadow_warning(spn, account) + "\n")
        if failed:
            return
        done = [s for s in spns if s["state"] in _DONE_STATES[self.operation]]
        would = [s for s in spns if s["state"] in _WOULD_STATES]
        who = account.get("sam_account_name") if account else "the account"
        if result.get("dry_run"):
            self.outf.write("Dry run: nothing written; %d SPN(s) would "
                            "change.\n" % len(would))
        elif not result.get("changed"):
            if self.operation == "add":
                self.outf.write("Nothing to do: %s already holds every "
                                "SPN.\n" % who)
            else:
                self.outf.write("Nothing to do: %s holds none of these "
                                "SPNs.\n" % who)
        elif self.operation == "add":
            moved = [s for s in done if s["state"] == "moved"]
            line = "Added %d SPN(s) to %s" % (len(done), who)
            if moved:
                line += " (%d taken from another account)" % len(moved)
            self.outf.write(line + ".\n")
        else:
            self.outf.write("Removed %d SPN(s) from %s.\n" %
                            (len(done), who))

    @staticmethod
    def _holder_text(spn):
        holder = spn.get("holder_dn")
        if not holder:
            return ""
        value = spn.get("holder_value")
        if spn["state"] in ("moved", "would-move"):
            return "  (from %s)" % holder
        if spn.get("conflict") == "alias-shadows":
            return "  (shadows %s of %s)" % (value, holder)
        if value:
            return "  (held by %s as %s)" % (holder, value)
        return "  (held by %s)" % holder

    @staticmethod
    def _shadow_warning(spn, account):
        who = account.get("sam_account_name") if account else "this account"
        issues = ("would then issue" if spn["state"] == "would-add"
                  else "now issues")
        return ("WARNING: %s shadows %s of %s: the KDC %s HTTP tickets for "
                "that name to %s, so HTTP services on that host running as "
                "%s (usually the computer account) lose Kerberos for HTTP." %
                (spn["spn"], spn.get("holder_value"), spn.get("holder_dn"),
                 issues, who, spn.get("holder_dn")))

    def run_op(self, fn, identity, hosts, H, sambaopts, credopts,
               output_json, server, **kwargs):
        def text(result, failed=False):
            self.print_report(result, failed, server)

        try:
            samdb = self.open_samdb(H, sambaopts, credopts)
            result = self.call(fn, samdb, identity, list(hosts),
                               server=server,
                               local=samba_spnpool.is_local_url(H),
                               **kwargs)
        except _Failure as failure:
            return self.fail(failure, output_json, text)
        return self.finish(result, output_json, text)


class cmd_spn_http_pool_add(_OpCommand):
    __doc__ = """\
Register the HTTP SPNs of web server host names for a pool identity.

For every HOST, make IDENTITY hold both SPN forms browsers ask for:
http/<NetBIOS name> and http/<FQDN>. Give either form; the other is
derived from the domain's DNS name (web01 -> http/WEB01 and
http/web01.example.test). With --port N the http/<host>:N forms are
registered too, for browsers that put non-default ports into the SPN.

Before writing, every naming context is searched for another account
holding the same SPN, or a HOST/ SPN that the KDC maps to it. A duplicate
breaks Kerberos for everyone, so nothing is written if any SPN is taken
(exit 4): the report names the holder. --move takes the SPNs from their
current holder instead. When only a HOST/ alias is held elsewhere (usually
by the web server's computer account) the SPN is added with a warning:
services on that host running as the computer account then lose Kerberos
for HTTP. All SPNs are added in one atomic write; SPNs the account already
holds are left alone, so running the command again is safe.

""" + _IDENTITY_HELP + """

""" + _EXIT_CODES_HELP

    synopsis = "%prog <identity> <host>... [options]"

    takes_args = ["identity", "host+"]

    takes_options = _HttpPoolCommand.common_options + [
        Option("--port", type=str, metavar="N", dest="port",
               help="also register the http/<host>:N forms"),
        Option("--move", action="store_true", dest="move", default=False,
               help="take SPNs that another account holds from it "
                    "instead of refusing"),
        Option("--dry-run", action="store_true", dest="dry_run",
               default=False,
               help="check and report what would change; write nothing"),
    ]

    operation = "add"

    def run(self, identity, *hosts, H=None, output_json=False, server=None,
            port=None, move=False, dry_run=False, credopts=None,
            sambaopts=None, versionopts=None):
        return self.run_op(samba_spnpool.add, identity, hosts, H,
                           sambaopts, credopts, output_json, server,
                           port=port, move=move, dry_run=dry_run)


class cmd_spn_http_pool_remove(_OpCommand):
    __doc__ = """\
Remove the HTTP SPNs of web server host names from a pool identity.

For every HOST, take exactly http/<NetBIOS name> and http/<FQDN> off
IDENTITY (give either form; the other is derived from the domain's DNS
name). With --port N only the http/<host>:N forms are removed. Values are
matched without regard to letter case, deleted in one atomic write, and
no other SPN of the account is touched. SPNs the account does not hold are
reported as absent, not as an error, so running the command again is
safe.

""" + _IDENTITY_HELP + """

""" + _EXIT_CODES_HELP

    synopsis = "%prog <identity> <host>... [options]"

    takes_args = ["identity", "host+"]

    takes_options = _HttpPoolCommand.common_options + [
        Option("--port", type=str, metavar="N", dest="port",
               help="remove only the http/<host>:N forms"),
        Option("--dry-run", action="store_true", dest="dry_run",
               default=False,
               help="report what would be removed; write nothing"),
    ]

    operation = "remove"

    def run(self, identity, *hosts, H=None, output_json=False, server=None,
            port=None, dry_run=False, credopts=None, sambaopts=None,
            versionopts=None):
        return self.run_op(samba_spnpool.remove, identity, hosts, H,
                           sambaopts, credopts, output_json, server,
                           port=port, dry_run=dry_run)


class cmd_spn_http_pool_list(_HttpPoolCommand):
    __doc__ = """\
List HTTP SPNs of a pool identity, or who answers for a host name.

With IDENTITY: the account's HTTP SPNs. With --host HOST: every account
the KDC may issue HTTP tickets for that name to, in both SPN forms
(http/<NetBIOS name> and http/<FQDN>) and their :port forms: explicit
holders (via "explicit"), holders of the HOST/ SPN that the KDC maps HTTP
to (via "host-alias") and the computer account named like the host (via
"computer-name"). More than one explicit holder of one SPN is a
duplicate and breaks Kerberos for that name.

""" + _IDENTITY_HELP + """

""" + _EXIT_CODES_HELP

    synopsis = "%prog [<identity>] [--host HOST] [options]"

    takes_args = ["identity?"]

    takes_options = _HttpPoolCommand.common_options + [
        Option("--host", type=str, metavar="HOST", dest="host",
               help="list who answers for this host name instead of an "
                    "account's SPNs"),
    ]

    def run(self, identity=None, H=None, output_json=False, server=None,
            host=None, credopts=None, sambaopts=None, versionopts=None):
        def text(result, failed=False):
            self.print_list(result, host, server)

        try:
            if (identity is None) == (host is None):
                code = ldb.ERR_INVALID_ATTRIBUTE_SYNTAX
                raise _Failure(code, samba_spnpool.exit_code(code),
                               "give either an IDENTITY or --host HOST "
                               "(exactly one)")
            samdb = self.open_samdb(H, sambaopts, credopts)
            result = self.call(samba_spnpool.list, samdb,
                               identity=identity, host=host, server=server,
                               local=samba_spnpool.is_local_url(H))
        except _Failure as failure:
            return self.fail(failure, output_json, text)
        return self.finish(result, output_json, text)

    def print_list(self, result, host, server):
        entries = result.get("entries") or []
        account = result.get("account")
        if account is not None:
            self.write_account(account, server)
            if not entries:
                self.outf.write("  (no HTTP SPNs)\n")
            for entry in entries:
                self.outf.write("  %s\n" % entry["spn"])
            return

        if not entries:
            self.outf.write("No account answers for HTTP on %s: browsers "
                            "get no Kerberos ticket for it.\n" % host)
            return
        self.outf.write("Accounts answering for HTTP on %s:\n" % host)
        for entry in entries:
            self.outf.write("  %-13s %s  %s (%s)\n" %
                            (entry["via"], entry["spn"],
                             entry["sam_account_name"], entry["dn"]))
        holders = {}
        for entry in entries:
            if entry["via"] == "explicit":
                key = entry["spn"].lower()
                holders.setdefault(key, set()).add(entry["dn"].lower())
        for entry in entries:
            key = entry["spn"].lower()
            if len(holders.get(key, ())) > 1:
                self.outf.write("WARNING: %s is held by %d accounts (a "
                                "duplicate): Kerberos for it fails until "
                                "only one holds it.\n" %
                                (entry["spn"], len(holders[key])))
                del holders[key]


class cmd_spn_http_pool(SuperCommand):
    """Register HTTP SPNs for IIS/Apache application pool identities safely."""

    subcommands = {}
    subcommands["add"] = cmd_spn_http_pool_add()
    subcommands["remove"] = cmd_spn_http_pool_remove()
    subcommands["list"] = cmd_spn_http_pool_list()
