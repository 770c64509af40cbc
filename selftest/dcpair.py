#!/usr/bin/python3
"""Two writable Samba AD DCs of one domain, for the several-DC tests.

    selftest/dcpair.py provision        build the cached pair
    selftest/dcpair.py run -- CMD       run CMD next to a fresh started pair

DC1 (the harness's DC name, e.g. dc1.<dnsname>) listens on 127.0.0.1, DC2
(the same name with a "2") on
127.0.0.2, both inside the private network namespace of selftest/netns-run.
Provisioning DC1, joining DC2 and making the first replication take 30-110
s, so it happens once into build/selftest-cache/ (keyed by the Samba
version and RECIPE); every run copies the pair and starts it.

Replication is driven by the tests, never by time: ``hold()`` sets
DISABLE_INBOUND_REPL on both DCs, ``sync()`` forces a replication of the
domain partition in both directions (``--sync-forced``: it works while
replication is held, which stays in place).
What was measured while building this (Samba 4.17): ``samba -M single``
deadlocks when the DC asks its own KDC for a replication ticket, so both
run ``-M standard``; the first replication needs ``--add-ref`` (done once
in the template) or the first change takes minutes to travel; no DNS
service is needed when each DC's ``<ntds-guid>._msdcs`` name is in the
namespace's /etc/hosts, which ``setup()`` writes.  Set
SPNPOOL_KEEP_PAIR_BUILD=1 to keep the build folder of a failed build for
inspection.
"""

import argparse
import atexit
import hashlib
import fcntl
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import ldb
import samba
from samba.dcerpc import misc
from samba.ndr import ndr_unpack

import dc as dcmod

CACHE = dcmod.CACHE
RECIPE = 1  # bump whenever the recipe below changes
SERVICES = 'ldap kdc rpc drepl kcc'
RUN_SERVICES = 'ldap kdc rpc drepl'
NAMES = ('dc1', 'dc2')  # the two roles; host names below
IPS = {'dc1': '127.0.0.1', 'dc2': '127.0.0.2'}
# The domain's names come from dc.py (the selftest environment, else the
# harness's own); DC2 is DC1's host name with a "2" (NetBIOS: 15 chars).
HOSTS = {'dc1': dcmod.HOSTNAME, 'dc2': dcmod.HOSTNAME[:14] + '2'}
FQDNS = {role: '%s.%s' % (host, dcmod.DNSNAME)
         for role, host in HOSTS.items()}
DOMAIN_NC = ','.join('DC=' + part for part in dcmod.DNSNAME.split('.'))


def password():
    """The admin password: the same as the single throwaway DC's (the
    environment's, else the one its template was made with), so every
    helper of dc.py that logs in works on the pair too."""
    if not dcmod._given_password():
        dcmod.ensure_template()
    return dcmod.password()


def template_dir():
    key = '\0'.join([dcmod.REALM, dcmod.DOMAIN, dcmod.HOSTNAME,
                      dcmod.USERNAME, password()])
    return os.path.join(CACHE, 'dcpair-%s-r%d-%s' % (
        samba.version, RECIPE,
        hashlib.sha256(key.encode()).hexdigest()[:12]))


def add_loopback_address():
    """DC2's address; only possible (and needed) inside the namespace."""
    subprocess.run(['ip', 'addr', 'add', IPS['dc2'] + '/8', 'dev', 'lo'],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def set_globals(conf, values):
    """Replace or add ``key = value`` lines in [global]."""
    with open(conf) as f:
        lines = f.readlines()
    out, done = [], set()
    for line in lines:
        key = line.split('=', 1)[0].strip().lower()
        if key in values:
            if key not in done:
                out.append('\t%s = %s\n' % (key, values[key]))
                done.add(key)
            continue
        out.append(line)
        if line.strip().lower() == '[global]':
            for k, v in values.items():
                if k not in done:
                    out.append('\t%s = %s\n' % (k, v))
                    done.add(k)
    with open(conf, 'w') as f:
        f.writelines(out)


def ntds_guid(conf, url):
    """objectGUID of the DC's nTDSDSA object (its _msdcs host name)."""
    db = dcmod.open_samdb(conf, url)
    res = db.search(base='', scope=ldb.SCOPE_BASE, attrs=['dsServiceName'])
    dsa = str(res[0]['dsServiceName'][0])
    res = db.search(base=dsa, scope=ldb.SCOPE_BASE, attrs=['objectGUID'])
    return str(ndr_unpack(misc.GUID, res[0]['objectGUID'][0]))


def write_hosts(guids):
    """Names the DCs use to reach each other (DRS uses the _msdcs one)."""
    lines = []
    msdcs = '_msdcs.' + dcmod.DNSNAME
    for name in NAMES:
        lines.append('%s\t%s %s\n' % (IPS[name], FQDNS[name], HOSTS[name]))
        if name in guids:
            lines.append('%s\t%s.%s\n' % (IPS[name], guids[name], msdcs))
    with open('/etc/hosts') as f:
        kept = [line for line in f
                if not any(n in line.split() for n in FQDNS.values()) and
                msdcs not in line]
    with open('/etc/hosts', 'w') as f:
        f.writelines(kept + lines)


def _port_open(ip, port):
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((ip, port)) == 0


def samba_tool(conf, *args, check=True):
    argv = (['samba-tool'] + list(args) +
            ['-s', conf, '-U%s%%%s' % (dcmod.USERNAME, password())])
    res = subprocess.run(argv, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         timeout=300)
    if check and res.returncode != 0:
        raise RuntimeError('%s failed (%d):\n%s' % (
            ' '.join(argv[:4]), res.returncode,
            res.stdout.decode(errors='replace')))
    return res


class _Server:
    """One DC of the pair: its folder, config and process."""

    def __init__(self, name, root):
        self.name = name
        self.ip = IPS[name]
        self.root = root
        self.fqdn = FQDNS[name]
        self.proc = None

    smb_conf = property(lambda self: os.path.join(self.root, 'etc',
                                                  'smb.conf'))
    sam_ldb = property(lambda self: os.path.join(self.root, 'private',
                                                 'sam.ldb'))
    url = property(lambda self: 'ldap://%s' % self.ip)
    log = property(lambda self: self.root + '.log')
    running = property(lambda self: self.proc is not None
                       and self.proc.poll() is None)

    def start(self, timeout=60.0):
        if self.running:
            return
        self.proc = dcmod.start_samba(self.root, self.log, 'standard')
        deadline = time.monotonic() + timeout
        error = 'timeout'
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                error = 'samba exited with %d' % self.proc.returncode
                break
            if _port_open(self.ip, 389) and _port_open(self.ip, 88):
                try:
                    self.samdb().search(base='', scope=ldb.SCOPE_BASE,
                                        attrs=['dnsHostName'])
                    return
                except ldb.LdbError as e:
                    error = str(e)
            time.sleep(0.1)
        self.stop()
        with open(self.log, errors='replace') as f:
            tail = ''.join(f.readlines()[-30:])
        raise RuntimeError('%s not ready (%s):\n%s' % (self.name, error,
                                                      tail))

    def stop(self):
        dcmod.stop_samba(self.proc)
        self.proc = None

    def samdb(self):
        return dcmod.open_samdb(self.smb_conf, self.url)


def _build_pair(build):
    """Provision DC1, join DC2, replicate once with --add-ref."""
    dc1 = _Server('dc1', os.path.join(build, 'dc1'))
    dc2 = _Server('dc2', os.path.join(build, 'dc2'))
    os.makedirs(dc1.root)
    dcmod.provision_into(dc1.root, password())
    set_globals(dc1.smb_conf, {'server services': SERVICES,
                               'interfaces': IPS['dc1'],
                               'bind interfaces only': 'yes'})
    write_hosts({})
    dc1.start()
    try:
        os.makedirs(os.path.join(dc2.root, 'etc'))
        dcmod.run_checked([
            'samba-tool', 'domain', 'join', dcmod.DNSNAME, 'DC',
            '--targetdir=' + dc2.root, '--server=' + dc1.fqdn,
            '--site=Default-First-Site-Name', '--dns-backend=NONE',
            '-U%s\\%s%%%s' % (dcmod.DOMAIN, dcmod.USERNAME, password()),
            '--option=netbios name=' + HOSTS['dc2'].upper(),
            '--option=interfaces=' + IPS['dc2'],
            '--option=bind interfaces only=yes'])
        dcmod.tune_smb_conf(dc2.smb_conf, dc2.root)
        # The join copies paths of the joining process's configuration
        # (DC1's); every one must be DC2's own.
        paths = {}
        for line in dcmod.EXTRA_GLOBALS.format(root=dc2.root).splitlines():
            key, value = line.split('=', 1)
            paths[key.strip()] = value.strip()
        paths.update({'server services': SERVICES,
                      'interfaces': IPS['dc2'],
                      'bind interfaces only': 'yes'})
        set_globals(dc2.smb_conf, paths)
        dc2.start()
        try:
            guids = {s.name: ntds_guid(s.smb_conf, s.url)
                     for s in (dc1, dc2)}
            write_hosts(guids)
            for dest, src in ((dc2, dc1), (dc1, dc2)):
                samba_tool(dest.smb_conf, 'drs', 'replicate', dest.fqdn,
                           src.fqdn, DOMAIN_NC, '--add-ref')
        finally:
            dc2.stop()
    finally:
        dc1.stop()
    return guids


def ensure_pair():
    """The cached pair's folder (built once, under a lock)."""
    if not dcmod.in_netns():
        raise RuntimeError('not inside selftest/netns-run')
    add_loopback_address()
    final = template_dir()
    if os.path.isdir(final):
        return final
    os.makedirs(CACHE, exist_ok=True)
    with open(os.path.join(CACHE, '.lock-pair'), 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.isdir(final):
            return final
        build = tempfile.mkdtemp(prefix='spnpool-pair-')
        incoming = os.path.join(CACHE, '.incoming-pair-%d' % os.getpid())
        try:
            guids = _build_pair(build)
            os.makedirs(incoming)
            for name in NAMES:
                shutil.copytree(os.path.join(build, name),
                                os.path.join(incoming, name), symlinks=True,
                                ignore=dcmod._ignore_runtime)
                dcmod.rewrite_paths(
                    os.path.join(incoming, name, 'etc', 'smb.conf'),
                    build, final)
            with open(os.path.join(incoming, 'guids'), 'w') as f:
                for name in NAMES:
                    f.write('%s %s\n' % (name, guids[name]))
            os.rename(incoming, final)
        finally:
            if not os.environ.get('SPNPOOL_KEEP_PAIR_BUILD'):
                shutil.rmtree(build, ignore_errors=True)
            shutil.rmtree(incoming, ignore_errors=True)
    return final


class DCPair:
    """A private copy of the cached pair; ``dcs`` are DC1 and DC2."""

    def __init__(self):
        self.run_dir = None
        self.dcs = []
        self.held = False

    dc1 = property(lambda self: self.dcs[0])
    dc2 = property(lambda self: self.dcs[1])

    def __enter__(self):
        try:
            self.setup()
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    def setup(self):
        template = ensure_pair()
        self.run_dir = tempfile.mkdtemp(prefix='spnpool-pair-')
        atexit.register(self.close)
        guids = {}
        with open(os.path.join(template, 'guids')) as f:
            for line in f:
                name, guid = line.split()
                guids[name] = guid
        write_hosts(guids)
        for name in NAMES:
            root = os.path.join(self.run_dir, name)
            shutil.copytree(os.path.join(template, name), root,
                            symlinks=True, ignore=dcmod._ignore_runtime)
            conf = os.path.join(root, 'etc', 'smb.conf')
            dcmod.rewrite_paths(conf, template, self.run_dir)
            # No kcc at run time: its periodic runs would replicate on
            # their own schedule (and DC2, joined without DNS partitions,
            # logs errors for them); tests replicate with sync().
            set_globals(conf, {'server services': RUN_SERVICES})
            self.dcs.append(_Server(name, root))
        shutil.copyfile('/etc/krb5.conf',
                        os.path.join(self.run_dir, 'krb5.conf'))

    def start(self):
        for server in self.dcs:
            server.start()

    def close(self):
        for server in self.dcs:
            server.stop()
        atexit.unregister(self.close)
        if self.run_dir:
            shutil.rmtree(self.run_dir, ignore_errors=True)
            self.run_dir = None
        self.dcs = []

    def environ(self):
        return {
            'SERVER': self.dc1.fqdn, 'SERVER_IP': self.dc1.ip,
            'USERNAME': dcmod.USERNAME, 'PASSWORD': password(),
            'REALM': dcmod.REALM, 'DOMAIN': dcmod.DOMAIN,
            'DNSNAME': dcmod.DNSNAME, 'SMB_CONF_PATH': self.dc1.smb_conf,
            'SPNPOOL_DC_DIR': self.dc1.root,
            'SPNPOOL_SAM_LDB': self.dc1.sam_ldb,
            'KRB5_CONFIG': os.path.join(self.run_dir, 'krb5.conf'),
            'KRB5CCNAME': 'FILE:' + os.path.join(self.run_dir, 'krb5cc'),
        }

    def _dsa_option(self, sign):
        procs = [subprocess.Popen(
            ['samba-tool', 'drs', 'options', server.fqdn,
             '--dsa-option=%sDISABLE_INBOUND_REPL' % sign,
             '-s', server.smb_conf,
             '-U%s%%%s' % (dcmod.USERNAME, password())],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
            for server in self.dcs if server.running]
        if any(proc.wait(300) != 0 for proc in procs):
            raise RuntimeError('samba-tool drs options failed')

    def hold(self):
        """No replication until sync() or release(): deterministic."""
        self._dsa_option('+')
        self.held = True

    def release(self):
        self._dsa_option('-')
        self.held = False

    def sync(self):
        """Replicate the domain partition both ways, now (forced, so it
        works while held; both directions at once)."""
        procs = [subprocess.Popen(
            ['samba-tool', 'drs', 'replicate', dest.fqdn, src.fqdn,
             DOMAIN_NC, '--sync-forced', '-s', dest.smb_conf,
             '-U%s%%%s' % (dcmod.USERNAME, password())],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT)
            for dest, src in ((self.dc2, self.dc1), (self.dc1, self.dc2))]
        errors = []
        for proc in procs:
            out = proc.communicate(timeout=300)[0]
            if proc.returncode != 0:
                errors.append(out.decode(errors='replace'))
        if errors:
            raise RuntimeError('drs replicate failed:\n' + '\n'.join(errors))


def _main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = parser.add_subparsers(dest='command', required=True)
    sub.add_parser('provision')
    run = sub.add_parser('run')
    run.add_argument('cmd', nargs=argparse.REMAINDER)
    args = parser.parse_args()
    if not dcmod.in_netns():
        here = os.path.abspath(__file__)
        os.execv(dcmod.NETNS_RUN, [dcmod.NETNS_RUN, sys.executable, here]
                 + sys.argv[1:])
    if args.command == 'provision':
        start = time.monotonic()
        print('%s (%.1f s)' % (ensure_pair(), time.monotonic() - start))
        return 0
    cmd = args.cmd[1:] if args.cmd[:1] == ['--'] else args.cmd
    with DCPair() as pair:
        env = dict(os.environ, **pair.environ())
        return subprocess.call(cmd or ['true'], env=env)


if __name__ == '__main__':
    sys.exit(_main())
