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
import textwrap
import time

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
Exit codes: 0 done or nothing to do, 1 unexpected error, 2 bad input or
usage, 3 identity not found or not a single account, 4 conflict, 5 access
denied, 6 cannot reach the server, 7 authentication failed."""

# samba-tool's Command._run() returns -1 (exit 255) after printing the
# usage for a wrong number of arguments; ours documents 2 for that.
_SAMBA_TOOL_USAGE_ERROR = -1

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


def _bad_input(message):
    """_Failure for input refused before the directory is opened."""
    code = ldb.ERR_INVALID_ATTRIBUTE_SYNTAX
    return _Failure(code, samba_spnpool.exit_code(code), message)


class _HttpPoolCommand(Command):
    """Shared plumbing of the http-pool subcommands."""

    def _run(self, *argv):
        ret = super()._run(*argv)
        if ret == _SAMBA_TOOL_USAGE_ERROR:
            return samba_spnpool.EXIT_BAD_INPUT
        return ret

    takes_optiongroups = {
        "sambaopts": options.SambaOptions,
        "credopts": options.CredentialsOptions,
        "versionopts": options.VersionOptions,
    }

    connection_options = [
        Option("-H", "--URL", help="LDB URL for database or target server",
               type=str, metavar="URL", dest="H"),
        Option("--json", help="print one JSON document instead of text",
               action="store_true", dest="output_json", default=False),
    ]

    common_options = connection_options + [
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

    def write_account(self, account, server=None, label="Account"):
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
        line = "%s: %s (%s)" % (label, account.get("sam_account_name"),
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
for HTTP. The SPNs are added in one atomic modify (with --move over LDAP:
an ordered sequence that gives the SPNs back to their holder if a step
fails; one transaction on a local sam.ldb); SPNs the account already holds
are left alone, so running the command again is safe.

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
                raise _bad_input("give either an IDENTITY or --host HOST "
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


# What each check verdict means for the user; the names and their exit
# codes come from libspnpool (samba_spnpool.VERDICTS, verdict_exit_code).
_VERDICT_MEANINGS = {
    "kerberos-ok": "the pool's account (the expected one) alone answers "
                   "for the SPN: Kerberos works",
    "ntlm-fallback": "nobody answers for the SPN: the browser gets no "
                     "ticket and falls back to NTLM, or fails where NTLM "
                     "is off",
    "kerberos-fails": "another account answers: the browser gets a ticket "
                      "the pool cannot decrypt and authentication fails "
                      "without falling back to NTLM",
    "duplicate": "several accounts answer: the KDC issues no ticket for "
                 "the SPN",
}


def _verdicts_help():
    """One wrapped entry per verdict: samba-tool's help formatter wraps
    each line on its own, so continuation lines are indented here."""
    lines = []
    for name in samba_spnpool.VERDICTS:
        head = "  %2d  %-15s " % (samba_spnpool.verdict_exit_code(name),
                                  name)
        lines.append(textwrap.fill(_VERDICT_MEANINGS.get(name, ""), 74,
                                   initial_indent=head,
                                   subsequent_indent=" " * len(head)))
    return "\n".join(lines)


class cmd_spn_http_pool_check(_HttpPoolCommand):
    __doc__ = """\
Predict whether a browser gets Kerberos for a site served by a pool.

Works out the SPN a browser requests for URL-or-HOST (a URL such as
http://web01.example.test:8080/app, or a bare host name): CNAMEs in the
AD-integrated DNS zones are followed as the browser's resolver does, and
the port is part of the SPN only with --include-port (IE's
FEATURE_INCLUDE_PORT_IN_SPN, Chrome's EnableAuthNegotiatePort). Then it
finds who the KDC would issue that ticket to: the explicit holders of the
SPN, else the holder of HOST/ that sPNMappings maps HTTP to, else the
computer named like the host. The verdict compares that with the account
that must decrypt the ticket: IDENTITY, or with --kernel-mode (IIS
kernel-mode authentication with useAppPoolCredentials off) the computer
account of --server. The reason and the exact commands that fix it are
printed. Nothing is written.

The exit code is the verdict's:
""" + _verdicts_help() + """

""" + _IDENTITY_HELP + """

Errors exit as the other commands: 1 unexpected error, 2 bad input,
3 identity not found or not an account, 5 access denied, 6 cannot reach
the server, 7 authentication failed."""

    synopsis = "%prog <URL-or-HOST> --identity IDENTITY [options]"

    takes_args = ["target"]

    takes_options = _HttpPoolCommand.common_options + [
        Option("--identity", type=str, metavar="IDENTITY", dest="identity",
               help="the account the application pool runs as "
                    "(required)"),
        Option("--kernel-mode", action="store_true", dest="kernel_mode",
               default=False,
               help="IIS kernel-mode authentication with "
                    "useAppPoolCredentials off: tickets are decrypted with "
                    "the computer account of --server"),
        Option("--include-port", action="store_true", dest="include_port",
               default=False,
               help="the browser puts a non-default port into the SPN"),
    ]

    def run(self, target, H=None, output_json=False, server=None,
            identity=None, kernel_mode=False, include_port=False,
            credopts=None, sambaopts=None, versionopts=None):
        def text(result, failed=False):
            self.print_check(result, server)

        try:
            if identity is None or not identity.strip():
                raise _bad_input("give --identity IDENTITY: the account "
                                 "the application pool runs as")
            samdb = self.open_samdb(H, sambaopts, credopts)
            result = self.call(samba_spnpool.check, samdb, target,
                               identity, server=server,
                               kernel_mode=kernel_mode,
                               include_port=include_port,
                               local=samba_spnpool.is_local_url(H))
        except _Failure as failure:
            return self.fail(failure, output_json, text)
        # A verdict is a result, not a failure: "ok" says the check ran,
        # the exit code says what it found.
        self.finish(result, output_json, text)
        return result["exit_code"]

    def print_check(self, result, server):
        out = self.outf
        spn = result.get("spn")
        if spn is not None:
            out.write("Browser requests: %s\n" % spn)
        chain = result.get("cname_chain") or []
        if chain:
            names = list(chain)
            host = result.get("host")
            if host and names[0].lower() != host.lower():
                names.insert(0, host)
            out.write("  (CNAME chain: %s)\n" % " -> ".join(names))
        pool = result.get("pool")
        expected = result.get("expected")
        if pool is not None:
            self.write_account(pool, server, label="Pool identity")
        if expected is not None and (
                pool is None or
                expected.get("dn", "").lower() != pool.get("dn", "").lower()):
            self.write_account(expected, server, label="Must answer")

        if "answerers" in result:
            answerers = result.get("answerers") or []
            if not answerers:
                out.write("Answered by: nobody\n")
            else:
                out.write("Answered by:\n")
                for a in answerers:
                    value = a.get("value") or "(no SPN: named like the host)"
                    out.write("  %-13s %s  %s (%s)\n" %
                              (a.get("via"), value,
                               a.get("sam_account_name"), a.get("dn")))

        verdict = result.get("verdict")
        if verdict is not None:
            out.write("Verdict: %s\n" % verdict.upper())
        if result.get("reason"):
            out.write("Reason: %s\n" % result["reason"])
        fixes = result.get("fixes") or []
        if fixes:
            out.write("Fix:\n")
            for fix in fixes:
                out.write("  %s\n" % fix)


class _AuditProgress(object):
    """The progress line of audit on a terminal's stderr: rewritten in
    place at most every second or every 10,000 entries, cleared at the
    end."""

    EVERY_SECONDS = 1.0
    EVERY_ENTRIES = 10000
    MIN_SECONDS = 0.1  # however fast the entries come

    def __init__(self, stream):
        self.stream = stream
        self.width = 0
        self.last_time = None
        self.last_entries = 0
        self.broken = False

    def __call__(self, entries, values):
        if self.broken:
            return
        now = time.monotonic()
        if self.last_time is not None:
            elapsed = now - self.last_time
            many = entries - self.last_entries >= self.EVERY_ENTRIES
            if elapsed < self.EVERY_SECONDS and not (
                    many and elapsed >= self.MIN_SECONDS):
                return
        self.last_time = now
        self.last_entries = entries
        self.write("audit: %s entries, %s SPN values read..." %
                   (format(entries, ","), format(values, ",")))

    def write(self, line):
        pad = max(self.width - len(line), 0)
        try:
            self.stream.write("\r" + line + " " * pad)
            self.stream.flush()
        except (OSError, ValueError):
            # stderr went away: the scan matters more than its progress.
            self.broken = True
            return
        self.width = len(line)

    def clear(self):
        if self.width and not self.broken:
            try:
                self.stream.write("\r" + " " * self.width + "\r")
                self.stream.flush()
            except (OSError, ValueError):
                pass
        self.width = 0


def _is_tty(stream):
    try:
        return stream.isatty()
    except (AttributeError, OSError, ValueError):
        return False


_PAGE_SIZE_MAX = 100000

_FINDING_HELP = """\
  duplicate     one SPN held by several accounts (HTTP SPNs; every
                class with --all-classes): the KDC issues no ticket for it
  shadows-host  http/X held by another account than host/X: services on
                X running as the computer account lose Kerberos for HTTP
  missing-form  only one of http/<NetBIOS name> and http/<FQDN> is
                registered: browsers using the other name get no ticket
  disabled      HTTP SPNs on a disabled account: the KDC issues no
                tickets for them"""


class cmd_spn_http_pool_audit(_HttpPoolCommand):
    __doc__ = """\
Find every duplicate and broken HTTP SPN registration in the directory.

Reads every naming context the server holds once, in paged searches, and
reports, grouped by kind, with the accounts involved and the command that
repairs each:

""" + _FINDING_HELP + """

Memory grows with the number of distinct SPNs, not with the directory.
On a terminal a progress line is shown on stderr (not with --json).
--page-size sets the entries per page (1 to 100000; default: the
library's).

Exit codes: 0 no findings, 8 findings present (so automation can gate on
it), 1 unexpected error, 2 bad input, 5 access denied, 6 cannot reach the
server, 7 authentication failed."""

    synopsis = "%prog [options]"

    takes_args = []

    takes_options = _HttpPoolCommand.connection_options + [
        Option("--all-classes", action="store_true", dest="all_classes",
               default=False,
               help="report duplicates of every service class, not only "
                    "HTTP"),
        Option("--page-size", type=str, metavar="N", dest="page_size",
               help="entries per paged search (1 to %d)" % _PAGE_SIZE_MAX),
    ]

    def run(self, H=None, output_json=False, all_classes=False,
            page_size=None, credopts=None, sambaopts=None,
            versionopts=None):
        def text(result, failed=False):
            self.print_audit(result)

        progress = None
        try:
            size = self.parse_page_size(page_size)
            samdb = self.open_samdb(H, sambaopts, credopts)
            if not output_json and _is_tty(self.errf):
                progress = _AuditProgress(self.errf)
            try:
                result = self.call(samba_spnpool.audit, samdb,
                                   all_classes=all_classes, page_size=size,
                                   progress=progress,
                                   local=samba_spnpool.is_local_url(H))
            finally:
                if progress is not None:
                    progress.clear()
        except _Failure as failure:
            return self.fail(failure, output_json, text)
        self.finish(result, output_json, text)
        if result.get("findings"):
            return samba_spnpool.EXIT_FINDINGS
        return samba_spnpool.EXIT_OK

    @staticmethod
    def parse_page_size(text):
        """The page size (0: the library's default), or _Failure."""
        if text is None:
            return 0
        value = text.strip()
        if not value.isdigit() or not value.isascii():
            raise _bad_input("--page-size %r: the page size must be a "
                             "decimal number from 1 to %d" %
                             (text, _PAGE_SIZE_MAX))
        size = int(value)
        if not 1 <= size <= _PAGE_SIZE_MAX:
            raise _bad_input("--page-size %s: the page size must be from "
                             "1 to %d" % (value, _PAGE_SIZE_MAX))
        return size

    def print_audit(self, result):
        out = self.outf
        findings = result.get("findings") or []
        counts = result.get("counts") or {}
        kinds = list(samba_spnpool.FINDING_KINDS)
        # A kind the library knows and this module does not: still shown.
        for finding in findings:
            if finding.get("kind") not in kinds:
                kinds.append(finding.get("kind"))
        for kind in kinds:
            group = [f for f in findings if f.get("kind") == kind]
            if not group:
                continue
            out.write("%s: %d\n" % (kind, counts.get(kind, len(group))))
            for finding in group:
                out.write("  %s\n" % finding.get("spn"))
                for dn in finding.get("dns") or []:
                    out.write("    account: %s\n" % dn)
                if finding.get("detail"):
                    out.write("    %s\n" % finding["detail"])
                if finding.get("fix"):
                    out.write("    fix: %s\n" % finding["fix"])
            out.write("\n")
        out.write("audit: %d entries, %d SPN values, %d distinct; "
                  "%d findings\n" %
                  (result.get("entries_read", 0),
                   result.get("values_read", 0),
                   result.get("distinct_spns", 0), len(findings)))


class cmd_spn_http_pool(SuperCommand):
    """Register HTTP SPNs for IIS/Apache application pool identities safely."""

    subcommands = {}
    subcommands["add"] = cmd_spn_http_pool_add()
    subcommands["remove"] = cmd_spn_http_pool_remove()
    subcommands["list"] = cmd_spn_http_pool_list()
    subcommands["check"] = cmd_spn_http_pool_check()
    subcommands["audit"] = cmd_spn_http_pool_audit()
