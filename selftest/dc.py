#!/usr/bin/python3
"""Throwaway Samba AD DC for integration tests.

    selftest/dc.py provision             build the cached DC template
    selftest/dc.py run [--no-start] -- CMD ARGS...
    selftest/dc.py names                 the domain's names, as NAME=value

The domain's names come from the variables Samba's selftest gives a test
(REALM, DOMAIN, SERVER or DC_SERVER, USERNAME, PASSWORD; DNSNAME follows
REALM), each falling back to the harness's own (FALLBACK below); a run's
DC copy goes under SELFTEST_PREFIX when that is set.  The
password, unless given, is made up when the template is provisioned and
kept in it.  One template is cached per set of names, so a run with Samba
selftest's ad_dc names (selftest/runner.py, ``--all``) provisions its own.

Provisioning costs seconds, so it happens once into a cached template under
build/selftest-cache/; every run copies the template to a temp dir, starts
``samba`` on it, and removes it afterwards.  Everything runs inside the
private network namespace of selftest/netns-run: the machine's resolver is
a foreign address that must never see a packet from us.

From a unittest (itself started through selftest/netns-run)::

    with ThrowawayDC() as dc:
        os.environ.update(dc.environ())
        web = dc.create_computer('web01', spns=['HTTP/web01.' + DNSNAME])
"""

import argparse
import atexit
import collections
import ctypes
import fcntl
import hashlib
import os
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time

import ldb
import samba
from samba import dsdb
from samba.auth import system_session
from samba.credentials import Credentials, DONT_USE_KERBEROS
from samba.param import LoadParm
from samba.samdb import SamDB

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NETNS_RUN = os.path.join(REPO, 'selftest', 'netns-run')
CACHE = os.path.join(REPO, 'build', 'selftest-cache')
RECIPE = 2  # bump whenever the template recipe below changes

# The one place the harness's own domain is named: used only where the
# environment names none (the suites never see these, only the result).
FALLBACK = {'REALM': 'EXAMPLE.TEST', 'DOMAIN': 'EXAMPLE', 'SERVER': 'dc1',
            'USERNAME': 'Administrator'}
PASSWORD_FILE = 'spnpool-admin-password'


def _env(*keys):
    """The first of ``keys`` set (non-empty) in the environment."""
    for key in keys:
        value = os.environ.get(key)
        if value:
            return value
    return None


REALM = (_env('REALM') or FALLBACK['REALM']).upper()
DNSNAME = (_env('DNSNAME') or REALM).lower()
DOMAIN = (_env('DOMAIN') or FALLBACK['DOMAIN']).upper()
# Samba's selftest gives the DC's short host name in SERVER (DC_SERVER
# names the same DC in a one-DC environment); an FQDN works as well.
HOSTNAME = (_env('DC_SERVER', 'SERVER') or
            FALLBACK['SERVER']).split('.')[0].lower()
SERVER_FQDN = '%s.%s' % (HOSTNAME, DNSNAME)
SERVER_IP = '127.0.0.1'  # inside netns-run's namespace: always loopback
USERNAME = _env('DC_USERNAME', 'USERNAME') or FALLBACK['USERNAME']
LDAP_URL = 'ldap://127.0.0.1'
NEVER = str(-0x8000000000000000)  # AD's "never" for maxPwdAge

# Copied from the provisioned smb.conf but useless or harmful here: the
# forwarder points at the foreign resolver, the rest talks to PAM, /etc,
# /var/log or the LAN.
DROP_KEYS = {'dns forwarder', 'log file', 'logging', 'panic action',
             'passwd program', 'passwd chat', 'unix password sync',
             'pam password change', 'obey pam restrictions', 'map to guest',
             'usershare allow guests', 'server services'}
KEEP_SECTIONS = {'global', 'sysvol', 'netlogon'}
# Defaults that point to shared system dirs; two DCs at once would collide.
EXTRA_GLOBALS = """\
\tserver services = ldap kdc
\tdisable netbios = yes
\tpid directory = {root}/run
\tncalrpc dir = {root}/run/ncalrpc
\twinbindd socket directory = {root}/run/winbindd
\tntp signd socket directory = {root}/run/ntp_signd
\tlog file = {root}/log.%m
\tsmb passwd file = {root}/private/smbpasswd
\tusershare path = {root}/usershares
"""

Account = collections.namedtuple('Account', 'dn name password principal')


def in_netns():
    """True only inside a namespace made by netns-run (env var AND only lo:
    an inherited variable alone must not let traffic out)."""
    with open('/proc/net/dev') as f:
        ifaces = [line.split(':')[0].strip() for line in f.readlines()[2:]]
    return os.environ.get('SPNPOOL_NETNS') == '1' and ifaces == ['lo']


_provisioning = {}  # the password while a template is being provisioned
# Read once, like the names: a test that exports a DC's environ() into
# os.environ must not make the next ThrowawayDC look for another template.
_GIVEN_PASSWORD = _env('DC_PASSWORD', 'PASSWORD')


def _given_password():
    return _GIVEN_PASSWORD


def run_parent():
    """Where a run's DC copy goes: under $SELFTEST_PREFIX (Samba's selftest
    gives each run one, and cleans it), else the system's temp dir."""
    prefix = _env('SELFTEST_PREFIX')
    if not prefix:
        return None
    parent = os.path.join(prefix, 'spnpool')
    os.makedirs(parent, exist_ok=True)
    return parent


def localize(data):
    """``data`` (bytes: a fixture written for the FALLBACK domain) with
    that domain's DNS and NetBIOS names replaced by the domain's."""
    old_dns = FALLBACK['REALM'].lower()
    pairs = [(old_dns, DNSNAME),
             ('.'.join(p.capitalize() for p in old_dns.split('.')),
              '.'.join(p.capitalize() for p in DNSNAME.split('.'))),
             (FALLBACK['DOMAIN'] + '\\', DOMAIN + '\\')]
    for old, new in pairs:
        data = data.replace(old.encode(), new.encode())
    return data


def template_dir():
    """Named by Samba version so an upgrade never reuses an old database,
    and by the domain's names (and a given password), so each set of
    names gets a template of its own."""
    key = '\0'.join([REALM, DOMAIN, HOSTNAME, USERNAME,
                      _given_password() or ''])
    return os.path.join(CACHE, 'dc-template-%s-r%d-%s-%s' % (
        samba.version, RECIPE, HOSTNAME,
        hashlib.sha256(key.encode()).hexdigest()[:12]))


def password():
    """The admin password: the environment's, else the one the template
    was provisioned with."""
    given = _given_password() or _provisioning.get('password')
    if given:
        return given
    with open(os.path.join(template_dir(), PASSWORD_FILE)) as f:
        return f.read().strip()


def names():
    """Selftest-style variables naming the harness's domain."""
    return {'REALM': REALM, 'DOMAIN': DOMAIN, 'DNSNAME': DNSNAME,
            'SERVER': HOSTNAME, 'DC_SERVER': HOSTNAME,
            'NETBIOSNAME': HOSTNAME.upper(), 'SERVER_IP': SERVER_IP,
            'USERNAME': USERNAME}


def admin_creds(lp):
    """NTLM over LDAP: it needs no ticket and no name lookup."""
    creds = Credentials()
    creds.guess(lp)
    creds.set_domain(DOMAIN)
    creds.set_username(USERNAME)
    creds.set_password(password())
    creds.set_kerberos_state(DONT_USE_KERBEROS)
    return creds


def open_samdb(conf, url=None, creds=True):
    """SamDB on ldap://... with admin creds (or ``creds``; False means
    anonymous), or on a local sam.ldb as system, which needs no server."""
    lp = LoadParm()
    lp.load(conf)
    url = url or lp.samdb_url()
    if not url.startswith('ldap'):
        return SamDB(url=url, session_info=system_session(), lp=lp)
    if creds is True:
        creds = admin_creds(lp)
    elif not creds:
        creds = Credentials()
        creds.set_anonymous()
    return SamDB(url=url, credentials=creds, lp=lp)


def tune_smb_conf(conf, root):
    """Keep Samba to LDAP + KDC on lo, and every path inside ``root``."""
    out, section = [], None
    with open(conf) as f:
        for line in f:
            text = line.strip()
            if text.startswith('['):
                section = text.strip('[]').lower()
            key = text.split('=', 1)[0].strip().lower()
            if section not in KEEP_SECTIONS or key in DROP_KEYS:
                continue
            out.append(line)
            if text.lower() == '[global]':
                out.append(EXTRA_GLOBALS.format(root=root))
    with open(conf, 'w') as f:
        f.writelines(out)
    for sub in ('run', 'usershares'):
        os.makedirs(os.path.join(root, sub), exist_ok=True)


def rewrite_paths(conf, old, new):
    """Provision writes absolute paths; a copy must point at itself."""
    with open(conf) as f:
        text = f.read()
    with open(conf, 'w') as f:
        f.write(text.replace(old, new))


def _die_with_parent():
    """preexec_fn: a killed harness must leave nothing running."""
    libc = ctypes.CDLL('libc.so.6', use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def start_samba(root, log, model='single'):
    """Start samba in the foreground; the caller owns the returned Popen.
    ``single`` starts fastest and keeps everything in one process."""
    with open(log, 'ab') as out:
        return subprocess.Popen(
            ['samba', '-s', os.path.join(root, 'etc', 'smb.conf'),
             '--foreground', '--no-process-group', '--debug-stdout',
             '-M', model, '--maximum-runtime=10800'],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent)


def _port_open(port):
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((SERVER_IP, port)) == 0


def wait_ready(proc, root, log, timeout=30.0):
    """Ready means LDAP (389) and the KDC (88) accept connections and an
    authenticated LDAP search works; a listening socket alone is not."""
    conf = os.path.join(root, 'etc', 'smb.conf')
    deadline = time.monotonic() + timeout
    error = 'timeout'
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            error = 'samba exited with %d' % proc.returncode
            break
        if _port_open(389) and _port_open(88):
            try:
                open_samdb(conf, LDAP_URL).search(
                    base='', scope=ldb.SCOPE_BASE, attrs=['dnsHostName'])
                return
            except ldb.LdbError as e:
                error = str(e)
        time.sleep(0.05)
    with open(log, errors='replace') as f:
        tail = ''.join(f.readlines()[-30:])
    raise RuntimeError('DC not ready (%s); tail of %s:\n%s'
                       % (error, log, tail))


def stop_samba(proc, timeout=10.0):
    """SIGTERM the pid we started, SIGKILL it if it lingers."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run_checked(argv):
    # A DC's SMB_CONF_PATH exported by an earlier test must not make
    # samba-tool load that DC's (possibly removed) configuration.
    env = {k: v for k, v in os.environ.items() if k != 'SMB_CONF_PATH'}
    res = subprocess.run(argv, stdin=subprocess.DEVNULL, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if res.returncode != 0:
        raise RuntimeError('%s failed (%d):\n%s' % (
            argv[0], res.returncode, res.stdout.decode(errors='replace')))


def provision_into(root, admin_password):
    """Provision a DC into ``root`` and make it ready to be copied."""
    if USERNAME.lower() != 'administrator':
        raise RuntimeError('the throwaway DC has only the Administrator '
                           'account; USERNAME=%s names another' % USERNAME)
    run_checked([
        'samba-tool', 'domain', 'provision', '--targetdir=' + root,
        '--realm=' + REALM, '--domain=' + DOMAIN, '--server-role=dc',
        '--dns-backend=SAMBA_INTERNAL', '--adminpass=' + admin_password,
        '--host-name=' + HOSTNAME, '--host-ip=' + SERVER_IP,
        '--option=interfaces=lo', '--option=bind interfaces only=yes',
        '--option=server services=ldap kdc'])
    conf = os.path.join(root, 'etc', 'smb.conf')
    tune_smb_conf(conf, root)
    # The DC's own ldap/... SPNs are added by samba's dnsupdate task,
    # which we do not run: without them `kvno ldap/<dc>...` fails.
    run_checked(['samba_spnupdate', '-s', conf])
    # A cached template may be older than the default 42-day maxPwdAge.
    db = open_samdb(conf)
    msg = ldb.Message(ldb.Dn(db, db.domain_dn()))
    msg['maxPwdAge'] = ldb.MessageElement(NEVER, ldb.FLAG_MOD_REPLACE,
                                          'maxPwdAge')
    msg['minPwdAge'] = ldb.MessageElement('0', ldb.FLAG_MOD_REPLACE,
                                          'minPwdAge')
    db.modify(msg)
    del db
    # Start once: the first start generates TLS keys, which copies reuse.
    log = os.path.join(root, 'first-start.log')
    proc = start_samba(root, log)
    try:
        wait_ready(proc, root, log)
    finally:
        stop_samba(proc)


def ensure_template():
    """Return the template dir, provisioning it once.  Built under /tmp
    (samba's socket paths must stay short), copied next to the cache and
    renamed into place, so a half-built template is never seen; a lock
    keeps parallel runs from provisioning twice."""
    if not in_netns():
        raise RuntimeError('not inside selftest/netns-run: refusing to run '
                           'samba where packets could leave the machine')
    final = template_dir()
    if os.path.isdir(final):
        return final
    if not os.path.isdir('/usr/share/samba/setup/ad-schema'):
        raise RuntimeError('provision needs the samba-ad-provision package')
    os.makedirs(CACHE, exist_ok=True)
    with open(os.path.join(CACHE, '.lock'), 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.isdir(final):
            return final
        build = tempfile.mkdtemp(prefix='spnpool-provision-')
        incoming = os.path.join(CACHE, '.incoming-%d' % os.getpid())
        try:
            admin_password = _given_password() or _strong_password()
            fd = os.open(os.path.join(build, PASSWORD_FILE),
                         os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, 'w') as f:
                f.write(admin_password + '\n')
            _provisioning['password'] = admin_password
            provision_into(build, admin_password)
            shutil.copytree(build, incoming, symlinks=True,
                            ignore=_ignore_runtime)
            rewrite_paths(os.path.join(incoming, 'etc', 'smb.conf'), build,
                          final)
            os.rename(incoming, final)
        finally:
            _provisioning.clear()
            shutil.rmtree(build, ignore_errors=True)
            shutil.rmtree(incoming, ignore_errors=True)
    return final


def _ignore_runtime(folder, names):
    """Sockets, locks, pid files and logs of the template's first start."""
    return [n for n in names if n in ('msg.sock', 'msg.lock')
            or n.endswith(('.pid', '.log'))
            or stat.S_ISSOCK(os.lstat(os.path.join(folder, n)).st_mode)]


def _strong_password():
    """Random, but always meeting AD's complexity rule."""
    return secrets.token_urlsafe(15) + 'aA1!'


class ThrowawayDC:
    """A private copy of the template DC, removed again at exit."""

    def __init__(self, start=True, model='single'):
        self.autostart = start
        self.model = model
        self.run_dir = None
        self.proc = None
        self._dbs = {}

    def _in_run(self, *parts):
        """RUN/dc is the DC (SPNPOOL_DC_DIR); RUN/* are the run's files."""
        return os.path.join(self.run_dir, *parts)

    path = property(lambda self: self._in_run('dc'))
    smb_conf = property(lambda self: self._in_run('dc', 'etc', 'smb.conf'))
    sam_ldb = property(lambda self: self._in_run('dc', 'private', 'sam.ldb'))
    log = property(lambda self: self._in_run('samba.log'))
    running = property(lambda self: self.proc is not None
                       and self.proc.poll() is None)

    def __enter__(self):
        try:
            self.setup()
            if self.autostart:
                self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    def setup(self):
        """Copy the template into a fresh temp dir."""
        template = ensure_template()
        self.run_dir = tempfile.mkdtemp(prefix='spnpool-dc-',
                                        dir=run_parent())
        atexit.register(self.close)
        shutil.copytree(template, self.path, symlinks=True,
                        ignore=_ignore_runtime)
        rewrite_paths(self.smb_conf, template, self.path)
        # netns-run's private krb5.conf: this realm, no DNS.
        shutil.copyfile('/etc/krb5.conf', self._in_run('krb5.conf'))

    def close(self):
        """Stop the server and delete the copy; safe to call twice."""
        self.stop()
        atexit.unregister(self.close)
        if self.run_dir:
            shutil.rmtree(self.run_dir, ignore_errors=True)
            self.run_dir = None

    def start(self, timeout=30.0):
        if self.running:
            return
        self._dbs.clear()
        self.proc = start_samba(self.path, self.log, self.model)
        try:
            wait_ready(self.proc, self.path, self.log, timeout)
        except BaseException:
            self.stop()
            raise

    def stop(self, timeout=10.0):
        self._dbs.clear()
        stop_samba(self.proc, timeout)
        self.proc = None

    def environ(self):
        """Selftest-style variables for child processes."""
        return dict(
            names(), PASSWORD=password(), DC_PASSWORD=password(), **{
            'SMB_CONF_PATH': self.smb_conf,
            'SPNPOOL_DC_DIR': self.path, 'SPNPOOL_SAM_LDB': self.sam_ldb,
            'KRB5_CONFIG': self._in_run('krb5.conf'),
            'KRB5CCNAME': 'FILE:' + self._in_run('krb5cc'),
        })

    def samdb(self, url=None, creds=True):
        """A new SamDB: over LDAP while running, else on the local sam.ldb
        (``url`` overrides; ``creds`` may be False or a Credentials)."""
        if url is None:
            url = LDAP_URL if self.running else self.sam_ldb
        return open_samdb(self.smb_conf, url, creds)

    def _db(self):
        """Cached admin SamDB for account creation (opening one is slow)."""
        key = self.running
        if key not in self._dbs:
            self._dbs[key] = self.samdb()
        return self._dbs[key]

    def _add_account(self, rdn, msg, password, spns, attrs):
        """One add carrying unicodePwd: ~25 ms, where samba-tool takes
        ~150 ms (a new process plus a separate password modify)."""
        db = self._db()
        msg['dn'] = '%s,%s' % (rdn, db.domain_dn())
        msg['unicodePwd'] = ('"%s"' % password).encode('utf-16-le')
        if spns:
            msg['servicePrincipalName'] = list(spns)
        msg.update(attrs or {})
        db.add(msg)
        return msg['dn']

    def create_user(self, name, password=None, spns=(), enabled=True,
                    attrs=None):
        """A user that can kinit as NAME@REALM with ``password``."""
        password = password or _strong_password()
        uac = dsdb.UF_NORMAL_ACCOUNT
        if not enabled:
            uac |= dsdb.UF_ACCOUNTDISABLE
        msg = {'objectClass': 'user', 'sAMAccountName': name,
               'userPrincipalName': '%s@%s' % (name, REALM),
               'userAccountControl': str(uac)}
        dn = self._add_account('CN=%s,CN=Users' % name, msg, password,
                               spns, attrs)
        return Account(dn, name, password, '%s@%s' % (name, REALM))

    def create_computer(self, name, spns=(), password=None, attrs=None,
                        sam=None):
        """An enabled computer with a password, hence keys: a plain
        `samba-tool computer create` account is disabled and keyless.
        ``name`` is the cn and the first label of dNSHostName; ``sam``
        (default NAME$) differs from it for renamed computers and DNS
        names longer than 15 characters, as a join makes them."""
        password = password or _strong_password()
        sam = sam or name.upper() + '$'
        msg = {'objectClass': 'computer', 'sAMAccountName': sam,
               'dNSHostName': '%s.%s' % (name.lower(), DNSNAME),
               'userAccountControl': str(dsdb.UF_WORKSTATION_TRUST_ACCOUNT)}
        dn = self._add_account('CN=%s,CN=Computers' % name, msg, password,
                               spns, attrs)
        return Account(dn, sam, password, '%s@%s' % (sam, REALM))

    def _partition_file(self, dn):
        """The sam.ldb.d file holding ``dn``: the longest matching suffix
        (DC=DomainDnsZones,... also ends in the domain's DN)."""
        folder = os.path.join(self.path, 'private', 'sam.ldb.d')
        want = ',' + str(dn).upper()
        parts = [f[:-4] for f in os.listdir(folder)
                 if f.endswith('.ldb') and want.endswith(',' + f[:-4])]
        if not parts:
            raise ValueError('no partition holds %s' % dn)
        return os.path.join(folder, max(parts, key=len) + '.ldb')

    def force_duplicate_spn(self, dn, spn):
        """Add ``spn`` to ``dn`` behind samldb's back, by writing the
        partition file directly: the only way to make a duplicate."""
        if self.running:
            raise RuntimeError('stop the DC before forcing a duplicate')
        self._dbs.clear()
        db = ldb.Ldb('tdb://' + self._partition_file(dn))
        msg = ldb.Message(ldb.Dn(db, str(dn)))
        msg['servicePrincipalName'] = ldb.MessageElement(
            spn, ldb.FLAG_MOD_ADD, 'servicePrincipalName')
        db.modify(msg)

    def age_password(self, dn, days):
        """Make ``dn``'s password look ``days`` old (pwdLastSet), by
        writing the partition file directly: no LDAP client may."""
        if self.running:
            raise RuntimeError('stop the DC before ageing a password')
        self._dbs.clear()
        db = ldb.Ldb('tdb://' + self._partition_file(dn))
        nt = int((time.time() - days * 86400) * 10**7) + 116444736000000000
        msg = ldb.Message(ldb.Dn(db, str(dn)))
        msg['pwdLastSet'] = ldb.MessageElement(
            str(nt), ldb.FLAG_MOD_REPLACE, 'pwdLastSet')
        db.modify(msg)


def reexec_in_netns():
    """Run this very command again inside a private network namespace."""
    argv = [NETNS_RUN, sys.executable, os.path.abspath(__file__)]
    os.execv(NETNS_RUN, argv + sys.argv[1:])


def _sigterm(signum, _frame):
    """Turn SIGTERM into an exception so `finally` stops the DC."""
    raise SystemExit(128 + signum)


def cmd_run(args):
    if not args.cmd:
        sys.exit('dc.py run: no command given')
    with ThrowawayDC(start=not args.no_start) as dc:
        env = dict(os.environ, **dc.environ())
        rc = subprocess.call(args.cmd, env=env,
                             preexec_fn=_die_with_parent)
    return 128 - rc if rc < 0 else rc


def cmd_names(_args):
    for key, value in sorted(names().items()):
        print('%s=%s' % (key, value))
    return 0


def cmd_provision(_args):
    start = time.monotonic()
    path = ensure_template()
    print('%s (%.1f s)' % (path, time.monotonic() - start))
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = parser.add_subparsers(dest='command', required=True)
    sub.add_parser('provision').set_defaults(func=cmd_provision)
    sub.add_parser('names').set_defaults(func=cmd_names)
    run = sub.add_parser('run')
    run.add_argument('--no-start', action='store_true',
                     help='copy the DC but do not start samba')
    run.add_argument('cmd', nargs=argparse.REMAINDER)
    run.set_defaults(func=cmd_run)
    args = parser.parse_args()
    if args.command == 'run' and args.cmd[:1] == ['--']:
        args.cmd = args.cmd[1:]
    if args.command == 'names':
        return args.func(args)
    if not in_netns():
        reexec_in_netns()
    signal.signal(signal.SIGTERM, _sigterm)
    return args.func(args)


if __name__ == '__main__':
    sys.exit(main())
