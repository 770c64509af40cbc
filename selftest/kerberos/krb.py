"""Real Kerberos for the tests: MIT client tools, keytabs exported from
the throwaway DC, a real SPNEGO web server and curl.

Use it from a unittest started through selftest/netns-run, next to a
started ThrowawayDC (selftest/dc.py)::

    with ThrowawayDC() as dc:
        os.environ.update(dc.environ())          # KRB5_CONFIG, ...
        alice = dc.create_user('alice')
        pool = dc.create_user('pool1', spns=['http/web01',
                                             'http/web01.' + DNSNAME],
                              attrs=AES_ONLY)
        kinit(alice.principal, alice.password, cc)
        kvno('HTTP/web01.' + DNSNAME, cc)          # -> (True, 1)
        export_keytab(dc, 'pool1', kt)
        with SpnegoServer(kt, '127.0.0.11') as web:
            curl_negotiate(web.url('web01.' + DNSNAME), cc)  # (200, ..)

Every function that talks to the KDC or starts a server refuses to run
outside the private network namespace.  Without ``krb5_config`` the MIT
tools use KRB5_CONFIG from the environment, else the namespace's private
/etc/krb5.conf (both: the domain's realm, KDC 127.0.0.1, no DNS,
dns_canonicalize_hostname = false).

What happens here (test_kerberos_reality.py asserts each line):
- A service ticket is encrypted with RC4 unless the *service* account's
  msDS-SupportedEncryptionTypes says otherwise (AES_ONLY -> aes256).
  An exported keytab carries aes256, aes128 and RC4 keys of the account,
  so it matches whatever the KDC chose.  Pools in the tests use AES_ONLY;
  computers from dc.create_computer have no such attribute (RC4).
- Unknown SPN and duplicate SPN look the same to a client:
  "Server not found in Kerberos database" (PRINCIPAL_UNKNOWN); curl then
  sends no token at all and ends with the server's 401, exit 0.
- A ticket for the wrong account: the acceptor fails with krb5 error 35
  (KRB_AP_ERR_NOT_US) for a keytab of the pool's own principal, 31
  (KRB_AP_ERR_BAD_INTEGRITY) for the pool's keys filed under the SPN's
  name (keytab_renamed); curl gets 401.
- A ccache caches service tickets: after changing SPNs, kinit into a
  new ccache, or the old answer comes back.
- curl asks for HTTP/<host of the URL>; whether MIT then follows a CNAME
  depends on dns_canonicalize_hostname (false in our krb5.conf; see
  krb5_conf_variant and enable_dns_server).
"""

import atexit
import ctypes
import json
import os
import pwd
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SELFTEST = os.path.dirname(HERE)
if SELFTEST not in sys.path:
    sys.path.insert(0, SELFTEST)

import dc as dcmod  # noqa: E402

REALM = dcmod.REALM
DNSNAME = dcmod.DNSNAME
PYTHON = '/usr/bin/python3'
ACCEPTOR = os.path.join(HERE, 'spnego_acceptor.py')

# msDS-SupportedEncryptionTypes: AES128 (0x08) | AES256 (0x10).
AES_ONLY = {'msDS-SupportedEncryptionTypes': '24'}

# The MIT messages the tests tell apart.
PRINCIPAL_UNKNOWN = 'Server not found in Kerberos database'
WRONG_PRINCIPAL = 'Wrong principal in request'

# Loopback addresses of netns-run's /etc/hosts.
HOSTS = {'web01': '127.0.0.11', 'web02': '127.0.0.12',
         'intranet': '127.0.0.13', 'farm': '127.0.0.14'}

APACHE = '/usr/sbin/apache2'
APACHE_MODULES = '/usr/lib/apache2/modules'
APACHE_USER = 'www-data'


class KerberosToolError(RuntimeError):
    """A setup step (kinit, exportkeytab) failed; carries the output."""


def require_netns():
    if not dcmod.in_netns():
        raise RuntimeError('not inside selftest/netns-run: refusing to talk '
                           'Kerberos or start a server where packets could '
                           'leave the machine')


def ccache_name(ccache):
    """'FILE:/path' for a bare path; other cache types pass through."""
    return ccache if ':' in ccache.split('/')[0] else 'FILE:' + ccache


def tool_env(ccache=None, krb5_config=None, trace=None, extra=None):
    env = dict(os.environ)
    if krb5_config:
        env['KRB5_CONFIG'] = krb5_config
    if ccache:
        env['KRB5CCNAME'] = ccache_name(ccache)
    if trace:
        env['KRB5_TRACE'] = trace
    else:
        env.pop('KRB5_TRACE', None)
    env.update(extra or {})
    return env


def _run(argv, env, stdin=None, timeout=60):
    return subprocess.run(argv, env=env, input=stdin,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, errors='replace',
                          timeout=timeout)


def _read(path):
    try:
        with open(path, errors='replace') as f:
            return f.read()
    except FileNotFoundError:
        return ''


# -- client side ------------------------------------------------------------

def kinit(principal, password, ccache, krb5_config=None):
    """Get a TGT for ``principal`` into ``ccache`` (a path or TYPE:name).
    Raises KerberosToolError with kinit's output on failure."""
    require_netns()
    cc = ccache_name(ccache)
    proc = _run(['kinit', '-c', cc, principal],
                tool_env(cc, krb5_config), stdin=password + '\n')
    if proc.returncode != 0:
        raise KerberosToolError('kinit %s failed (%d): %s' % (
            principal, proc.returncode, proc.stderr.strip()))
    return cc


class KvnoResult(tuple):
    """``(ok, kvno_or_error_text)`` with the raw output attached.

    ok: kvno exited 0.  The second item is the key version number (int)
    on success, else MIT's error text without the "kvno: " prefix and the
    "while ..." tail (e.g. PRINCIPAL_UNKNOWN).  Attributes: spn, kvno
    (int or None, also on a failed keytab check), error, stdout, stderr,
    returncode, principal_unknown, keytab_valid (None without a keytab),
    trace (KRB5_TRACE output when asked for)."""

    def __new__(cls, ok, value, **attrs):
        self = super().__new__(cls, (ok, value))
        self.__dict__.update(attrs)
        return self

    ok = property(lambda self: self[0])
    value = property(lambda self: self[1])

    def __repr__(self):
        return 'KvnoResult(%r, %r)' % tuple(self)


_KVNO_LINE = re.compile(r'^(\S+): kvno = (\d+)(?:, keytab entry (\w+))?',
                        re.M)
_KVNO_ERROR = re.compile(r'^kvno: (.*?)(?: while .*)?$', re.M)


def kvno(spn, ccache, keytab=None, krb5_config=None, trace=False):
    """Ask the KDC for a ticket to ``spn`` with the TGT in ``ccache``.

    With ``keytab``, also check the ticket decrypts with one of its keys
    (kvno -k): keytab_valid tells which account's key encrypted it.
    """
    require_netns()
    cc = ccache_name(ccache)
    argv = ['kvno', '-c', cc]
    if keytab:
        argv += ['-k', keytab]
    argv.append(spn)
    with tempfile.NamedTemporaryFile('r', prefix='kvno-trace-') as tr:
        proc = _run(argv, tool_env(cc, krb5_config,
                                   tr.name if trace else None))
        text = tr.read() if trace else ''
    both = proc.stdout + proc.stderr
    line = _KVNO_LINE.search(both)
    number = int(line.group(2)) if line else None
    valid = None
    if keytab and line and line.group(3):
        valid = line.group(3) == 'valid'
    err = _KVNO_ERROR.search(proc.stderr)
    error = err.group(1).strip() if err else None
    ok = proc.returncode == 0
    if ok and number is None:
        ok, error = False, 'no kvno in output: %r' % proc.stdout
    value = number if ok else (error or proc.stderr.strip())
    return KvnoResult(ok, value, spn=spn, kvno=number, error=error,
                      stdout=proc.stdout, stderr=proc.stderr,
                      returncode=proc.returncode,
                      principal_unknown=(error == PRINCIPAL_UNKNOWN),
                      keytab_valid=valid, trace=text)


def klist(ccache):
    """{service principal: (session key enctype, ticket enctype)} of
    every ticket in ``ccache`` (klist -e)."""
    require_netns()
    cc = ccache_name(ccache)
    proc = _run(['klist', '-e', '-c', cc], tool_env(cc))
    tickets = {}
    current = None
    for line in proc.stdout.splitlines():
        fields = line.split()
        if len(fields) >= 5 and re.match(r'\d', fields[0]):
            current = fields[4]
        m = re.search(r'Etype \(skey, tkt\): (\S+), (\S+)', line)
        if m and current:
            tickets[current] = (m.group(1), m.group(2))
    return tickets


# What a client asks its KDC for, from a KRB5_TRACE: "Requesting tickets
# for X" is a TGS request actually sent; "Getting credentials C -> X" is
# the name the application asked for (it may end in a bare "@" when the
# realm is still to be found, and may be answered from the ccache).
_TRACE_SENT = re.compile(r'Requesting tickets for (\S+), referrals')
_TRACE_WANTED = re.compile(r'Getting credentials \S+ -> (\S+) using')


def requested_principals(trace_text):
    """Service principals a client asked its KDC for, in order, from a
    KRB5_TRACE; the names it wanted if all came from its ccache."""
    def unique(names):
        seen = []
        for name in names:
            if not name.startswith('krbtgt/') and name not in seen:
                seen.append(name)
        return seen
    return (unique(_TRACE_SENT.findall(trace_text)) or
            unique(_TRACE_WANTED.findall(trace_text)))


class CurlResult(tuple):
    """``(http_status, stderr)``; http_status is 0 when curl got no HTTP
    answer at all (e.g. "Could not resolve host").  Attributes:
    returncode, body, requested (service principals the client asked its
    KDC for, from KRB5_TRACE), trace."""

    def __new__(cls, status, stderr, **attrs):
        self = super().__new__(cls, (status, stderr))
        self.__dict__.update(attrs)
        return self

    status = property(lambda self: self[0])
    stderr = property(lambda self: self[1])

    def __repr__(self):
        return 'CurlResult(%r, rc=%r, requested=%r)' % (
            self.status, self.returncode, self.requested)


def curl_negotiate(url, ccache, krb5_config=None, timeout=10):
    """``curl --negotiate -u : URL`` with the TGT in ``ccache``.

    The host name of URL resolves through the namespace (/etc/hosts, then
    whatever answers on 127.0.0.1:53), never --resolve: curl builds the
    SPN from the URL's host, and --resolve would not change that but
    invites mistakes.  No proxy, ever."""
    require_netns()
    cc = ccache_name(ccache)
    with tempfile.NamedTemporaryFile('r', prefix='curl-trace-') as tr:
        proc = _run(['curl', '-sS', '-v', '--negotiate', '-u', ':',
                     '--noproxy', '*', '--max-time', str(timeout),
                     '-w', '\n%{http_code}', url],
                    tool_env(cc, krb5_config, tr.name),
                    timeout=timeout + 5)
        trace = tr.read()
    body, _, code = proc.stdout.rpartition('\n')
    try:
        status = int(code)
    except ValueError:
        status = 0
    return CurlResult(status, proc.stderr, returncode=proc.returncode,
                      body=body, requested=requested_principals(trace),
                      trace=trace)


def krb5_conf_variant(dc, path, **libdefaults):
    """Write a copy of the run's krb5.conf with [libdefaults] options set
    (e.g. dns_canonicalize_hostname='true'); returns ``path``."""
    with open(dc.environ()['KRB5_CONFIG']) as f:
        lines = f.read().splitlines(True)
    out, section = [], None
    for line in lines:
        text = line.strip()
        if text.startswith('['):
            section = text
        key = text.split('=', 1)[0].strip()
        if section == '[libdefaults]' and key in libdefaults:
            continue
        out.append(line)
        if text == '[libdefaults]':
            out += ['\t%s = %s\n' % kv for kv in sorted(libdefaults.items())]
    with open(path, 'w') as f:
        f.writelines(out)
    return path


# -- keytabs ----------------------------------------------------------------

def export_keytab(dc, account, path):
    """Export every key of ``account`` (a sAMAccountName, or a principal
    name with @REALM) from the DC's own sam.ldb into a new keytab."""
    principal = account if '@' in account else '%s@%s' % (account, REALM)
    if os.path.exists(path):
        os.unlink(path)  # exportkeytab appends to an existing file
    proc = _run(['samba-tool', 'domain', 'exportkeytab', path,
                 '--principal=' + principal, '-s', dc.smb_conf],
                tool_env())
    if proc.returncode != 0 or not os.path.exists(path):
        raise KerberosToolError('exportkeytab %s failed (%d): %s%s' % (
            principal, proc.returncode, proc.stdout, proc.stderr))
    return path


def export_computer_keytab(dc, name, path):
    """The keys of computer ``name`` (``web02`` or ``WEB02$``): what IIS
    kernel-mode authentication and built-in pool identities use."""
    return export_keytab(dc, name.upper().rstrip('$') + '$', path)


def keytab_entries(path):
    """[(kvno, principal, enctype)] of a keytab (klist -ke)."""
    proc = _run(['klist', '-ke', path], tool_env())
    return [(int(m.group(1)), m.group(2), m.group(3)) for m in
            re.finditer(r'^\s*(\d+) (\S+) \((\S+)\)', proc.stdout, re.M)]


def keytab_renamed(src, dst, principal):
    """Copy every key of keytab ``src`` into a new keytab ``dst`` under
    the name ``principal``: a ktpass-style keytab, e.g. the pool's keys
    named HTTP/web02.<dnsname>@<REALM>.  (ktutil cannot do it
    unattended: it reads keys from the terminal.)  MIT keytab format 0x502:
    a size-prefixed record per key, big-endian."""
    name, _, realm = principal.partition('@')
    comps = name.split('/')

    def counted(text):
        data = text.encode()
        return struct.pack('>H', len(data)) + data

    new_name = (struct.pack('>H', len(comps)) + counted(realm) +
                b''.join(counted(c) for c in comps) +
                struct.pack('>I', 1 if len(comps) == 1 else 3))
    with open(src, 'rb') as f:
        data = f.read()
    if data[:2] != b'\x05\x02':
        raise KerberosToolError('%s: not an MIT v2 keytab' % src)
    out, pos = [data[:2]], 2
    while pos + 4 <= len(data):
        size, = struct.unpack_from('>i', data, pos)
        record = data[pos + 4:pos + 4 + abs(size)]
        pos += 4 + abs(size)
        if size <= 0:
            continue  # a hole left by a deleted entry
        count, = struct.unpack_from('>H', record, 0)
        at = 2
        for _ in range(count + 1):  # the realm, then each component
            length, = struct.unpack_from('>H', record, at)
            at += 2 + length
        at += 4  # name type
        body = new_name + record[at:]
        out.append(struct.pack('>i', len(body)) + body)
    if os.path.exists(dst):
        os.unlink(dst)
    with open(dst, 'wb') as f:
        f.write(b''.join(out))
    os.chmod(dst, 0o600)
    return dst


# -- the web server ---------------------------------------------------------

def _die_with_parent():
    libc = ctypes.CDLL('libc.so.6', use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _port_answers(host, port):
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex((host, port)) == 0


# The access log as JSON lines: SpnegoServer.events() reads it.
APACHE_LOGFORMAT = r'"{\"status\": %>s, \"user\": \"%u\", \"path\": \"%U\"}"'

APACHE_CONF = """\
ServerRoot {dir}
ServerName {name}
DefaultRuntimeDir {dir}/run
PidFile {dir}/run/httpd.pid
Mutex file:{dir}/run default
Listen {host}:{port}
User {user}
Group {user}
LoadModule mpm_prefork_module {mods}/mod_mpm_prefork.so
LoadModule authn_core_module {mods}/mod_authn_core.so
LoadModule authz_core_module {mods}/mod_authz_core.so
LoadModule authz_user_module {mods}/mod_authz_user.so
LoadModule dir_module {mods}/mod_dir.so
LoadModule auth_gssapi_module {mods}/mod_auth_gssapi.so
StartServers 1
MinSpareServers 1
MaxSpareServers 2
MaxRequestWorkers 4
ErrorLog {dir}/error.log
LogLevel warn auth_gssapi:debug
LogFormat {logformat} js
CustomLog {dir}/access.log js
DocumentRoot {dir}/htdocs
DirectoryIndex index.html
<Location />
    AuthType GSSAPI
    AuthName "spnpool"
    GssapiCredStore keytab:{dir}/http.keytab
    GssapiAllowedMech krb5
    Require valid-user
</Location>
"""


class SpnegoServer:
    """A real SPNEGO web server on ``host_ip``:``port`` with the keys of
    ``keytab``; a context manager.

    kind='python' (default): spnego_acceptor.py, python3-gssapi; every
    request is an event: status and, for a token, user and the principal
    whose key decrypted it (service), or the exact failure (GSS major and
    minor, krb5_code and krb5_error = its RFC 4120 number, krb5_text).
    kind='apache': Apache 2.4 with mod_auth_gssapi (prefork, foreground,
    workers as www-data, config/logs/pid/keytab copy in a temp dir);
    events are its access log (status, user, path), gss_errors() its
    error log's text.  For both, krb5_failures() and accepted() read the
    server's own KRB5_TRACE, so the error number is known for Apache too.

    Both accept with any key in the keytab (no acceptor name), like
    mod_auth_gssapi without GssapiAcceptorName.  start() returns once the
    port answers; stop() SIGTERMs the pid, SIGKILLs its process group
    (its own session) and removes the temp dir, so read events before.
    A server dies with its parent (PR_SET_PDEATHSIG) and at exit.
    """

    def __init__(self, keytab, host_ip, port=80, kind='python',
                 name=None, krb5_config=None, timeout=10.0):
        if kind not in ('python', 'apache'):
            raise ValueError('kind must be python or apache')
        self.keytab = os.path.abspath(keytab)
        self.host_ip = host_ip
        self.port = port
        self.kind = kind
        self.name = name or host_ip
        self.krb5_config = krb5_config
        self.timeout = timeout
        self.dir = None
        self.proc = None
        self.startup_seconds = None
        self.leftovers = []

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    @property
    def trace_path(self):
        return os.path.join(self.dir, 'krb5.trace')

    def start(self):
        require_netns()
        if self.running:
            return
        if _port_answers(self.host_ip, self.port):
            raise RuntimeError('%s:%d is already in use'
                               % (self.host_ip, self.port))
        began = time.monotonic()
        # Under /tmp, not the DC's run dir: www-data must traverse it.
        self.dir = tempfile.mkdtemp(prefix='spnpool-spnego-')
        atexit.register(self.stop)
        env = tool_env(krb5_config=self.krb5_config, trace=self.trace_path,
                       extra={'KRB5RCACHEDIR': os.path.join(self.dir,
                                                            'rcache')})
        env.pop('KRB5CCNAME', None)
        os.mkdir(os.path.join(self.dir, 'rcache'))
        out = open(os.path.join(self.dir, 'server.out'), 'wb')
        try:
            if self.kind == 'python':
                argv = [PYTHON, ACCEPTOR, '--keytab', self.keytab,
                        '--host', self.host_ip, '--port', str(self.port),
                        '--events', self.events_path]
            else:
                argv = self._prepare_apache(env)
            # A session of its own: stopping, Apache's parent SIGTERMs
            # its whole process group, which would otherwise be ours.
            self.proc = subprocess.Popen(
                argv, env=env, stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT, preexec_fn=_die_with_parent,
                start_new_session=True)
        finally:
            out.close()
        self._wait_ready()
        self.startup_seconds = time.monotonic() - began

    @property
    def events_path(self):
        name = 'events.jsonl' if self.kind == 'python' else 'access.log'
        return os.path.join(self.dir, name)

    def _prepare_apache(self, env):
        """Config, docroot and a keytab copy www-data can read, all in
        our temp dir (made traversable, nothing else world-readable)."""
        www = pwd.getpwnam(APACHE_USER)
        os.chmod(self.dir, 0o711)
        for sub in ('run', 'htdocs'):
            os.mkdir(os.path.join(self.dir, sub))
        os.chown(os.path.join(self.dir, 'rcache'), www.pw_uid, www.pw_gid)
        os.chmod(os.path.join(self.dir, 'htdocs'), 0o755)
        with open(os.path.join(self.dir, 'htdocs', 'index.html'), 'w') as f:
            f.write('OK\n')
        os.chmod(os.path.join(self.dir, 'htdocs', 'index.html'), 0o644)
        kt = os.path.join(self.dir, 'http.keytab')
        shutil.copyfile(self.keytab, kt)
        os.chown(kt, www.pw_uid, www.pw_gid)
        os.chmod(kt, 0o400)
        # www-data cannot read the DC's run dir (0700): give it a copy of
        # the krb5.conf in force, or no krb5 mechanism loads at all
        # ("SPNEGO cannot find mechanisms to negotiate").
        conf_in_force = (self.krb5_config or os.environ.get('KRB5_CONFIG')
                         or '/etc/krb5.conf')
        krb5_conf = os.path.join(self.dir, 'krb5.conf')
        shutil.copyfile(conf_in_force, krb5_conf)
        os.chmod(krb5_conf, 0o644)
        env['KRB5_CONFIG'] = krb5_conf
        # The trace file is opened by the children, as www-data.
        open(self.trace_path, 'w').close()
        os.chown(self.trace_path, www.pw_uid, www.pw_gid)
        conf = os.path.join(self.dir, 'httpd.conf')
        with open(conf, 'w') as f:
            f.write(APACHE_CONF.format(dir=self.dir, host=self.host_ip,
                                       port=self.port, user=APACHE_USER,
                                       mods=APACHE_MODULES, name=self.name,
                                       logformat=APACHE_LOGFORMAT))
        return [APACHE, '-d', self.dir, '-f', conf, '-DFOREGROUND']

    def _wait_ready(self):
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            if _port_answers(self.host_ip, self.port):
                return
            time.sleep(0.02)
        why = ('exited with %d' % self.proc.returncode
               if self.proc.poll() is not None else 'timeout')
        output = self.output()
        self.stop()
        raise RuntimeError('%s SPNEGO server on %s:%d did not start (%s):\n%s'
                           % (self.kind, self.host_ip, self.port, why,
                              output))

    def stop(self, timeout=10.0):
        """SIGTERM our pid (Apache's parent then stops its children) and
        wait; SIGKILL the process group if anything of it lingers."""
        proc, self.proc = self.proc, None
        if proc is not None:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            # The group is ours alone (start_new_session): children an
            # Apache parent failed to reap die here.
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.leftovers = _group_members(proc.pid)
        atexit.unregister(self.stop)
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def output(self):
        text = _read(os.path.join(self.dir, 'server.out')) if self.dir else ''
        if self.kind == 'apache' and self.dir:
            text += _read(os.path.join(self.dir, 'error.log'))
        return text

    def events(self, expect=0, timeout=3.0):
        """One dict per request served so far: status (and user, service,
        or major/minor/krb5_error/error for the python server).

        Apache logs a request only after sending the answer, so a read
        right after curl returns can miss it: with ``expect`` N, wait up
        to ``timeout`` seconds for N events.  (The python server records
        before it answers.)"""
        deadline = time.monotonic() + timeout
        while True:
            events = self._read_events()
            if len(events) >= expect or time.monotonic() > deadline:
                return events
            time.sleep(0.01)

    def _read_events(self):
        if not self.dir:
            return []
        events = []
        for line in _read(self.events_path).splitlines():
            if line.strip():
                event = json.loads(line)
                if event.get('user') == '-':
                    event['user'] = None
                events.append(event)
        return events

    def gss_errors(self):
        """Text of every failed accept so far."""
        if self.kind == 'python':
            return [e['error'] for e in self.events() if e.get('error')]
        log = _read(os.path.join(self.dir, 'error.log')) if self.dir else ''
        return re.findall(r'gss_accept_sec_context\(\) failed: (.*)', log)

    def trace(self):
        return _read(self.trace_path) if self.dir else ''

    def krb5_failures(self):
        """[(RFC 4120 error number or None, MIT code, text)] of every
        AP-REQ the server could not decrypt, from its KRB5_TRACE (works
        for both kinds; Apache logs only the text)."""
        return [(krb5_error_number(int(code)), int(code), text.strip())
                for code, text in _TRACE_FAILURE.findall(self.trace())]

    def accepted(self):
        """[(client, key's principal)] of every AP-REQ decrypted."""
        return _TRACE_ACCEPTED.findall(self.trace())

    def url(self, host, path='/'):
        port = '' if self.port == 80 else ':%d' % self.port
        return 'http://%s%s%s' % (host, port, path)


# MIT's com_err table "krb5" starts here: KRB5KRB_AP_ERR_* = base + the
# RFC 4120 error number.
KRB5_ERROR_BASE = 0x96C73A00
_TRACE_FAILURE = re.compile(r'Failed to decrypt AP-REQ ticket: (-?\d+)/(.*)')
_TRACE_ACCEPTED = re.compile(r'AP-REQ ticket: (\S+) -> (\S+), session key')


def krb5_error_number(code):
    """RFC 4120 error number of an MIT krb5 error code, or None."""
    offset = (code & 0xffffffff) - KRB5_ERROR_BASE
    return offset if 0 <= offset < 128 else None


def _group_members(pgid):
    """Pids still alive in process group ``pgid`` (zombies excluded)."""
    alive = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % entry) as f:
                fields = f.read().rpartition(')')[2].split()
        except OSError:
            continue
        # state, ppid, pgrp follow the parenthesised command name.
        if int(fields[2]) == pgid and fields[0] != 'Z':
            alive.append(int(entry))
    return alive


# -- AD-integrated DNS records ----------------------------------------------

def dns_fqdn(name):
    name = name.rstrip('.').lower()
    if name == DNSNAME or name.endswith('.' + DNSNAME):
        return name
    return '%s.%s' % (name, DNSNAME)


def dns_node_dn(db, name):
    """DN of the dnsNode for ``name`` (relative to the domain or an FQDN)
    in the domain's zone under DC=DomainDnsZones."""
    fqdn = dns_fqdn(name)
    label = fqdn[:-len(DNSNAME) - 1] or '@'
    return 'DC=%s,DC=%s,CN=MicrosoftDNS,DC=DomainDnsZones,%s' % (
        label, DNSNAME, db.domain_dn())


def dns_record(rtype, data, ttl=900, serial=1):
    """ndr_pack'ed dnsp.DnssrvRpcRecord (MS-DNSP 2.3.2.2), as provision
    writes them: version 5, rank DNS_RANK_ZONE, TTL big-endian."""
    from samba.dcerpc import dnsp
    from samba.ndr import ndr_pack
    rec = dnsp.DnssrvRpcRecord()
    rec.wType = rtype
    rec.rank = dnsp.DNS_RANK_ZONE
    rec.dwSerial = serial
    rec.dwTtlSeconds = ttl
    rec.data = data
    return ndr_pack(rec)


def add_dns_record(dc, name, packed):
    """Add one record to the node of ``name``, creating the node.  Uses
    dc.samdb(): the local sam.ldb while the DC is stopped (adding a dnsNode
    through a SamDB on sam.ldb works), LDAP as Administrator while it runs."""
    import ldb
    db = dc.samdb()
    dn = dns_node_dn(db, name)
    try:
        db.add({'dn': dn, 'objectClass': 'dnsNode', 'dnsRecord': [packed]})
    except ldb.LdbError as e:
        if e.args[0] != ldb.ERR_ENTRY_ALREADY_EXISTS:
            raise
        msg = ldb.Message(ldb.Dn(db, dn))
        msg['dnsRecord'] = ldb.MessageElement(packed, ldb.FLAG_MOD_ADD,
                                              'dnsRecord')
        db.modify(msg)
    return dn


def add_cname(dc, name, target):
    """``name`` IN CNAME ``target`` (both relative or FQDN)."""
    from samba.dcerpc import dnsp
    return add_dns_record(dc, name, dns_record(dnsp.DNS_TYPE_CNAME,
                                               dns_fqdn(target)))


def add_a(dc, name, ip):
    from samba.dcerpc import dnsp
    return add_dns_record(dc, name, dns_record(dnsp.DNS_TYPE_A, ip))


def enable_dns_server(dc):
    """Let the throwaway DC answer DNS on 127.0.0.1:53 (where the
    namespace's resolv.conf points), so names resolve through AD DNS
    after /etc/hosts.  Edits this run's copy of smb.conf only; the DC
    must be stopped.  Safe only inside the namespace: dc.py drops the
    provisioned `dns forwarder`, and only loopback exists there."""
    require_netns()
    if dc.running:
        raise RuntimeError('stop the DC before enabling its DNS server')
    with open(dc.smb_conf) as f:
        text = f.read()
    if 'dns forwarder' in text:
        raise RuntimeError('smb.conf has a dns forwarder; refusing')
    new, n = re.subn(r'(?m)^(\s*server services\s*=\s*ldap kdc)\s*$',
                     r'\1 dns', text)
    if n != 1 and not re.search(r'(?m)^\s*server services\s*=.*\bdns\b',
                                text):
        raise RuntimeError('no "server services = ldap kdc" in %s'
                           % dc.smb_conf)
    with open(dc.smb_conf, 'w') as f:
        f.write(new)


def resolve(name):
    """(canonical name, [IPv4 addresses]) as getaddrinfo(AI_CANONNAME)
    sees ``name`` in this namespace, or (None, []) if it does not
    resolve."""
    try:
        infos = socket.getaddrinfo(name, None, socket.AF_INET,
                                   socket.SOCK_STREAM, 0,
                                   socket.AI_CANONNAME)
    except socket.gaierror:
        return None, []
    return infos[0][3] or None, sorted({i[4][0] for i in infos})


__all__ = ['AES_ONLY', 'PRINCIPAL_UNKNOWN', 'WRONG_PRINCIPAL', 'HOSTS',
           'KerberosToolError', 'kinit', 'kvno', 'klist', 'curl_negotiate',
           'requested_principals', 'krb5_conf_variant', 'export_keytab',
           'export_computer_keytab', 'keytab_entries', 'SpnegoServer',
           'add_cname', 'add_a', 'dns_record', 'dns_node_dn',
           'enable_dns_server', 'resolve']
