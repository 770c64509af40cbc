"""Shared plumbing of the integration suites: a throwaway DC per test
class, the samba-tool under test, unique account names.

Runs inside selftest/netns-run (the runner starts it so).  The command
under test is the build tree's samba-tool launcher, or the one named by
SPNPOOL_SAMBA_TOOL (e.g. an installed /usr/local/bin/samba-tool).

The domain's names come from the variables Samba's selftest exports
(REALM, DOMAIN, DNSNAME, SERVER, USERNAME, PASSWORD; selftest/dc.py reads
them and falls back to its own), and every expectation is built from
them: the suites assume no realm, domain, host or password.  The fixtures
of selftest/fixtures/ are written for the harness's fallback domain (the
C suites read them as they are); fixture() rewrites a copy for the domain
in use.
"""

import atexit
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, 'selftest'))

import dc as dcmod  # noqa: E402

# The domain under test (selftest/dc.py: from the environment, else the
# harness's own).  DNS_MIXED spells the DNS name in mixed case, for the
# tests proving that names compare case-insensitively.
REALM = dcmod.REALM
DOMAIN = dcmod.DOMAIN
DNSNAME = dcmod.DNSNAME
DNS_MIXED = '.'.join(label.capitalize() for label in DNSNAME.split('.'))
DOMAIN_DN = ','.join('DC=' + label for label in DNSNAME.split('.'))
FIXTURES = os.path.join(REPO, 'selftest', 'fixtures')
_fixture_dir = None


def fixture(name):
    """selftest/fixtures/NAME, its domain names rewritten for the domain
    under test (a copy in a temp dir removed at exit)."""
    global _fixture_dir
    if _fixture_dir is None:
        _fixture_dir = tempfile.mkdtemp(prefix='spnpool-fixtures-')
        atexit.register(shutil.rmtree, _fixture_dir, True)
    path = os.path.join(_fixture_dir, name)
    if not os.path.exists(path):
        with open(os.path.join(FIXTURES, name), 'rb') as f:
            data = f.read()
        with open(path, 'wb') as f:
            f.write(dcmod.localize(data))
    return path

SAMBA_TOOL = os.environ.get('SPNPOOL_SAMBA_TOOL',
                            os.path.join(REPO, 'build', 'bin', 'samba-tool'))

# Exit codes (docs/samba-tool-spn-http-pool.8, EXIT STATUS).
EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_NO_IDENTITY = 3
EXIT_CONFLICT = 4
EXIT_ACCESS = 5
EXIT_CONNECTION = 6
EXIT_AUTH = 7

_names = itertools.count(1)


def journal_text(*records):
    """A journal made of records, each with the chained checksum apply
    writes (docs: JOURNAL): a journal as a forger would write it."""
    chain, lines = 0, []
    for record in records:
        data = record.encode('utf-8')
        chain = zlib.crc32(data, zlib.crc32(b'%08x' % chain))
        lines.append('%s\t%08x\n' % (record, chain))
    return ''.join(lines)


class DCTestCase(unittest.TestCase):
    """Base: one throwaway DC per class; `transport` picks the path.

    embedded: -H <dc>/private/sam.ldb with the server stopped (samba-tool
    on a DC without a server); ldap: the server runs on loopback and the
    tool connects as Administrator.
    """

    transport = None

    @classmethod
    def make_dc(cls):
        """The class's throwaway DC, not yet set up."""
        return dcmod.ThrowawayDC(start=(cls.transport == 'ldap'))

    @classmethod
    def setUpClass(cls):
        if cls.transport is None:
            raise unittest.SkipTest('abstract base')
        cls.dc = cls.make_dc()
        cls.dc.setup()
        try:
            if cls.transport == 'ldap':
                cls.dc.start()
            cls.env = dict(os.environ)
            cls.env.update(cls.dc.environ())
        except BaseException:
            cls.dc.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.dc.close()

    # -- accounts --------------------------------------------------------

    def unique(self, prefix):
        return '%s%d' % (prefix, next(_names))

    def user(self, prefix='svc', spns=(), **kw):
        return self.dc.create_user(self.unique(prefix), spns=spns, **kw)

    def computer(self, prefix='web', spns=None):
        """A joined computer: HOST/ SPNs for both of its names."""
        name = self.unique(prefix)
        if spns is None:
            spns = ['HOST/%s' % name, 'HOST/%s.%s' % (name, DNSNAME)]
        return self.dc.create_computer(name, spns=spns)

    def spns_of(self, dn):
        res = self.dc.samdb().search(dn, scope=0,
                                     attrs=['servicePrincipalName'])
        return sorted(str(v) for v in
                      res[0].get('servicePrincipalName', []))

    # -- the command -------------------------------------------------------

    def connection_args(self):
        if self.transport == 'ldap':
            return ['-H', 'ldap://127.0.0.1',
                    '-U%s%%%s' % (self.env['USERNAME'],
                                  self.env['PASSWORD'])]
        return ['-H', self.env['SPNPOOL_SAM_LDB']]

    def argv(self, *args, conn=None):
        return ([SAMBA_TOOL, 'spn', 'http-pool'] + list(args) +
                ['-s', self.env['SMB_CONF_PATH']] +
                (self.connection_args() if conn is None else conn))

    def tool(self, *args, conn=None):
        """(exit code, stdout, stderr) of samba-tool spn http-pool ARGS."""
        proc = subprocess.run(self.argv(*args, conn=conn), env=self.env,
                              stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE,
                              universal_newlines=True, timeout=120)
        return proc.returncode, proc.stdout, proc.stderr

    def tool_json(self, *args, conn=None, expect=EXIT_OK):
        rc, out, err = self.tool(*args, '--json', conn=conn)
        self.assertEqual(rc, expect, 'exit %d\nstdout: %s\nstderr: %s' %
                         (rc, out, err))
        try:
            doc = json.loads(out)
        except ValueError:
            self.fail('--json printed no JSON: %r (stderr %r)' % (out, err))
        return doc

    def assertOneLineError(self, err, *needles):
        """Our error is one line starting with ERROR.  (Samba's libraries
        may log their own lines, e.g. a failed Kerberos attempt before the
        NTLM fallback; those are not ours to hide.)"""
        lines = [line for line in err.splitlines()
                 if line.startswith('ERROR')]
        self.assertEqual(len(lines), 1, 'not one ERROR line: %r' % err)
        for needle in needles:
            self.assertIn(needle, lines[0])


def both_transports(mixin):
    """Two concrete TestCase classes from a mixin: embedded and ldap."""
    module = sys.modules[mixin.__module__]
    for transport in ('embedded', 'ldap'):
        name = '%s_%s' % (mixin.__name__, transport)
        cls = type(name, (mixin, DCTestCase), {'transport': transport})
        cls.__module__ = mixin.__module__
        setattr(module, name, cls)
    return mixin
