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

import hashlib
import json
import os
import sys
import textwrap
import time

import ldb
import samba
import samba.getopt as options
from samba.auth import system_session
from samba.credentials import MUST_USE_KERBEROS
from samba.netcmd import Command, Option, SuperCommand
from samba.samdb import SamDB

import samba_spnpool
from samba_spnpool import SpnPoolError

# Opening the SamDB failed because of the credentials, not the server.
_AUTH_LDB_CODES = (
    ldb.ERR_INVALID_CREDENTIALS,
    ldb.ERR_INAPPROPRIATE_AUTHENTICATION,
    ldb.ERR_STRONG_AUTH_REQUIRED,
    ldb.ERR_CONFIDENTIALITY_REQUIRED,
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
denied, 6 cannot reach the server, 7 authentication failed, 9 refused:
the account is privileged (krbtgt, a domain controller, a protected
administrator, Guest, a disabled account) and --allow-privileged was not
given."""

# What --allow-privileged risks, said whenever it is used on such an
# account.
_PRIVILEGED_RISK = (
    "WARNING: %s is %s; with --allow-privileged it receives SPNs: any "
    "domain user can request a service ticket for them and crack the "
    "account's key offline (Kerberoasting), and whoever runs the web "
    "service holds that account's key.")

# samba-tool's Command._run() returns -1 (exit 255) after printing the
# usage for a wrong number of arguments; ours documents 2 for that.
_SAMBA_TOOL_USAGE_ERROR = -1

_IDENTITY_HELP = """\
IDENTITY is the account the application pool runs as: name,
DOMAIN\\name, name@realm or a UPN, a DN, COMPUTER$, a managed service
account (gmsa$), or a built-in IIS identity (NetworkService, LocalSystem,
ApplicationPoolIdentity, "IIS APPPOOL\\pool"), which means the computer
account of the web server named with --server."""


# Writes in a domain with several writable DCs refuse when one of them
# cannot be read, unless the admin accepts the risk (docs: several DCs).
_ACCEPT_PARTIAL = Option(
    "--accept-partial", action="store_true", dest="accept_partial",
    default=False,
    help="when a writable DC of the domain cannot be reached, write anyway "
         "after checking only the reachable ones (risk: a value held only "
         "on the unreachable DC becomes a duplicate, or a change made there "
         "is lost, once it replicates)")


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


class _DomainDCs(object):
    """The writable DCs of the domain, and connections to them.

    Found from the directory the command opened: every nTDSDSA object of
    the configuration partition whose objectCategory is NTDS-DSA (RODCs
    are NTDS-DSA-RO: they accept no writes), named by its server
    object's dNSHostName; the PDC emulator is the fSMORoleOwner of the
    domain partition's head.  The other DCs are opened over LDAP with the
    command's own credentials.  In a domain with one writable DC nothing
    else is opened and nothing changes."""

    def __init__(self, samdb, lp, creds, local):
        self.samdb = samdb
        self.lp = lp
        self.creds = creds
        self.local = local
        self.dcs = []           # dNSHostName of every writable DC
        self.me = None          # the DC samdb talks to
        self.pdc = None         # the PDC emulator
        self.conns = {}         # name -> SamDB (me included)
        self.unreachable = {}   # name -> reason
        self._find()

    def _find(self):
        db = self.samdb
        root = db.search(base='', scope=ldb.SCOPE_BASE,
                         attrs=['dsServiceName', 'dnsHostName'])
        my_dsa = str(root[0]['dsServiceName'][0]).lower()
        config = str(db.get_config_basedn())
        res = db.search(base=config, scope=ldb.SCOPE_SUBTREE,
                        expression='(objectCategory=nTDSDSA)',
                        attrs=['objectGUID'])
        head = db.search(base=db.domain_dn(), scope=ldb.SCOPE_BASE,
                         attrs=['fSMORoleOwner'])
        pdc_dsa = None
        if 'fSMORoleOwner' in head[0]:
            pdc_dsa = str(head[0]['fSMORoleOwner'][0]).lower()
        for msg in res:
            server = msg.dn.parent()
            srv = db.search(base=server, scope=ldb.SCOPE_BASE,
                            attrs=['dNSHostName'])
            if not srv or 'dNSHostName' not in srv[0]:
                continue
            name = str(srv[0]['dNSHostName'][0]).lower()
            dsa = str(msg.dn).lower()
            self.dcs.append(name)
            if dsa == my_dsa:
                self.me = name
            if dsa == pdc_dsa:
                self.pdc = name
        if self.me is None:
            # Not a DC we can name (a plain ldb, a fixture): alone.
            self.me = (str(root[0]['dnsHostName'][0]).lower()
                       if 'dnsHostName' in root[0] else '(this directory)')
            self.dcs = [self.me]
        self.dcs.sort(key=lambda n: (n != self.me, n))
        self.conns[self.me] = self.samdb

    @property
    def several(self):
        return len(self.dcs) > 1

    def _has_credentials(self):
        # Never get_password(): with samba-tool's prompt callback set it
        # would ask on the terminal for credentials nobody gave.
        creds = self.creds
        if creds is None:
            return False
        return (creds.authentication_requested() or
                creds.get_kerberos_state() == MUST_USE_KERBEROS)

    def connect_all(self):
        """Open every other writable DC; record those that fail."""
        for name in self.dcs:
            if name in self.conns or name in self.unreachable:
                continue
            if not self._has_credentials():
                self.unreachable[name] = (
                    'no credentials to reach it (this command opened a '
                    'local sam.ldb; give -U or --use-kerberos=required)')
                continue
            try:
                self.conns[name] = _SamDB(
                    url='ldap://%s' % name, session_info=system_session(),
                    credentials=self.creds, lp=self.lp)
            except ldb.LdbError as err:
                self.unreachable[name] = _ldb_error_args(err)[1]
        return self

    def reachable(self):
        return [n for n in self.dcs if n in self.conns]

    def unreachable_text(self):
        return '; '.join('%s: %s' % (n, self.unreachable[n])
                         for n in self.dcs if n in self.unreachable)

    def require_all(self, accept_partial, what):
        """_Failure (exit 6) naming the DCs that could not be read,
        unless the admin accepted a partial check."""
        if self.unreachable and not accept_partial:
            raise _Failure(
                ldb.ERR_UNAVAILABLE, samba_spnpool.EXIT_CONNECTION,
                'cannot %s: %d of the %d writable DCs cannot be reached '
                '(%s); nothing written (--accept-partial writes anyway, '
                'checking only the reachable DCs)' %
                (what, len(self.unreachable), len(self.dcs),
                 self.unreachable_text()))

    def writer(self):
        """(SamDB, local, peers): where to write and whom to check too.
        Writes go to the PDC emulator so that they serialize; without
        it (unreachable, accepted) to the DC the command opened."""
        target = self.pdc if self.pdc in self.conns else self.me
        local = self.local if target == self.me else False
        peers = [self.conns[n] for n in self.reachable() if n != target]
        return target, self.conns[target], local, peers

    def report(self, written_through=None):
        """The "dcs" part of a result (only with several DCs)."""
        doc = {"writable": list(self.dcs), "pdc_emulator": self.pdc,
               "this": self.me,
               "unreachable": [{"dc": n, "error": self.unreachable[n]}
                               for n in self.dcs if n in self.unreachable],
               "partial": bool(self.unreachable)}
        if written_through is not None:
            doc["written_through"] = written_through
        return doc


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


def _not_utf8(arg):
    """None for a str that is valid UTF-8 text; else the argument with
    its bad bytes shown as \\xNN (Python keeps them as lone surrogates,
    or they may arrive as bytes)."""
    if isinstance(arg, bytes):
        raw = arg
    elif isinstance(arg, str):
        try:
            arg.encode("utf-8")
            return None
        except UnicodeEncodeError:
            pass
        try:
            raw = arg.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            raw = arg.encode("utf-8", "surrogatepass")
    else:
        return None
    try:
        raw.decode("utf-8")
        return None
    except UnicodeDecodeError:
        return raw.decode("utf-8", "backslashreplace")


class _HttpPoolCommand(Command):
    """Shared plumbing of the http-pool subcommands."""

    def _run(self, *argv):
        # samba-tool returns -1 both for a wrong number of arguments
        # (before run()) and for an exception escaping run(): usage is 2,
        # an unexpected failure 1.
        entered = []
        inner = self.run

        def run(*args, **kwargs):
            entered.append(True)
            return inner(*args, **kwargs)

        self.run = run
        for number, arg in enumerate(argv):
            bad = _not_utf8(arg)
            if bad is not None:
                # Python keeps undecodable bytes as lone surrogates; the
                # library would raise on them: refuse them here, once.
                del self.run
                self.errf.write("ERROR: argument %d (%s) is not valid "
                                "UTF-8\n" % (number, bad))
                return samba_spnpool.EXIT_BAD_INPUT
        try:
            ret = super()._run(*argv)
        finally:
            del self.run
        if ret == _SAMBA_TOOL_USAGE_ERROR:
            return (samba_spnpool.EXIT_ERROR if entered
                    else samba_spnpool.EXIT_BAD_INPUT)
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
        self._lp, self._creds = lp, creds
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

    def domain_dcs(self, samdb, H):
        """The _DomainDCs of samdb's domain (_Failure if unreadable)."""
        try:
            return _DomainDCs(samdb, self._lp, self._creds,
                              samba_spnpool.is_local(samdb))
        except ldb.LdbError as err:
            code, message = _ldb_error_args(err)
            raise _Failure(code, samba_spnpool.exit_code(code),
                           'cannot list the domain\'s DCs: %s' % message)

    def write_target(self, samdb, H, accept_partial):
        """(SamDB, local, peers, dcs) for a write: with one writable DC
        the SamDB opened, alone (dcs None); with several the PDC
        emulator's, every other reachable DC as a peer, and the "dcs"
        report.  _Failure (exit 6) if a DC is unreachable, unless
        accept_partial."""
        dcs = self.domain_dcs(samdb, H)
        if not dcs.several:
            return samdb, samba_spnpool.is_local(samdb), [], None
        dcs.connect_all()
        dcs.require_all(accept_partial, 'write')
        name, target, local, peers = dcs.writer()
        return target, local, peers, dcs.report(written_through=name)

    def write_dcs_line(self, dcs):
        """One line saying where a write went and what was checked."""
        if not dcs:
            return
        checked = [n for n in dcs["writable"]
                   if n != dcs["written_through"] and
                   n not in [u["dc"] for u in dcs["unreachable"]]]
        what = ("the PDC emulator" if dcs["written_through"] ==
                dcs["pdc_emulator"] else "this DC (PDC emulator %s "
                "unreachable)" % dcs["pdc_emulator"])
        line = "Through %s %s" % (what, dcs["written_through"])
        if checked:
            line += "; holders also checked on %s" % ", ".join(checked)
        if dcs["unreachable"]:
            line += ("; NOT checked (unreachable, --accept-partial): %s" %
                     ", ".join(u["dc"] for u in dcs["unreachable"]))
        self.outf.write(line + ".\n")

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
        """One JSON document; "version" says its shape (docs/design.md,
        JSON output)."""
        doc = dict(doc, version=samba_spnpool.render.JSON_VERSION)
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
            tags.append("DISABLED: Samba's KDC still issues tickets for "
                        "it")
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
        if account is not None and account.get("privileged"):
            self.outf.write(_PRIVILEGED_RISK % (
                account.get("sam_account_name"), account["privileged"]) +
                "\n")
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
            note = samba_spnpool.render.access_note(result)
            if note:
                self.outf.write("NOTE: %s\n" % note)
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
               output_json, server, accept_partial=False, **kwargs):
        def text(result, failed=False):
            self.print_report(result, failed, server)
            self.write_dcs_line(result.get("dcs"))

        dcs = None
        try:
            samdb = self.open_samdb(H, sambaopts, credopts)
            samdb, local, peers, dcs = self.write_target(samdb, H,
                                                         accept_partial)
            result = self.call(fn, samdb, identity, list(hosts),
                               server=server, peers=peers,
                               **kwargs)
        except _Failure as failure:
            if dcs and failure.result is not None:
                failure.result = dict(failure.result, dcs=dcs)
            return self.fail(failure, output_json, text)
        if dcs:
            result = dict(result, dcs=dcs)
        return self.finish(result, output_json, text)


class cmd_spn_http_pool_add(_OpCommand):
    __doc__ = """\
Register the HTTP SPNs of web server host names for a pool identity.

For every HOST, make IDENTITY hold both SPN forms browsers ask for:
http/<NetBIOS name> and http/<FQDN>. Give either form; the other is
derived from the domain's DNS name (web01 -> http/WEB01 and
http/web01.example.test). With --port N the http/<host>:N forms are
registered too, for browsers that put non-default ports into the SPN.
With --port N --port-only only the http/<host>:N forms are registered,
and only they are checked for uniqueness, so they can go to another
account than http/<host>. Browsers put the port into the SPN only when
configured to (otherwise they ask for http/<host>, whoever holds it);
default ports (80, 443) never appear in an SPN, so --port-only with them
is refused (exit 2).

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
        Option("--port-only", action="store_true", dest="port_only",
               default=False,
               help="with --port N: register only the http/<host>:N "
                    "forms, not http/<host> (browsers ask for them only "
                    "when configured to; refused for the default ports "
                    "80 and 443, which never appear in SPNs)"),
        Option("--move", action="store_true", dest="move", default=False,
               help="take SPNs that another account holds from it "
                    "instead of refusing"),
        _ACCEPT_PARTIAL,
        Option("--dry-run", action="store_true", dest="dry_run",
               default=False,
               help="check and report what would change, rights "
                    "included (exits as the real run will); write "
                    "nothing"),
        Option("--allow-privileged", action="store_true",
               dest="allow_privileged", default=False,
               help="register on krbtgt, a domain controller, a protected "
                    "administrator, Guest or a disabled account all the "
                    "same (exposes its key to offline cracking)"),
    ]

    operation = "add"

    def run(self, identity, *hosts, H=None, output_json=False, server=None,
            port=None, move=False, dry_run=False, accept_partial=False,
            allow_privileged=False, port_only=False,
            credopts=None, sambaopts=None, versionopts=None):
        return self.run_op(samba_spnpool.add, identity, hosts, H,
                           sambaopts, credopts, output_json, server,
                           accept_partial=accept_partial,
                           port=port, move=move, dry_run=dry_run,
                           allow_privileged=allow_privileged,
                           port_only=port_only)


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
        _ACCEPT_PARTIAL,
        Option("--dry-run", action="store_true", dest="dry_run",
               default=False,
               help="report what would be removed, rights included "
                    "(exits as the real run will); write nothing"),
    ]

    operation = "remove"

    def run(self, identity, *hosts, H=None, output_json=False, server=None,
            port=None, dry_run=False, accept_partial=False, credopts=None,
            sambaopts=None, versionopts=None):
        return self.run_op(samba_spnpool.remove, identity, hosts, H,
                           sambaopts, credopts, output_json, server,
                           accept_partial=accept_partial,
                           port=port, dry_run=dry_run)


class cmd_spn_http_pool_list(_HttpPoolCommand):
    __doc__ = """\
List HTTP SPNs of a pool identity, or who answers for a host name.

With IDENTITY: the account's HTTP SPNs. With --host HOST: every account
the KDC may issue HTTP tickets for that name to, in both SPN forms
(http/<NetBIOS name> and http/<FQDN>) and their :port forms: explicit
holders (via "explicit"), holders of the HOST/ SPN that the KDC maps HTTP
to (via "host-alias") and the computers whose cn is the host's first
label (via "computer-name"). More than one explicit holder of one SPN is a
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
                               identity=identity, host=host, server=server)
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
    "unresolvable": "AD DNS leads nowhere (a CNAME to a name without "
                    "records, or a CNAME loop): clients cannot reach the "
                    "site at all",
}

_CLIENT_WORDS = {
    "browser": "browser-like: short names get the domain suffix, CNAMEs "
               "are followed (Edge, Chrome, Firefox; MIT "
               "dns_canonicalize_hostname = true)",
    "as-typed": "the host as typed in the URL (MIT "
                "dns_canonicalize_hostname = false, many scripts)",
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

Works out the SPN a client requests for URL-or-HOST (a URL such as
http://web01.example.test:8080/app, or a bare host name). The client model
(--client-model) decides which name: "browser" (the default: Edge, Chrome,
Firefox, MIT with dns_canonicalize_hostname = true) follows CNAMEs in the
AD-integrated DNS zones and asks for a short name as <name>.<domain>;
"as-typed" asks for the host exactly as in the URL. The verdict under the
other model is printed too when it differs. The port is part of the SPN
only with --include-port (IE's FEATURE_INCLUDE_PORT_IN_SPN, Chrome's
EnableAuthNegotiatePort). Then it finds who Samba's KDC issues that ticket
for: the explicit holders of the SPN; if there are none, one search for
users holding HOST/ of the same name (sPNMappings maps HTTP to HOST) and
computers whose cn is the name's first label, where two or more results
are as unknown as none. Windows DCs are not modelled. The verdict compares
that with the account that must decrypt the ticket: IDENTITY, or with
--kernel-mode (IIS kernel-mode authentication with useAppPoolCredentials
off) the computer account of --server. The reason and the exact commands
that fix it are printed. Nothing is written.

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
        Option("--client-model", type="choice",
               choices=["browser", "as-typed"], default="browser",
               dest="client_model", metavar="browser|as-typed",
               help="which name the client puts into the SPN: 'browser' "
                    "(default) canonicalises short names and CNAMEs, "
                    "'as-typed' uses the URL's host"),
    ]

    def run(self, target, H=None, output_json=False, server=None,
            identity=None, kernel_mode=False, include_port=False,
            client_model="browser",
            credopts=None, sambaopts=None, versionopts=None):
        def text(result, failed=False):
            self.print_check(result, server)

        try:
            if identity is None or not identity.strip():
                raise _bad_input("give --identity IDENTITY: the account "
                                 "the application pool runs as")
            samdb = self.open_samdb(H, sambaopts, credopts)
            dcs = self.domain_dcs(samdb, H)

            def check(db, local):
                return self.call(samba_spnpool.check, db, target,
                                 identity, server=server,
                                 kernel_mode=kernel_mode,
                                 include_port=include_port,
                                 client=client_model)

            result = check(samdb, samba_spnpool.is_local(samdb))
            if dcs.several:
                result = dict(result, dcs=self.per_dc(dcs, result, check))
        except _Failure as failure:
            return self.fail(failure, output_json, text)
        # A verdict is a result, not a failure: "ok" says the check ran,
        # the exit code says what it found.
        self.finish(result, output_json, text)
        if result.get("dcs"):
            return result["dcs"]["exit_code"]
        return result["exit_code"]

    @staticmethod
    def per_dc(dcs, mine, check):
        """The verdict of every reachable writable DC; they disagree when
        the verdicts or the answering accounts differ.  The exit code is
        the highest (a DC that cannot answer counts with its error's)."""
        dcs.connect_all()
        report = dcs.report()
        verdicts = []
        for name in dcs.reachable():
            entry = {"dc": name}
            if name == dcs.me:
                res = mine
            else:
                try:
                    res = check(dcs.conns[name], False)
                except _Failure as failure:
                    entry.update(verdict=None, exit_code=failure.exit_code,
                                 error=failure.message)
                    verdicts.append(entry)
                    continue
            entry.update(verdict=res.get("verdict"),
                         exit_code=res.get("exit_code"),
                         answerers=sorted(a.get("dn", "") for a in
                                          res.get("answerers") or []))
            verdicts.append(entry)
        report["verdicts"] = verdicts
        keys = set((v["verdict"], tuple(v.get("answerers") or ()))
                   for v in verdicts)
        report["disagree"] = len(keys) > 1
        report["exit_code"] = max(v["exit_code"] for v in verdicts)
        return report

    def print_check(self, result, server):
        out = self.outf
        client = result.get("client")
        if client in _CLIENT_WORDS:
            out.write("Client model: %s\n" % _CLIENT_WORDS[client])
        if result.get("kdc") == "samba":
            out.write("KDC model: Samba's (Windows DCs are not modelled)\n")
        elif result.get("kdc") == "windows":
            out.write("KDC model: Windows' (LookupSPN, [MS-DRSR] "
                      "4.1.4.2.14: no computer-name fallback)\n")
        spn = result.get("spn")
        if spn is not None:
            out.write("%s requests: %s\n" %
                      ("Client" if client == "as-typed" else "Browser", spn))
        chain = result.get("cname_chain") or []
        if chain:
            names = list(chain)
            host = result.get("host")
            if host and names[0].lower() != host.lower():
                names.insert(0, host)
            out.write("  (CNAME chain: %s)\n" % " -> ".join(names))
        dns = result.get("dns")
        if dns in _DNS_WORDS:
            out.write("  (AD DNS: %s)\n" % _DNS_WORDS[dns])
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
                    value = a.get("value") or "(no SPN: cn is the first label)"
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
        other = result.get("other")
        if other and other.get("verdict") != verdict:
            out.write("Other client model (%s): %s requests %s: %s\n" %
                      (other.get("client"), other.get("client"),
                       other.get("spn"),
                       (other.get("verdict") or "").upper()))
            if other.get("reason"):
                out.write("  %s\n" % other["reason"])
        dcs = result.get("dcs")
        if dcs:
            out.write("Per DC:\n")
            for v in dcs["verdicts"]:
                what = (v["verdict"].upper() if v.get("verdict")
                        else "cannot tell: %s" % v.get("error"))
                who = ", ".join(v.get("answerers") or []) or "nobody"
                out.write("  %-24s %s (answered by %s)\n" %
                          (v["dc"], what, who))
            for u in dcs.get("unreachable") or []:
                out.write("  %-24s NOT READ: %s\n" % (u["dc"], u["error"]))
            if dcs.get("disagree"):
                out.write("WARNING: the DCs disagree (replication pending "
                          "or an update lost): clients get different "
                          "answers depending on the KDC they ask\n")
            if dcs.get("partial"):
                out.write("WARNING: partial view: not every writable DC "
                          "was read\n")


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

# What AD-integrated DNS says of the name the browser asks for.
_DNS_WORDS = {
    "address": "the name has address records",
    "missing": "an AD zone covers the name but has no record for it: "
               "clients using AD DNS cannot resolve it",
    "unknown": "no AD-integrated zone covers the name; it may resolve "
               "elsewhere",
    "cname": "CNAMEs go on beyond the chain followed (a loop or more "
             "than 8)",
}

_FINDING_HELP = """\
  duplicate     one SPN held by several accounts (HTTP SPNs and the HOST/
                SPNs they alias; every class with --all-classes): the KDC
                issues no ticket for it
  shadows-host  http/X held by another account than host/X: services on
                X running as the computer account lose Kerberos for HTTP
  missing-form  only one of http/<NetBIOS name> and http/<FQDN> is
                registered: browsers using the other name get no ticket
  disabled      HTTP SPNs on a disabled account: hygiene (Samba's KDC
                still issues tickets for them), the names stay taken
  kerberoastable
                a user (not a computer, MSA or gMSA) holding HTTP SPNs
                that allows RC4 (msDS-SupportedEncryptionTypes unset or
                with RC4) and whose password is older than
                --max-password-age days (default 365): any domain user
                can request a ticket and crack it offline"""


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
        Option("--max-password-age", type=str, metavar="DAYS",
               dest="max_password_age",
               help="kerberoastable: passwords older than DAYS (1 to "
                    "36500; default 365)"),
    ]

    def run(self, H=None, output_json=False, all_classes=False,
            page_size=None, max_password_age=None, credopts=None,
            sambaopts=None, versionopts=None):
        def text(result, failed=False):
            self.print_audit(result)

        progress = None
        try:
            size = self.parse_page_size(page_size)
            max_age = self.parse_max_password_age(max_password_age)
            samdb = self.open_samdb(H, sambaopts, credopts)
            if not output_json and _is_tty(self.errf):
                progress = _AuditProgress(self.errf)
            dcs = self.domain_dcs(samdb, H)
            try:
                result = self.call(samba_spnpool.audit, samdb,
                                   all_classes=all_classes, page_size=size,
                                   progress=progress,
                                   max_password_age=max_age)
            finally:
                if progress is not None:
                    progress.clear()
            if dcs.several:
                result = dict(result, dcs=self.compare(dcs))
        except _Failure as failure:
            return self.fail(failure, output_json, text)
        self.finish(result, output_json, text)
        if result.get("findings") or (result.get("dcs") or {}).get(
                "disagreements"):
            return samba_spnpool.EXIT_FINDINGS
        return samba_spnpool.EXIT_OK

    def compare(self, dcs):
        """The "dcs" report of audit: every writable DC, which could not
        be read, and the SPNs on which the readable ones disagree."""
        dcs.connect_all()
        names = dcs.reachable()
        report = dcs.report()
        report["disagreements"] = []
        report["compared"] = names
        if len(names) > 1:
            first = dcs.conns[names[0]]
            peers = [dcs.conns[n] for n in names[1:]]
            diff = self.call(samba_spnpool.compare_dcs, first, peers=peers)
            report["disagreements"] = diff["disagreements"]
        return report

    def print_dcs(self, dcs):
        out = self.outf
        diffs = dcs.get("disagreements") or []
        if diffs:
            out.write("dcs-disagree: %d\n" % len(diffs))
            for d in diffs:
                out.write("  %s\n" % d["spn"])
                out.write("    account: %s\n" % d["dn"])
                out.write("    on %s; not on %s\n" % (
                    ", ".join(d["present_on"]), ", ".join(d["missing_on"])))
                if d.get("duplicate_after_replication"):
                    out.write("    another account holds it too: a "
                              "duplicate once replication settles\n")
            out.write("  (replication pending, or an update lost: "
                      "replicate, then audit again)\n\n")
        for u in dcs.get("unreachable") or []:
            out.write("WARNING: partial view: %s was not read: %s\n" %
                      (u["dc"], u["error"]))
        out.write("DCs compared: %s; %d SPN(s) on which they disagree\n" %
                  (", ".join(dcs.get("compared")), len(diffs)))

    @staticmethod
    def parse_max_password_age(text):
        """Days (0: the library's default of 365), or _Failure."""
        if text is None:
            return 0
        if (not text.isdigit() or not text.isascii() or
                text.startswith("0") or int(text) > 36500):
            raise _bad_input("--max-password-age %r: give the days as a "
                             "decimal number from 1 to 36500" % text)
        return int(text)

    @staticmethod
    def parse_page_size(text):
        """The page size (0: the library's default), or _Failure."""
        if text is None:
            return 0
        value = text
        # plain decimal: no blank, sign or leading zero (" 5" is refused
        # like every other loose number)
        if (not value.isdigit() or not value.isascii() or
                (value.startswith("0") and value != "0")):
            raise _bad_input("--page-size %r: the page size must be a "
                             "decimal number from 1 to %d, without blanks, "
                             "sign or leading zeros" %
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
        if result.get("dcs"):
            self.print_dcs(result["dcs"])
        out.write("audit: %d entries, %d SPN values, %d distinct; "
                  "%d findings\n" %
                  (result.get("entries_read", 0),
                   result.get("values_read", 0),
                   result.get("distinct_spns", 0), len(findings)))


# ------------------------------------------------------------------------
# plan / apply / undo: many pools at once
# ------------------------------------------------------------------------

# The parsers refuse larger files; one byte more is read so that they can
# say so.  A plan document is JSON written by `plan --json`.
_CONFIG_MAX = 16 * 1024 * 1024
_PLAN_MAX = 64 * 1024 * 1024

_SOURCE_NAMES = {
    "iis": "IIS applicationHost.config",
    "pools": "pools file",
}

# The keys of one change in a plan document (plan --json): the required
# ones must be non-empty strings, the optional ones strings or null.
_CHANGE_REQUIRED = ("action", "dn", "spn")
_CHANGE_OPTIONAL = ("sam_account_name", "reason")
_CHANGE_ACTIONS = ("add", "delete")

# Every key a plan document may have (plan --json), per level, with the
# JSON types allowed ("str?" = string or null).  Anything else refuses
# the plan: a key nobody reviews must not be able to change what apply
# does.
_PLAN_KEYS = {
    "ok": "bool", "source": "str?", "servers": "list", "names": "list",
    "changes": "list", "notes": "list", "config_file": "str?",
    "digest": "str", "version": "int", "note_facts": "list",
}
_NAME_KEYS = {
    "netbios": "str?", "fqdn": "str", "decision": "str?",
    "account_dn": "str?", "account_sam": "str?", "explanation": "str?",
    "users": "list", "resolutions": "list", "unresolved": "bool",
    "privileged": "str?", "privileged_kind": "str?",
    "iis_commands": "list", "iis_actions": "list",
    "num_accounts": "int", "farm_of_machines": "bool",
}
_USER_KEYS = {
    "server": "str?", "site": "str?", "app_path": "str?", "pool": "str?",
    "account_dn": "str?", "account_sam": "str?", "identity": "str?",
    "kernel_mode": "bool", "use_app_pool_credentials": "bool",
}
_RESOLUTION_KEYS = {
    "kind": "str", "summary": "str?", "tradeoff": "str?",
    "commands": "list", "chosen": "bool", "account": "str?",
    "domain": "str?", "pool": "str?", "actions": "list",
}


def changes_digest(changes):
    """The digest `plan` prints for review and `apply --expect` checks:
    SHA-256 over the ordered (action, dn, spn) of every change, as
    compact UTF-8 JSON."""
    canonical = json.dumps([[c["action"], c["dn"], c["spn"]]
                            for c in changes],
                           ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(
        canonical.encode("utf-8", "surrogatepass")).hexdigest()


def _normal_digest(text):
    """A digest as typed (with or without "sha256:", any case), or None
    when it is not 64 hex digits."""
    text = text.strip().lower()
    if text.startswith("sha256:"):
        text = text[len("sha256:"):]
    if len(text) != 64 or any(c not in "0123456789abcdef" for c in text):
        return None
    return "sha256:" + text


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs):
    """json object_pairs_hook: a key twice is refused, never last-wins
    (the reviewer may have read the other one)."""
    doc = {}
    for key, value in pairs:
        if key in doc:
            raise _DuplicateKey("the key \"%s\" appears twice in one "
                                "object" % key)
        doc[key] = value
    return doc


_JSON_TYPES = {"str": str, "bool": bool, "list": list, "int": int}


def _check_keys(obj, allowed, where, refuse):
    """obj has only allowed keys, each of its allowed type."""
    for key in obj:
        if key not in allowed:
            refuse("%s has an unknown key \"%s\"" % (where, key))
        kind = allowed[key]
        value = obj[key]
        if kind.endswith("?") and value is None:
            continue
        if not isinstance(value, _JSON_TYPES[kind.rstrip("?")]):
            refuse("%s: \"%s\" must be a %s, not %s" %
                   (where, key, "string" if kind.startswith("str")
                    else kind, type(value).__name__))

_WORKFLOW_HELP = """\
The workflow: plan, review, apply, and undo if needed.

  samba-tool spn http-pool plan --iis-config applicationHost.config \\
      --server web01                      (a change request to review)
  samba-tool spn http-pool plan --iis-config applicationHost.config \\
      --server web01 --json > web01.plan  (the same plan, to apply)
  samba-tool spn http-pool apply web01.plan --dry-run    (the LDIF)
  samba-tool spn http-pool apply web01.plan    (prints its journal)
  samba-tool spn http-pool undo spnpool-apply-20240101-120000.journal"""

# The blocks of docs/formats.md, "Pools file" (the one definition of the
# format; selftest/formats_check.py fails the build when this differs).
_POOLS_FILE_HELP = """\
POOLS FILE: for HTTP services that are not IIS (Apache httpd with
mod_auth_gssapi, nginx with SPNEGO, ...), the account each service runs
as and the names browsers reach it by, optionally with the ports:

    # Apache farm of the shop
    [pool shop]
    identity = EXAMPLE\\svc-shop
    hosts = shop, shop.example.test
    ports = 8080, 8443

    [pool intranet]
    identity = NetworkService
    hosts = intranet.example.test

Grammar (ABNF, RFC 5234):

    file     = [BOM] *(line EOL) [line]
    line     = *WSP [(section / setting / comment) *WSP]
    section  = "[" *WSP "pool" 1*WSP name *WSP "]"
    name     = 1*64(ALPHA / DIGIT / "-" / "_" / ".")
    setting  = key *WSP "=" *WSP value
    key      = "identity" / "hosts" / "ports"
    value    = 1*VCHAR-OR-UTF8 *(*WSP 1*VCHAR-OR-UTF8)
    comment  = ("#" / ";") *(WSP / VCHAR-OR-UTF8)
    EOL      = LF / CR LF
    WSP      = SP / HTAB
    BOM      = %xEF.BB.BF

Keys and the word "pool" are matched without case, and so are pool
names (two pools may not differ only in case). Comments take whole
lines: a '#' after a value is part of the value. The file is UTF-8
without NUL bytes or control characters other than tab; a line has at
most 4096 bytes, the file at most 10000 pools and 100000 bindings, and
at most 16 MiB. In each pool, in any order, each key at most once:
  identity  required: the account the service runs as (DOMAIN\\name,
            name@realm, name, NAME$, a DN), or NetworkService,
            LocalSystem or ApplicationPoolIdentity (and their Windows
            spellings such as "NT AUTHORITY\\NETWORK SERVICE"), which
            mean the computer account of the web server (--server).
            LocalService is refused: it has no network credentials.
  hosts     required: one or more host names, separated by commas
            and/or blanks: short names or FQDNs (letters, digits, '-'
            and '.'; IDNA "xn--" form for international names), each at
            most once per pool.
  ports     optional: one or more TCP ports (decimal 1 to 65535, no
            leading zeros), separated the same way, each at most once.
            80 and 443 are the default ports of http and https and mean
            "no port in the SPN"; 443 is taken as https.
The same host may appear in several pools: that is the conflict the
plan resolves, not a syntax error."""

# The blocks of docs/formats.md, "Journal" (checked like the above).
_JOURNAL_HELP = """\
JOURNAL: one record per line, each fsync'd before the change it
announces is made:

    spnpool-journal\t2
    begin\t<local|ldap>\t<number of changes>
    intent\t<i>\t<add|delete>\t<dn>\t<value>
    done\t<i>
    reversed\t<i>\t\t(taken back by apply itself)
    end\t<ok|aborted>
    undo-begin
    undo-intent\t<i>\t(before undo reverses change i)
    undo-done\t<i>
    undo-reversed\t<i>\t(undo put change i back after a failure)
    undo-end\t<ok|aborted>

Fields are separated by TAB; '%', TAB, CR and LF inside a field are
written as %25, %09, %0D, %0A. Every record (the first line included)
ends in one more field, its checksum: eight lower-case hex digits of
the CRC-32 of the previous record's checksum (its eight hex digits;
"00000000" before the first record) followed by the record's text up
to the TAB before the checksum."""


def _wrap(text, indent, width=78):
    """text filled to width, every line indented by indent."""
    return textwrap.fill(" ".join(str(text).split()), width,
                         initial_indent=indent, subsequent_indent=indent,
                         break_long_words=False, break_on_hyphens=False)


def _bullet(text, indent, width=78):
    """text as a "- " list item filled to width, continuation lines
    aligned after the dash."""
    return textwrap.fill(" ".join(str(text).split()), width,
                         initial_indent=indent + "- ",
                         subsequent_indent=indent + "  ",
                         break_long_words=False, break_on_hyphens=False)


def _who(sam, dn):
    """An account as "sam (DN)", or the DN alone when the plan or the
    journal carries no sAMAccountName."""
    if sam and dn:
        return "%s (%s)" % (sam, dn)
    return dn or sam or "?"


def _read_config(path):
    """The bytes of a configuration file, at most one byte over the
    parsers' limit; _Failure (exit 2) if it cannot be read."""
    try:
        with open(path, "rb") as f:
            try:
                size = os.fstat(f.fileno()).st_size
            except OSError:
                size = 0
            if size > _CONFIG_MAX:
                raise _bad_input(
                    "%s: the file is %d bytes; a configuration over 16 MiB "
                    "(%d bytes) is refused" % (path, size, _CONFIG_MAX))
            return f.read(_CONFIG_MAX + 1)
    except OSError as err:
        raise _bad_input("cannot read %s: %s" %
                         (path, err.strerror or err))


def _unresolved(plan):
    """The names the library left unresolved (several accounts, no
    resolution chosen): their SPNs are not part of the changes."""
    return [n["fqdn"] for n in plan.get("names") or []
            if n.get("unresolved")]


def _refused_privileged(plan, allowed):
    """The names whose SPNs the library left out because their account is
    privileged."""
    if allowed:
        return []
    return [n["fqdn"] for n in plan.get("names") or []
            if n.get("privileged")]


def _load_plan(path):
    """The changes of a plan document written by `plan --json`, checked
    strictly; _Failure (exit 2) naming the first thing wrong."""
    def refuse(what):
        raise _bad_input("%s: %s" % (path, what))

    try:
        with open(path, "rb") as f:
            raw = f.read(_PLAN_MAX + 1)
    except OSError as err:
        raise _bad_input("cannot read the plan %s: %s" %
                         (path, err.strerror or err))
    if len(raw) > _PLAN_MAX:
        refuse("a plan over %d bytes is refused" % _PLAN_MAX)
    try:
        doc = json.loads(raw.decode("utf-8"),
                         object_pairs_hook=_no_duplicates)
    except _DuplicateKey as err:
        refuse("%s: refused" % err)
    except UnicodeDecodeError as err:
        refuse("not UTF-8 (byte %d): a plan is the JSON document of "
               "'plan --json'" % err.start)
    except RecursionError:
        refuse("JSON nested too deeply: not a plan")
    except ValueError as err:
        refuse("not JSON (%s): a plan is the JSON document of "
               "'plan --json'" % err)
    if not isinstance(doc, dict):
        refuse("not a plan: expected the JSON object of 'plan --json', "
               "found a JSON %s" % type(doc).__name__)
    if "ok" in doc and doc["ok"] is not True:
        refuse("the plan records a failure (\"ok\": %s): nothing to "
               "apply; plan again" % json.dumps(doc["ok"]))
    for key in ("names", "changes"):
        if not isinstance(doc.get(key), list):
            refuse("not a plan: \"%s\" must be a list (is this the "
                   "output of 'plan --json'?)" % key)
    _check_keys(doc, _PLAN_KEYS, "the plan", refuse)
    for i, name in enumerate(doc["names"]):
        where = "names[%d]" % i
        if not isinstance(name, dict):
            refuse("%s must be an object" % where)
        _check_keys(name, _NAME_KEYS, where, refuse)
        if not isinstance(name.get("fqdn"), str):
            refuse("%s: \"fqdn\" must be a string" % where)
        for j, user in enumerate(name.get("users") or []):
            if not isinstance(user, dict):
                refuse("%s.users[%d] must be an object" % (where, j))
            _check_keys(user, _USER_KEYS, "%s.users[%d]" % (where, j),
                        refuse)
        for j, res in enumerate(name.get("resolutions") or []):
            if not isinstance(res, dict):
                refuse("%s.resolutions[%d] must be an object" % (where, j))
            _check_keys(res, _RESOLUTION_KEYS,
                        "%s.resolutions[%d]" % (where, j), refuse)
    changes = []
    for i, change in enumerate(doc["changes"]):
        where = "changes[%d]" % i
        if not isinstance(change, dict):
            refuse("%s must be an object, not %s" %
                   (where, type(change).__name__))
        unknown = sorted(set(change) - set(_CHANGE_REQUIRED) -
                         set(_CHANGE_OPTIONAL))
        if unknown:
            refuse("%s has an unknown key \"%s\" (a change has %s)" %
                   (where, unknown[0],
                    ", ".join(_CHANGE_REQUIRED + _CHANGE_OPTIONAL)))
        for key in _CHANGE_REQUIRED + _CHANGE_OPTIONAL:
            value = change.get(key)
            if value is None and key in _CHANGE_OPTIONAL:
                continue
            if not isinstance(value, str) or not value.strip():
                refuse("%s: \"%s\" must be a non-empty string" %
                       (where, key))
            if "\0" in value:
                refuse("%s: \"%s\" contains a NUL character" %
                       (where, key))
        if change["action"] not in _CHANGE_ACTIONS:
            refuse("%s: \"action\" must be \"add\" or \"delete\", not %s" %
                   (where, json.dumps(change["action"])))
        changes.append(dict(change))
    if "digest" in doc and doc["digest"] != changes_digest(changes):
        refuse("its changes do not match its \"digest\" (%s): the plan "
               "was edited after 'plan' wrote it; plan again" %
               doc["digest"])
    return doc, changes


class _PlanCommand(_HttpPoolCommand):
    """plan and apply: reading configurations, printing plans and apply
    results."""

    config_options = [
        Option("--iis-config", type=str, metavar="FILE", dest="iis_config",
               help="IIS applicationHost.config copied from the web server "
                    "(%windir%\\system32\\inetsrv\\config)"),
        Option("--pools-file", type=str, metavar="FILE", dest="pools_file",
               help="a pools file for non-IIS services (format: see "
                    "plan --help)"),
        Option("--server", type=str, metavar="NAME", dest="servers",
               action="append", default=None,
               help="a web server the configuration belongs to "
                    "(repeatable for a farm): its computer account serves "
                    "built-in identities, kernel mode and bindings without "
                    "a host name"),
    ]

    @staticmethod
    def config_source(iis_config, pools_file):
        """("iis" | "pools", path) of the one configuration option given,
        or _Failure."""
        if iis_config is not None and pools_file is not None:
            raise _bad_input("give --iis-config or --pools-file, not both")
        if iis_config is not None:
            return "iis", iis_config
        if pools_file is not None:
            return "pools", pools_file
        return None, None

    def make_plan(self, kind, path, servers, H, sambaopts, credopts,
                  allow_privileged=False):
        """Parse (before touching the directory: bad input never reaches
        it), then plan."""
        data = _read_config(path)
        parse = (samba_spnpool.parse_iis_config if kind == "iis"
                 else samba_spnpool.parse_pools_file)
        try:
            parse(data, filename=path)
        except SpnPoolError as err:
            code, message = _ldb_error_args(err)
            raise _Failure(code, err.exit_code, message)
        samdb = self.open_samdb(H, sambaopts, credopts)
        plan = self.call(samba_spnpool.plan, samdb, kind, data,
                         servers=list(servers or []), filename=path,
                         allow_privileged=allow_privileged)
        plan["config_file"] = path
        plan["digest"] = changes_digest(plan["changes"])
        return samdb, plan

    # -- the plan as a change request --------------------------------------

    def print_plan(self, plan, applying=False):
        """The plan as a change request; applying: printed by apply, so
        without the advice on how to apply it."""
        out = self.outf
        servers = plan.get("servers") or []
        out.write("Plan from %s (%s)%s\n" % (
            plan.get("config_file") or "the configuration",
            _SOURCE_NAMES.get(plan.get("source"), plan.get("source")),
            " for " + ", ".join(servers) if servers else ""))
        names = plan.get("names") or []
        if not names:
            out.write("\nNo site of the configuration is reached by a "
                      "host name: nothing to plan.\n")
        for i, name in enumerate(names, 1):
            out.write("\n")
            self.print_name(i, name)
        self.print_changes(plan.get("changes") or [])
        notes = plan.get("notes") or []
        if notes:
            out.write("\nNotes:\n")
            for note in notes:
                out.write(_bullet(note, "  ") + "\n")
        unresolved = _unresolved(plan)
        if plan.get("changes"):
            out.write("\nDigest of the changes: %s\n" % plan.get("digest"))
        if applying:
            return
        out.write("\n")
        if unresolved:
            out.write(_wrap("No resolution could be chosen for %s: pick "
                            "one of the resolutions above, change the "
                            "configuration and plan again." %
                            ", ".join(unresolved), "") + "\n")
        elif plan.get("changes"):
            out.write("To apply: save the plan with --json, review it, "
                      "then run\n  samba-tool spn http-pool apply "
                      "PLAN.json --expect %s\n(--dry-run shows the LDIF; "
                      "--expect refuses a plan whose changes are not the "
                      "ones reviewed here)\n" % plan.get("digest"))
        else:
            out.write("The directory is already as the plan needs it.\n")

    def print_name(self, number, name):
        out = self.outf
        label = name.get("fqdn")
        if name.get("netbios"):
            label += " (%s)" % name["netbios"]
        decision = (name.get("decision") or "?").upper()
        out.write("%d. %s: %s\n" % (number, label, decision))
        if name.get("explanation"):
            out.write(_wrap(name["explanation"], "   ") + "\n")
        if name.get("privileged"):
            out.write(_wrap(
                "PRIVILEGED: %s is %s; any domain user can request a "
                "ticket for its SPNs and crack its key offline "
                "(Kerberoasting)." % (name.get("account_sam") or
                                      name.get("account_dn"),
                                      name["privileged"]), "   ") + "\n")

        users = []
        for user in name.get("users") or []:
            if user not in users:  # one per binding (http, https...)
                users.append(user)
        if users:
            out.write("   Served by:\n")
            for user in users:
                out.write("     %s\n" % self.user_text(user))

        account = name.get("account_dn")
        decision = name.get("decision")
        if account and decision == "nothing":
            out.write("   Answers already: %s\n" %
                      _who(name.get("account_sam"), account))
        elif account:
            out.write("   Must answer: %s\n" %
                      _who(name.get("account_sam"), account))

        resolutions = name.get("resolutions") or []
        if resolutions:
            out.write("   Resolutions, best first (* = what this plan "
                      "does):\n")
            for i, res in enumerate(resolutions, 1):
                mark = "*" if res.get("chosen") else " "
                head = "   %s %d. " % (mark, i)
                body = "%s: %s" % (res.get("kind"), res.get("summary"))
                lines = _wrap(body, " " * len(head)).split("\n")
                out.write(head + lines[0].lstrip() + "\n")
                for line in lines[1:]:
                    out.write(line + "\n")
                if res.get("tradeoff"):
                    out.write(_wrap("trade-off: " + res["tradeoff"],
                                    " " * len(head)) + "\n")
                for command in res.get("commands") or []:
                    out.write(" " * (len(head) + 2) + command + "\n")
        commands = name.get("iis_commands") or []
        if commands:
            out.write("   On the web server, run:\n")
            for command in commands:
                out.write("     %s\n" % command)

    @staticmethod
    def user_text(user):
        where = "site %s" % user.get("site")
        if user.get("app_path"):
            where += " %s" % user["app_path"]
        text = "%s, pool %s" % (where, user.get("pool"))
        if user.get("server"):
            text = "%s: %s" % (user["server"], text)
        if user.get("account_sam") or user.get("account_dn"):
            text += ": tickets for %s" % (user.get("account_sam") or
                                          user.get("account_dn"))
        else:
            text += ": no Kerberos (Windows authentication or Negotiate off)"
        tags = []
        if user.get("kernel_mode"):
            tags.append("kernel mode")
        if user.get("use_app_pool_credentials"):
            tags.append("useAppPoolCredentials")
        if tags:
            text += " [%s]" % ", ".join(tags)
        return text

    def print_changes(self, changes, states=False):
        out = self.outf
        if not changes:
            if not states:
                out.write("\nDirectory changes: none.\n")
            return
        out.write("\nDirectory changes, in the order they are made:\n")
        width = max(len(c.get("spn") or "") for c in changes)
        for i, change in enumerate(changes, 1):
            verb = "to" if change.get("action") == "add" else "from"
            state = ("%-10s" % change.get("state")) if states else ""
            out.write("  %2d. %s%-7s %-*s  %s %s\n" % (
                i, state, change.get("action"), width, change.get("spn"),
                verb, _who(change.get("sam_account_name"),
                           change.get("dn"))))
            if change.get("reason") and not states:
                out.write(" " * 6 + "(%s)\n" % change["reason"])

    # -- apply and undo results --------------------------------------------

    def print_applied(self, result, failed=False, operation="apply"):
        out = self.outf
        changes = result.get("changes") or []
        journal = result.get("journal")
        if journal:
            out.write("Journal: %s\n" % journal)
        if changes:
            self.print_changes(changes, states=True)
        if result.get("dry_run"):
            planned = [c for c in changes if c.get("state") == "planned"]
            already = len(changes) - len(planned)
            out.write("\nDry run: nothing written. %d change(s) would be "
                      "made%s.\n" % (len(planned),
                                     "; %d in effect already" % already
                                     if already else ""))
            note = samba_spnpool.render.access_note(result)
            if note:
                out.write("NOTE: %s\n" % note)
            if result.get("ldif"):
                out.write("The exact LDAP changes (LDIF):\n\n")
                out.write(result["ldif"].rstrip("\n") + "\n")
            return
        if failed:
            return
        done = len([c for c in changes if c.get("state") == "done"])
        already = len([c for c in changes if c.get("state") == "already"])
        if operation == "undo":
            if done:
                out.write("\nUndone: %d change(s) reversed; the SPNs are "
                          "as before the apply.\n" % done)
            else:
                out.write("\nNothing to undo: no change of that apply is "
                          "in effect.\n")
            return
        if done:
            out.write("\nApplied %d change(s)%s.\nUndo with: samba-tool "
                      "spn http-pool undo %s\n" %
                      (done, "; %d in effect already" % already
                       if already else "", journal))
        else:
            out.write("\nNothing to do: %s.\n" %
                      ("every change is in effect already" if changes
                       else "the plan has no changes"))


class cmd_spn_http_pool_plan(_PlanCommand):
    __doc__ = """\
Plan the HTTP SPNs of a whole web server from its configuration.

Reads the web server's own configuration: IIS's applicationHost.config
(--iis-config, copied from %windir%\\system32\\inetsrv\\config) or a pools
file for Apache, nginx and other services (--pools-file). For every host
name browsers use it works out which account must hold http/<NetBIOS
name> and http/<FQDN>: the pool's domain account, or the computer account
of --server for built-in identities (NetworkService, LocalSystem,
ApplicationPoolIdentity) and for IIS kernel-mode authentication on the
server's own name (which it answers for through HOST/ already). Then it
compares that with the directory and lists the exact changes, with the
IIS settings they rely on (useAppPoolCredentials for a domain account
under kernel mode). Nothing is written.

Several pools under different accounts behind one name cannot all have
the SPN: only one account can. The plan says so, ranks the ways out with
their trade-offs and commands (one shared account; a host name per pool;
kernel mode with the machine account; NTLM only for the other pools),
and chooses the last: the root application's pool keeps Kerberos and the
IIS commands switching the others to NTLM are listed. A farm name served
by several --server machines under one domain account is one shared
account; under each machine's own account it cannot be resolved
automatically (exit 4).

The text output reads as a change request; --json gives the whole plan,
which `apply` takes.

--server NAME (repeatable for a farm) names the web server(s) the
configuration belongs to; it is needed for built-in identities and for
bindings without a host name, which answer to the server's own name.

""" + _WORKFLOW_HELP + """

""" + _POOLS_FILE_HELP + """

Exit codes: 0 planned (also with conflicts, resolved as the chosen
resolution says); 2 bad or hostile input (malformed XML, DTDs and
entities, files over 16 MiB, a malformed pools file, a bad host name: the
message names the file and line); 3 an identity of the configuration not
found; 4 a conflict no resolution could be chosen for (the plan is
printed; its changes leave that name alone); 9 a name would need SPNs on
a privileged account (krbtgt, a domain controller, a protected
administrator, Guest, a disabled account): the plan is printed without
them and a note names the alternative; --allow-privileged plans them all
the same; 1 unexpected error, 5 access denied, 6 cannot reach the
server, 7 authentication failed."""

    synopsis = ("%prog (--iis-config FILE | --pools-file FILE) "
                "[--server NAME]... [--allow-privileged] [options]")

    takes_args = []

    takes_options = (_HttpPoolCommand.connection_options +
                     _PlanCommand.config_options + [
                         Option("--allow-privileged", action="store_true",
                                dest="allow_privileged", default=False,
                                help="plan SPNs on privileged accounts "
                                     "too (exposes their keys to offline "
                                     "cracking)"),
                     ])

    def run(self, H=None, output_json=False, iis_config=None,
            pools_file=None, servers=None, allow_privileged=False,
            credopts=None, sambaopts=None, versionopts=None):
        def text(result, failed=False):
            self.print_plan(result)

        try:
            kind, path = self.config_source(iis_config, pools_file)
            if kind is None:
                raise _bad_input("give the web server's configuration: "
                                 "--iis-config FILE or --pools-file FILE")
            _samdb, plan = self.make_plan(kind, path, servers, H,
                                          sambaopts, credopts,
                                          allow_privileged)
        except _Failure as failure:
            return self.fail(failure, output_json, text)
        self.finish(plan, output_json, text)
        unresolved = _unresolved(plan)
        if unresolved:
            self.errf.write("ERROR: no resolution chosen for %s: several "
                            "accounts serve it; pick a resolution and plan "
                            "again\n" % ", ".join(unresolved))
            return samba_spnpool.EXIT_CONFLICT
        refused = _refused_privileged(plan, allow_privileged)
        if refused:
            self.errf.write("ERROR: no SPNs planned for %s: the account "
                            "that would hold them is privileged (see the "
                            "notes); --allow-privileged plans them all the "
                            "same\n" % ", ".join(refused))
            return samba_spnpool.EXIT_PRIVILEGED
        return samba_spnpool.EXIT_OK


class cmd_spn_http_pool_apply(_PlanCommand):
    __doc__ = """\
Apply a plan: make the directory changes it lists, with a journal.

PLAN is the JSON document of `plan --json` (saved, reviewed); its
"changes" are made in order. Without PLAN, --iis-config FILE or
--pools-file FILE with --server plans and applies in one go, which
needs --yes (nothing to review then) unless --dry-run is given.

On a local sam.ldb all changes are one transaction: all or nothing. Over
LDAP each change is one exact-value modify, checked first: an SPN to add
that another account holds now is a surprise (someone changed the
directory since the plan). The first surprise stops the run, what it did
is reversed and nothing of it remains (exit 4). Changes already in effect
(an SPN to add that the account holds, an SPN to delete that is gone) are
skipped, so applying twice changes nothing.

Every change is written to the journal file (fsync'd) before it is made;
`undo JOURNAL` restores the state before the apply. The journal is
--journal FILE or ./spnpool-apply-YYYYmmdd-HHMMSS.journal; it must not
exist. Its path is printed. When nothing had to change, the default
journal is not kept.

--dry-run checks every change against the directory and prints the exact
LDAP changes as LDIF; it writes nothing, not even a journal.

""" + _WORKFLOW_HELP + """

A plan file is checked as strictly as add and remove check their
arguments, before anything is written: a JSON key twice, a key `plan`
does not write or a value of the wrong type refuses it; every change must
be http/<NetBIOS> or http/<FQDN> of one of the plan's names (no other
service class, no port); an add must go to an account one of the name's
pool identities resolves to now; a privileged account (krbtgt, a domain
controller, a protected administrator, Guest, a disabled account) is
refused unless --allow-privileged. `plan` prints the digest of its
changes; --expect DIGEST refuses a plan whose changes are not those.

Exit codes: 0 done, or nothing to do; 2 bad input (an unreadable,
malformed or out-of-scope plan, changes that do not match --expect or
the plan's own digest, a configuration refused as by `plan`, a journal
that exists, missing --yes); 3 an account of the plan not found; 4 a
surprise stopped the run and nothing of it remains (or, with --yes, a
conflict no resolution could be chosen for: nothing applied); 1
reversing failed (the message says which SPNs to repair by hand, the
journal has the details) or an unexpected error; 5 access denied, 6
cannot reach the server, 7 authentication failed; 9 a change targets a
privileged account."""

    synopsis = ("%prog [PLAN.json] [--iis-config FILE | --pools-file FILE "
                "--server NAME... --yes] [--journal FILE] [--dry-run] "
                "[--expect DIGEST] [--allow-privileged] "
                "[options]")

    takes_args = ["plan?"]

    takes_options = _HttpPoolCommand.connection_options + \
        _PlanCommand.config_options + [
            Option("--yes", action="store_true", dest="yes", default=False,
                   help="plan and apply in one go, without a review"),
            Option("--journal", type=str, metavar="FILE", dest="journal",
                   help="the journal to write (must not exist; default "
                        "./spnpool-apply-YYYYmmdd-HHMMSS.journal)"),
            Option("--dry-run", action="store_true", dest="dry_run",
                   default=False,
                   help="print the exact LDAP changes as LDIF; write "
                        "nothing"),
            _ACCEPT_PARTIAL,
            Option("--expect", type=str, metavar="DIGEST", dest="expect",
                   help="refuse the plan unless the digest of its changes "
                        "is DIGEST (the one `plan` printed for review)"),
            Option("--allow-privileged", action="store_true",
                   dest="allow_privileged", default=False,
                   help="let the plan register SPNs on krbtgt, a domain "
                        "controller, a protected administrator, Guest or a "
                        "disabled account (exposes its key to offline "
                        "cracking)"),
        ]

    def run(self, plan=None, H=None, output_json=False, iis_config=None,
            pools_file=None, servers=None, yes=False, journal=None,
            dry_run=False, accept_partial=False, expect=None,
            allow_privileged=False, credopts=None,
            sambaopts=None, versionopts=None):
        state = {"plan": None, "journal": None, "dcs": None}

        def text(result, failed=False):
            if state["plan"] is not None:
                self.print_plan(state["plan"], applying=True)
                self.outf.write("\n")
            self.print_applied(result, failed)
            self.write_dcs_line(result.get("dcs"))

        try:
            kind, path = self.config_source(iis_config, pools_file)
            if plan is not None and kind is not None:
                raise _bad_input("give a saved PLAN or --iis-config / "
                                 "--pools-file, not both")
            if plan is None and kind is None:
                raise _bad_input(
                    "nothing to apply: give a saved plan (samba-tool spn "
                    "http-pool plan ... --json > PLAN.json, then apply "
                    "PLAN.json) or --iis-config/--pools-file with --yes")
            if plan is not None and servers:
                raise _bad_input("--server belongs to planning: a saved "
                                 "plan names its servers already")
            if kind is not None and not yes and not dry_run:
                raise _bad_input(
                    "planning and applying in one go skips the review: "
                    "add --yes, or run plan, review it and apply the "
                    "saved plan")
            expected = None
            if expect is not None:
                expected = _normal_digest(expect)
                if expected is None:
                    raise _bad_input("--expect: '%s' is not a digest (64 "
                                     "hex digits, as `plan` prints it)" %
                                     expect)
            if plan is not None:
                doc, changes = _load_plan(plan)
                names = doc["names"]
                self.check_expected(expected, changes)
            journal_path, default_journal = self.journal_path(journal,
                                                              dry_run)
            state["journal"] = journal_path
            if plan is not None:
                samdb = self.open_samdb(H, sambaopts, credopts)
            else:
                samdb, planned = self.make_plan(kind, path, servers, H,
                                                sambaopts, credopts,
                                                allow_privileged)
                state["plan"] = planned
                changes = planned["changes"]
                names = planned["names"]
                self.check_expected(expected, changes)
                unresolved = _unresolved(planned)
                if unresolved and not dry_run:
                    raise _Failure(
                        ldb.ERR_CONSTRAINT_VIOLATION,
                        samba_spnpool.EXIT_CONFLICT,
                        "no resolution chosen for %s: nothing applied; "
                        "pick a resolution and plan again" %
                        ", ".join(unresolved))
                refused = _refused_privileged(planned, allow_privileged)
                if refused and not dry_run:
                    raise _Failure(
                        ldb.ERR_UNWILLING_TO_PERFORM,
                        samba_spnpool.EXIT_PRIVILEGED,
                        "no SPNs planned for %s: the account that would "
                        "hold them is privileged (see the notes); nothing "
                        "applied; --allow-privileged plans them all the "
                        "same" % ", ".join(refused))
            samdb, local, peers, dcs = self.write_target(samdb, H,
                                                         accept_partial)
            state["dcs"] = dcs
            result = self.call(samba_spnpool.apply, samdb, changes,
                               journal=journal_path, dry_run=dry_run,
                               peers=peers, names=names,
                               allow_privileged=allow_privileged)
        except _Failure as failure:
            if failure.result is not None and state["dcs"]:
                failure.result = dict(failure.result, dcs=state["dcs"])
            if failure.result is not None:
                failure.result = self.with_journal(
                    failure.result, failure.result.get("journal"))
                if state["plan"] is not None:
                    failure.result["plan"] = state["plan"]
                return self.fail(failure, output_json, text)
            # No report from the library (say, reversing failed): still
            # show the plan made and the journal written, which says what
            # to repair.
            extra = {}
            if state["plan"] is not None:
                extra["plan"] = state["plan"]
            if state["journal"] and os.path.exists(state["journal"]):
                extra["journal"] = os.path.abspath(state["journal"])
            if output_json and extra:
                failure.result = extra
            elif extra:
                if "plan" in extra:
                    self.print_plan(extra["plan"], applying=True)
                if "journal" in extra:
                    self.outf.write("Journal: %s\n" % extra["journal"])
            return self.fail(failure, output_json)

        if (not dry_run and not result.get("changed") and
                default_journal and journal_path):
            # Nothing happened: an empty journal in the current directory
            # on every idempotent run would only be litter.
            try:
                os.unlink(journal_path)
                result["journal"] = None
            except OSError:
                pass
        result = self.with_journal(result, result.get("journal"))
        if state["plan"] is not None:
            result["plan"] = state["plan"]
        if state["dcs"]:
            result["dcs"] = state["dcs"]
        if allow_privileged and not output_json:
            # the library checked every target; with the override it
            # does not refuse, so say once what that risks
            self.errf.write(
                "WARNING: --allow-privileged: changes to krbtgt, domain "
                "controllers, protected administrators, Guest or disabled "
                "accounts were not refused; any domain user can request a "
                "ticket for their SPNs and crack their keys offline "
                "(Kerberoasting)\n")
        return self.finish(result, output_json, text)

    @staticmethod
    def check_expected(expected, changes):
        """--expect: the changes are the ones reviewed, or exit 2."""
        if expected is None:
            return
        digest = changes_digest(changes)
        if digest != expected:
            raise _bad_input(
                "the plan's changes are not the ones reviewed: their "
                "digest is %s, --expect gave %s; nothing was written" %
                (digest, expected))

    @staticmethod
    def with_journal(result, journal):
        """The result with the journal's absolute path."""
        result = dict(result)
        if journal:
            result["journal"] = os.path.abspath(journal)
        return result

    @staticmethod
    def journal_path(journal, dry_run):
        """(path, chosen by default) of the journal to create, or
        (None, False) in a dry run; _Failure if it exists."""
        if dry_run:
            return None, False
        default = journal is None
        if default:
            journal = "spnpool-apply-%s.journal" % time.strftime(
                "%Y%m%d-%H%M%S")
        if not journal.strip():
            raise _bad_input("--journal: give a file name")
        if os.path.lexists(journal):
            raise _bad_input("the journal %s exists already: a journal is "
                             "never overwritten (give another --journal%s)"
                             % (journal, ", or wait a second"
                                if default else ""))
        return journal, default


class cmd_spn_http_pool_undo(_PlanCommand):
    __doc__ = """\
Undo an apply: restore the SPNs as they were before it, from its journal.

JOURNAL is the file `apply` printed. The changes of that apply that took
effect are reversed, last first, the way apply works (one transaction on
a local sam.ldb; checked single modifies over LDAP, reversed again if a
step fails); deleted SPNs come back in their stored spelling. After a
crash of apply the directory decides which journalled changes took
effect. The journal records the undo.

Undo refuses, naming each SPN and writing nothing, if any of those SPNs
changed since the apply (removed, or taken by another account), and
refuses a journal undone already. --dry-run prints the LDIF and writes
nothing.

""" + _WORKFLOW_HELP + """

The journal is untrusted: every record carries a checksum chained to
the one before, so an edited, removed, inserted or reordered record
refuses the journal, and so do an empty journal, loose numbers and any
change apply would not make (only http/ SPNs without port); giving an
SPN back to a privileged account needs --allow-privileged.

""" + _JOURNAL_HELP + """

Exit codes: 0 undone, or nothing to undo; 2 the journal cannot be read,
is not a journal, is damaged or holds a change apply would refuse; 9 a
value would go back to a privileged account; 4 refused (the SPNs changed since, or undone
already), nothing written; 1 reversing failed (the message says what to
repair by hand) or an unexpected error; 5 access denied, 6 cannot reach
the server, 7 authentication failed."""

    synopsis = "%prog JOURNAL [--dry-run] [--allow-privileged] [options]"

    takes_args = ["journal"]

    takes_options = _HttpPoolCommand.connection_options + [
        Option("--dry-run", action="store_true", dest="dry_run",
               default=False,
               help="print the exact LDAP changes as LDIF; write nothing"),
        _ACCEPT_PARTIAL,
        Option("--allow-privileged", action="store_true",
               dest="allow_privileged", default=False,
               help="give SPNs back to a privileged account too (exposes "
                    "its key to offline cracking)"),
    ]

    def run(self, journal, H=None, output_json=False, dry_run=False,
            accept_partial=False, allow_privileged=False, credopts=None,
            sambaopts=None,
            versionopts=None):
        def text(result, failed=False):
            self.print_applied(result, failed, operation="undo")
            self.write_dcs_line(result.get("dcs"))

        dcs = None
        try:
            if not os.path.isfile(journal):
                raise _bad_input("cannot read the journal %s: %s" % (
                    journal, "no such file" if not os.path.lexists(journal)
                    else "not a regular file"))
            samdb = self.open_samdb(H, sambaopts, credopts)
            samdb, local, peers, dcs = self.write_target(samdb, H,
                                                         accept_partial)
            result = self.call(samba_spnpool.undo, samdb, journal,
                               dry_run=dry_run, peers=peers,
                               allow_privileged=allow_privileged)
        except _Failure as failure:
            if dcs and failure.result is not None:
                failure.result = dict(failure.result, dcs=dcs)
            return self.fail(failure, output_json, text)
        if result.get("journal"):
            result["journal"] = os.path.abspath(result["journal"])
        if dcs:
            result = dict(result, dcs=dcs)
        return self.finish(result, output_json, text)


class cmd_spn_http_pool(SuperCommand):
    """Register HTTP SPNs for IIS/Apache application pool identities safely."""

    subcommands = {}
    subcommands["add"] = cmd_spn_http_pool_add()
    subcommands["remove"] = cmd_spn_http_pool_remove()
    subcommands["list"] = cmd_spn_http_pool_list()
    subcommands["check"] = cmd_spn_http_pool_check()
    subcommands["audit"] = cmd_spn_http_pool_audit()
    subcommands["plan"] = cmd_spn_http_pool_plan()
    subcommands["apply"] = cmd_spn_http_pool_apply()
    subcommands["undo"] = cmd_spn_http_pool_undo()
