"""Words and command lines for the typed results of check, audit and plan.

libspnpool returns facts only: enums (a verdict and the reason behind
it, a finding kind, a plan decision, a resolution kind, a note kind, why
a change is wanted) and fixes as structured actions (kind, account,
host, port, server, SPN, site, site id, application path, pool).  This
module is the one place that turns them into sentences and command
lines, the same way for check, audit and plan; a change of wording never
touches C.

Command lines are built from an argument list, never by pasting text:

- POSIX commands (samba-tool, run on the Samba side) are joined with
  ``shlex.join``, so ``shlex.split`` gives back exactly the arguments,
  whatever an account name holds (``o'brien``, ``$(...)``, backquotes).
- Windows commands (setspn, appcmd, cscript adsutil.vbs, run in cmd.exe)
  quote an argument in double quotes when it holds anything but letters,
  digits and ``-._/\\:=,@`` (IIS's rule for appcmd values).  cmd.exe has no
  escape for ``"`` inside quotes and expands ``%NAME%`` even there, so a
  value holding ``"``, ``%``, ``^``, ``!`` or a control character is not
  rendered at all: the command is replaced by advice to do it by hand
  (:class:`Unsafe`).  Such a value also keeps ``shlex.split`` of the
  rendered line equal to the arguments.

Every action becomes a dict: its facts, plus ``command`` (the line to
paste, or None for advice), ``argv`` (the arguments it stands for),
``shell`` ("posix", "windows" or None) and ``text`` (the line shown to a
person, which may put a label before the command).
"""

import re
import shlex

# Placeholders the admin fills in; plain words, so that they survive
# quoting unchanged and read as what to type.
PLACEHOLDER_ACCOUNT = "ACCOUNT"
PLACEHOLDER_NEW_ACCOUNT = "NEW-ACCOUNT"
PLACEHOLDER_SITE = "SITE"
PLACEHOLDER_SITE_ID = "SITE-ID"
PLACEHOLDER_DC = "DC"

POSIX = "posix"
WINDOWS = "windows"

# Why an account must not receive SPNs, by PRIVILEGED_REASONS name (the
# library words its refusal's error message the same way).
PRIVILEGED_WORDS = {
    "krbtgt": "krbtgt, the KDC's own account",
    "administrator": "the domain's Administrator",
    "guest": "the Guest account",
    "domain-controller": "a domain controller",
    "read-only-domain-controller": "a read-only domain controller",
    "admin-count": "protected (adminCount=1: a member, now or once, of an "
                   "administrative group)",
    "disabled": "disabled",
    "administrators": "a member of Administrators",
    "account-operators": "a member of Account Operators",
    "server-operators": "a member of Server Operators",
    "print-operators": "a member of Print Operators",
    "backup-operators": "a member of Backup Operators",
    "replicator": "a member of Replicator",
    "domain-admins": "a member of Domain Admins",
    "schema-admins": "a member of Schema Admins",
    "enterprise-admins": "a member of Enterprise Admins",
    "key-admins": "a member of Key Admins",
    "enterprise-key-admins": "a member of Enterprise Key Admins",
}

# An audit finding's account deleted between the scan and the lookup of
# its name (the finding's account_gone; its DN is null).
ACCOUNT_GONE = "(account gone since the scan)"

# The version of the JSON documents of check, audit and plan
# (docs/design.md, "JSON output"): 2 since the results are typed facts
# rendered here.
JSON_VERSION = 2

# Exit codes of the command layer (samba-tool spn http-pool); the
# library knows LDB results only.  check's verdicts exit with 0, 10, 11,
# ... in the order of samba_spnpool.VERDICTS (kerberos-ok first).
VERDICT_EXIT_BASE = 9


def verdict_exit_code(verdict, verdicts):
    """The exit status of a verdict (name or index into verdicts)."""
    if isinstance(verdict, bool):
        raise TypeError("verdict must be str or int, not bool")
    if isinstance(verdict, str):
        if verdict not in verdicts:
            raise ValueError("unknown verdict %r" % verdict)
        index = verdicts.index(verdict)
    elif isinstance(verdict, int):
        if not 0 <= verdict < len(verdicts):
            raise ValueError("unknown verdict %d" % verdict)
        index = verdict
    else:
        raise TypeError("verdict must be str or int, not %s" %
                        type(verdict).__name__)
    return 0 if index == 0 else VERDICT_EXIT_BASE + index


class Unsafe(ValueError):
    """A value that cannot be quoted safely for cmd.exe."""


# ---------------------------------------------------------------------
# quoting
# ---------------------------------------------------------------------

_WINDOWS_PLAIN = re.compile(r"[A-Za-z0-9\-._/:=,@]+\Z")
_WINDOWS_FORBIDDEN = re.compile(r'["%^!\x00-\x1f\x7f]')


def windows_quote(value):
    """value as one cmd.exe argument (appcmd, adsutil, setspn)."""
    if _WINDOWS_FORBIDDEN.search(value):
        raise Unsafe(value)
    if _WINDOWS_PLAIN.match(value):
        return value
    # Inside double quotes cmd.exe takes & | < > ( ) ' ` $ ; and blanks
    # literally.  A backslash before the closing quote would escape it
    # for the program's argv parser: doubled.  Under shlex a backslash
    # escapes only $ ` " \ and newline inside double quotes; a \$ or \`
    # would be read differently, so it is refused like ".
    if re.search(r"\\[$`\\]", value):
        raise Unsafe(value)
    if value.endswith("\\"):
        raise Unsafe(value)
    return '"%s"' % value


class Quoted(str):
    """An IIS value: always in double quotes, after its parameter name
    (appcmd's /name:"value"; the program's argv is /name:value)."""

    def __new__(cls, value, name=""):
        self = super().__new__(cls, name + value)
        self.name = name
        self.value = value
        return self


def windows_join(argv):
    words = []
    for a in argv:
        if isinstance(a, Quoted):
            quoted = windows_quote(a.value)
            if not quoted.startswith('"'):
                quoted = '"%s"' % quoted
            words.append(a.name + quoted)
        else:
            words.append(windows_quote(a))
    return " ".join(words)


def windows_split(line):
    """The arguments of a line windows_join made (tests; the inverse of
    its quoting, not a general cmd.exe parser)."""
    argv = []
    for m in re.finditer(r'(?:"[^"]*"|[^\s"]+)+', line):
        argv.append(m.group(0).replace('"', ''))
    return argv


def _qualified(domain, account):
    """DOMAIN\\account; the account alone (setspn looks it up in the
    domain of the DC it asks) when a backslash before it would read as an
    escape under POSIX quoting (a name starting with $ ` or \\)."""
    if account is None:
        return PLACEHOLDER_ACCOUNT
    if not domain or account[:1] in ("$", "`", "\\"):
        return account
    return "%s\\%s" % (domain, account)


def _iis_path(action):
    """appcmd's configuration path: "Site" or "Site/app"."""
    site = action.get("site") or PLACEHOLDER_SITE
    path = action.get("app_path")
    if not path or path == "/":
        return Quoted(site)
    return Quoted(site + path)


def _adsutil_path(action):
    site_id = action.get("site_id") or PLACEHOLDER_SITE_ID
    path = action.get("app_path")
    if not path or path == "/":
        path = ""
    return "w3svc/%s/root%s/NTAuthenticationProviders" % (site_id, path)


_WINDOWS_AUTH = ("-section:system.webServer/security/authentication/"
                 "windowsAuthentication")


# ---------------------------------------------------------------------
# one action
# ---------------------------------------------------------------------

def _samba_tool_spn(verb, action, placeholder=PLACEHOLDER_ACCOUNT):
    account = action.get("account")
    if account is None:
        account = placeholder
    elif action.get("domain"):
        account = "%s\\%s" % (action["domain"], account)
    positional = [account, action.get("host") or ""]
    options = []
    if action.get("port"):
        options += ["--port", str(action["port"])]
    if action.get("server"):
        options += ["--server", action["server"]]
    if action.get("move"):
        options.append("--move")
    if any(p.startswith("-") for p in positional):
        # a name like "--move" must not be read as an option
        return (["samba-tool", "spn", "http-pool", verb] + options +
                ["--"] + positional)
    return ["samba-tool", "spn", "http-pool", verb] + positional + options


def _argv(action, context):
    """(argv, shell, label, advice) of one action."""
    kind = action.get("kind")
    if kind == "add":
        placeholder = (PLACEHOLDER_NEW_ACCOUNT if context == "disabled"
                       else PLACEHOLDER_ACCOUNT)
        return _samba_tool_spn("add", action, placeholder), POSIX, None, None
    if kind == "remove":
        return _samba_tool_spn("remove", action), POSIX, None, None
    if kind in ("setspn-add", "setspn-delete"):
        flag = "-S" if kind == "setspn-add" else "-D"
        return (["setspn", flag, action.get("spn") or "",
                 _qualified(action.get("domain"), action.get("account"))],
                WINDOWS, None, None)
    if kind == "dns-query":
        return (["samba-tool", "dns", "query", PLACEHOLDER_DC,
                 action.get("domain") or "", action.get("host") or "",
                 "ALL"], POSIX, None,
                "then point the CNAME at a name with an A/AAAA record, or "
                "give %s such a record" % action.get("target"))
    if kind == "iis-app-pool-credentials":
        return (["appcmd", "set", "config", _iis_path(action), _WINDOWS_AUTH,
                 Quoted("True", "/useAppPoolCredentials:"),
                 "/commit:apphost"],
                WINDOWS, "IIS 7+ (kernel mode)", None)
    if kind == "iis-kernel-mode":
        return (["appcmd", "set", "config", _iis_path(action), _WINDOWS_AUTH,
                 Quoted("True", "/useKernelMode:"),
                 Quoted("False", "/useAppPoolCredentials:"),
                 "/commit:apphost"], WINDOWS, None, None)
    if kind == "iis-ntlm-only":
        return (["appcmd", "set", "config", _iis_path(action), _WINDOWS_AUTH,
                 Quoted("providers.[value='Negotiate']", "/-"),
                 "/commit:apphost"],
                WINDOWS, "IIS 7+ (NTLM only)", None)
    if kind == "iis6-ntlm-only":
        return (["cscript", "adsutil.vbs", "set", _adsutil_path(action),
                 Quoted("NTLM")], WINDOWS, "IIS 6 (NTLM only)", None)
    if kind == "iis-pool-identity":
        user = _qualified(action.get("domain"), action.get("account"))
        return (["appcmd", "set", "apppool", Quoted(action.get("pool") or ""),
                 "/processModel.identityType:SpecificUser",
                 Quoted(user, "/processModel.userName:"),
                 Quoted("...", "/processModel.password:")],
                WINDOWS, None, None)
    if kind == "random-password":
        account = action.get("account") or PLACEHOLDER_ACCOUNT
        if account.startswith("-"):
            return (["samba-tool", "user", "setpassword",
                     "--random-password", "--", account], POSIX, None, None)
        return (["samba-tool", "user", "setpassword", account,
                 "--random-password"], POSIX, None, None)
    return None, None, None, None


_ADVICE = {
    "delete-stale": "or delete the stale computer or HOST/ value among "
                    "those listed",
    "machine-kernel-mode": "or let IIS 7+ decrypt with the machine "
                           "account: kernel-mode authentication with "
                           "useAppPoolCredentials=false",
}


def action(fact, context=None):
    """The dict of one action: its facts plus command, argv, shell and
    text (see the module's documentation)."""
    out = dict(fact)
    argv, shell, label, then = _argv(fact, context)
    out.update(command=None, argv=None, shell=None)
    if argv is None:
        out["text"] = _ADVICE.get(fact.get("kind"), fact.get("kind"))
        return out
    try:
        command = (shlex.join(argv) if shell == POSIX
                   else windows_join(argv))
    except Unsafe as e:
        out["text"] = ("by hand: %s holds characters that cannot be quoted "
                       "for cmd.exe (%s)" % (argv[0], shlex.quote(str(e))))
        return out
    out.update(command=command, argv=[str(a) for a in argv], shell=shell)
    text = command
    if label:
        text = "%s: %s" % (label, text)
    if then:
        text = "%s; %s" % (text, then)
    out["text"] = text
    return out


def _actions(facts, context=None):
    return [action(a, context) for a in facts or []]


def split(rendered):
    """The arguments of a rendered action's command, as the shell it is
    meant for reads them."""
    if rendered["shell"] == POSIX:
        return shlex.split(rendered["command"])
    return windows_split(rendered["command"])


# ---------------------------------------------------------------------
# check
# ---------------------------------------------------------------------

_VIA_WORDS = {
    "explicit": "holds it explicitly",
    "host-alias": "answers through its HOST/ SPN, which sPNMappings maps "
                  "to http",
    "computer-name": "is the computer whose cn is the host's first label",
}


def _answerer_name(a):
    return a.get("sam_account_name") or a.get("dn")


def check_reason(r):
    """The sentence behind a check verdict."""
    kind = r.get("reason_kind")
    spn = r.get("spn")
    answerers = r.get("answerers") or []
    chain = r.get("cname_chain") or []
    last = chain[-1] if chain else None
    expected = (r.get("expected") or {}).get("sam_account_name")
    if kind == "cname-loop":
        return ("%s leads into a CNAME loop (or a chain too long) at %s in "
                "AD DNS: clients using AD DNS cannot reach the site at all, "
                "with or without Kerberos" % (r.get("host"), last))
    if kind == "cname-dangling":
        return ("%s is a CNAME to %s, which has no record in its AD DNS "
                "zone: clients using AD DNS cannot reach the site at all, "
                "with or without Kerberos" % (r.get("host"), last))
    if kind == "several-fallback":
        return ("nobody holds %s, and Samba's KDC's fallback search (users "
                "holding host/ of the name, computers whose cn is its first "
                "label) finds %d objects: the KDC treats it as unknown, so "
                "browsers fall back to NTLM (or fail when only Negotiate is "
                "offered)" % (spn, len(answerers)))
    if kind == "several-holders":
        return ("%s is held by %d accounts: the KDC treats it as unknown, "
                "so browsers fall back to NTLM (or fail when only Negotiate "
                "is offered); only a directory search tells this from a "
                "missing SPN" % (spn, len(answerers)))
    if kind == "nobody":
        return ("nobody holds %s (no explicit SPN, no HOST/ alias, no "
                "computer whose cn is the first label): the KDC answers "
                "'principal unknown' and browsers silently fall back to "
                "NTLM" % spn)
    if kind == "nobody-no-fallback":
        return ("nobody holds %s (no explicit SPN, no HOST/ alias): the "
                "name is unknown to the KDC, whose LookupSPN ([MS-DRSR] "
                "4.1.4.2.14) has no computer-name fallback, and browsers "
                "silently fall back to NTLM" % spn)
    first = answerers[0] if answerers else {}
    via = _VIA_WORDS.get(first.get("via"), first.get("via"))
    if kind == "only-expected":
        return ("only %s answers for %s (it %s), and the pool decrypts "
                "with its key: browsers get Kerberos" %
                (_answerer_name(first), spn, via))
    if kind == "other-answers":
        return ("the KDC issues %s tickets for %s (it %s), but the pool "
                "decrypts with the key of %s: authentication fails "
                "(KRB_AP_ERR_MODIFIED, then 401)" %
                (spn, _answerer_name(first), via, expected))
    return kind


def privileged(obj):
    """Render obj's privileged reason in place: 'privileged_kind' (the
    PRIVILEGED_REASONS name or None) and 'privileged' (its words or None);
    returns obj.  None passes through."""
    if obj is None:
        return None
    kind = obj.get("privileged_kind", obj.get("privileged"))
    obj["privileged_kind"] = kind
    obj["privileged"] = PRIVILEGED_WORDS.get(kind, kind)
    return obj


def report(result):
    """Render an add or remove report in place (its account's privileged
    reason); returns it."""
    privileged(result.get("account"))
    return result


def check(result, verdicts):
    """Render a check result (and its "other") in place: reason, fixes
    (lines), actions (rendered), exit_code; returns it."""
    privileged(result.get("pool"))
    privileged(result.get("expected"))
    result["reason"] = check_reason(result)
    result["actions"] = _actions(result.get("actions"))
    result["fixes"] = [a["text"] for a in result["actions"]]
    result["exit_code"] = verdict_exit_code(result.get("verdict"), verdicts)
    if result.get("other"):
        check(result["other"], verdicts)
    return result


# ---------------------------------------------------------------------
# audit
# ---------------------------------------------------------------------

def finding_detail(f):
    """The sentence of one audit finding."""
    kind = f.get("kind")
    spn = f.get("spn")
    sams = f.get("sams") or []
    first = sams[0] if sams else None
    if kind == "duplicate":
        return ("%s is held by %d accounts (%s): the KDC answers 'principal "
                "unknown' for it" % (spn, len(sams), ", ".join(sams)))
    if kind == "shadows-host":
        machine = sams[1] if len(sams) > 1 else None
        return ("%s on %s takes precedence over %s on %s: HTTP services on "
                "%s running as %s (NetworkService, ApplicationPoolIdentity, "
                "IIS kernel mode) fail Kerberos" %
                (spn, first, f.get("other_spn"), machine, f.get("host"),
                 machine))
    if kind == "missing-form":
        return ("%s holds %s but not %s: browsers using the other name fall "
                "back to NTLM or fail" % (first, spn, f.get("other_spn")))
    if kind == "disabled":
        return ("%s is disabled but holds %s (and maybe more HTTP SPNs): "
                "hygiene, not an outage - Samba's KDC still issues tickets "
                "for it (checked with 4.17), but no pool should run as a "
                "disabled account, and the name stays taken" % (first, spn))
    if kind == "kerberoastable":
        return ("%s holds %s (and maybe more HTTP SPNs), allows RC4 and its "
                "password is %d days old (more than %d): any domain user "
                "can request a ticket and crack it offline (Kerberoasting)" %
                (first, spn, f.get("password_days", 0),
                 f.get("max_password_age_days", 0)))
    return kind


def finding_fix(f):
    """The repair of one audit finding, as one line of words around the
    rendered commands (each command also stands alone in actions)."""
    kind = f.get("kind")
    sams = f.get("sams") or []
    texts = [a["text"] for a in f.get("actions") or []]
    if kind == "duplicate" and f.get("spn", "").lower().startswith("http/"):
        return ("remove it from every holder but the account the pool runs "
                "as: " + "; or: ".join(texts))
    if kind == "duplicate":
        return "keep it on one account: %s on the others" % "; ".join(texts)
    if kind == "shadows-host":
        machine = sams[1] if len(sams) > 1 else PLACEHOLDER_ACCOUNT
        return ("if the site on %s runs as %s: %s" %
                (f.get("host"), machine, "; ".join(texts)))
    if kind == "disabled" and len(texts) == 2:
        return ("if a pool still runs as %s, enable it or move its HTTP "
                "SPNs to the account the pool now runs as: %s; if nothing "
                "does, %s" % (sams[0] if sams else PLACEHOLDER_ACCOUNT,
                              texts[0], texts[1]))
    if kind == "kerberoastable":
        return ("run the pool as a gMSA; or give %s a long random password "
                "(%s, then the same password on the web server) and AES "
                "only (msDS-SupportedEncryptionTypes: 24)" %
                (sams[0] if sams else PLACEHOLDER_ACCOUNT, "; ".join(texts)))
    return "; ".join(texts)


def audit(result):
    """Render an audit result in place: each finding's detail, fix and
    actions; returns it."""
    for f in result.get("findings") or []:
        if f.get("account_gone"):
            for key in ("dns", "sams"):
                f[key] = [ACCOUNT_GONE if v is None else v
                          for v in f.get(key) or []]
        f["actions"] = _actions(f.get("actions"), f.get("kind"))
        f["detail"] = finding_detail(f)
        f["fix"] = finding_fix(f)
    return result


# ---------------------------------------------------------------------
# plan
# ---------------------------------------------------------------------

def plan_explanation(n):
    decision = n.get("decision")
    sam = n.get("account_sam")
    if decision == "skipped":
        return ("no pool on this name offers Kerberos (Windows "
                "authentication off, NTLM only, or LocalService)")
    if decision == "nothing":
        return ("the pools run as the machine account %s, which answers "
                "for its own name through HOST/" % sam)
    if decision == "register":
        return ("%s must hold http/%s and http/%s" %
                (sam, n.get("netbios") or "-", n.get("fqdn")))
    if decision == "conflict":
        return ("%d accounts serve %s, but an SPN can belong to one account "
                "only: at most one of them can use Kerberos%s" %
                (n.get("num_accounts", 0), n.get("fqdn"),
                 " (pools on several servers run as each server's machine "
                 "account)" if n.get("farm_of_machines") else ""))
    return decision


_TRADEOFFS = {
    "shared-account": "the pools lose their separate identities: grant the "
                      "shared account what each pool needs; a compromised "
                      "pool exposes the others",
    "distinct-names": "new URLs for users and links; a DNS record and a "
                      "binding per pool",
    "kernel-mode": "one server only (not a farm); the machine account must "
                   "hold the name (its HOST/ SPNs cover its own name)",
    "ntlm-only": "those applications lose Kerberos: no delegation, NTLM's "
                 "weaker security, more load on the DCs",
}


def resolution_summary(r, n):
    kind = r.get("kind")
    fqdn = n.get("fqdn")
    if kind == "shared-account":
        return ("run every pool behind %s as one domain account (e.g. "
                "%s\\%s) and register the name on it" %
                (fqdn, r.get("domain"), r.get("account")))
    if kind == "distinct-names":
        return ("give each pool its own host name (DNS record and IIS "
                "binding) and register each name on its pool's account")
    if kind == "kernel-mode":
        return ("let IIS decrypt with the machine account: kernel-mode "
                "authentication with useAppPoolCredentials=false for every "
                "site on %s, and no http/ SPN on a domain account" % fqdn)
    if kind == "ntlm-only":
        return ("keep Kerberos for pool %s (%s) and set the other pools' "
                "applications on %s to NTLM only" %
                (r.get("pool"), r.get("account"), fqdn))
    return kind


def note_text(note):
    kind = note.get("kind")
    if kind == "port":
        add = shlex.join(["samba-tool", "spn", "http-pool", "add",
                          PLACEHOLDER_ACCOUNT, note.get("fqdn") or "",
                          "--port", str(note.get("port"))])
        return ("site %s listens on port %d: browsers ask for http/%s "
                "without the port unless configured to include it (then "
                "also: %s)" % (note.get("site"), note.get("port"),
                               note.get("fqdn"), add))
    if kind == "local-service":
        return ("pool %s runs as LocalService, which authenticates "
                "anonymously: its sites can never use Kerberos" %
                note.get("pool"))
    if kind == "privileged":
        return ("%s is %s: no SPNs are planned for %s. Run its pools as a "
                "dedicated service account (a gMSA is best) and plan again; "
                "or plan with --allow-privileged, which exposes the "
                "account's key to offline cracking (Kerberoasting)" %
                (note.get("account"), note.get("privileged"),
                 note.get("fqdn")))
    if kind == "unresolved":
        return ("%s: no resolution chosen; pick one of the ranked "
                "resolutions and plan again" % note.get("fqdn"))
    if kind == "too-many-values":
        return ("%s would hold %d servicePrincipalName values after this "
                "plan, more than %s: a Windows DC refuses writes to an "
                "object past about 1,200 values (LDAP 11, "
                "adminLimitExceeded); move some names to another account"
                % (note.get("account"), note.get("values"),
                   format(note.get("limit"), ",")))
    return kind


def change_reason(change, why):
    kind = why.get("why")
    if kind == "moved-to":
        return "moved to %s" % why.get("account")
    if kind == "answers-for":
        return "%s answers for %s" % (why.get("account"), why.get("name"))
    if kind == "machine-name":
        return ("would take %s from the machine account %s" %
                (change.get("spn"), why.get("account")))
    return None


def plan(result):
    """Render a plan in place: explanations, resolutions' summaries,
    trade-offs and commands, the IIS commands, notes and each change's
    reason; returns it.  The changes keep the keys apply() takes."""
    for n in result.get("names") or []:
        privileged(n)
        n["explanation"] = plan_explanation(n)
        for r in n.get("resolutions") or []:
            r["summary"] = resolution_summary(r, n)
            r["tradeoff"] = _TRADEOFFS.get(r.get("kind"))
            r["actions"] = _actions(r.get("actions"))
            r["commands"] = [a["text"] for a in r["actions"]]
        n["iis_actions"] = _actions(n.get("iis_actions"))
        n["iis_commands"] = [a["text"] for a in n["iis_actions"]]
    whys = result.pop("whys", None) or []
    for change, why in zip(result.get("changes") or [], whys):
        change["reason"] = change_reason(change, why)
    facts = [privileged(note) for note in result.get("notes") or []]
    result["note_facts"] = facts
    result["notes"] = [note_text(note) for note in facts]
    return result


def access_note(result):
    """What a dry run of add or remove learnt of the acting user's right
    to make the real write (result["access"], one of the library's
    access states), as one sentence; None when there is nothing to say
    (a real run, nothing to write, or the right is there).  A refusal
    itself is the error's message (exit 5)."""
    state = result.get("access")
    dn = result.get("access_dn")
    whose = ("%s (another account the write touches)" % dn
             if result.get("access_holder") else dn)
    if state == "unknown":
        return ("Could not tell whether the real run is allowed to write "
                "servicePrincipalName on %s: the DC did not return its "
                "allowedAttributesEffective; the real run may still be "
                "refused with insufficient access (exit 5)." % whose)
    if state == "validated-write":
        return ("Could not tell whether the real run is allowed to write "
                "servicePrincipalName on %s: the DC does not grant a "
                "general write, but the computer's validated write to "
                "its own SPNs may allow some values (the DC decides per "
                "value); the real run may be refused with insufficient "
                "access (exit 5)." % whose)
    return None
