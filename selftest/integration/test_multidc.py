"""Several writable DCs: the invariants hold for the domain, not one DC.

One pair of real Samba DCs (selftest/dcpair.py: DC1 on 127.0.0.1, the
PDC emulator; DC2 on 127.0.0.2) is shared by every test of this module.
Replication never happens on its own here: ``hold()`` disables inbound
replication on both DCs, ``sync()`` forces it, so "before replication"
and "after replication" are states the tests choose, not moments they
hope to hit.  Without routing writes through one DC every racing add
below creates a duplicate, every time (both DCs accept the value and
neither sees the other's).
"""

import json
import os
import subprocess
import sys
import tempfile
import unittest

import ldb
from samba import dsdb

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from common import (SAMBA_TOOL, EXIT_OK, EXIT_CONFLICT,  # noqa: E402
                    EXIT_CONNECTION, dcmod)

sys.path.insert(0, os.path.join(os.path.dirname(HERE)))
import dcpair  # noqa: E402

PAIR = None
DC1, DC2 = dcpair.FQDNS['dc1'], dcpair.FQDNS['dc2']
EXIT_FINDINGS = 8
EXIT_KERBEROS_FAILS = 11


# Accounts are made once, on DC1, and replicated once: a forced
# replication costs seconds.
POOL_SIZE = 24
POOL = []


def setUpModule():
    global PAIR
    if os.environ.get('SPNPOOL_SKIP_DC_PAIR') == '1':
        # runner.py's second pass (a domain named as Samba's ad_dc): the
        # pair takes its names from the same code as every suite, and a
        # second pair would cost about 4 minutes of CI per release.
        raise unittest.SkipTest('SPNPOOL_SKIP_DC_PAIR=1: the two-DC '
                                'suite runs in the first pass only')
    PAIR = dcpair.DCPair()
    try:
        PAIR.setup()
        PAIR.start()
        PAIR.hold()
        db = PAIR.dc1.samdb()
        for i in range(POOL_SIZE):
            name = 'mdc%d' % i
            password = 'Mdc-%d-aA1!x' % i
            db.add({'dn': 'CN=%s,CN=Users,%s' % (name, db.domain_dn()),
                    'objectClass': 'user', 'sAMAccountName': name,
                    'userAccountControl': str(dsdb.UF_NORMAL_ACCOUNT),
                    'unicodePwd': ('"%s"' % password).encode('utf-16-le')})
            POOL.append(name)
        PAIR.sync()
    except BaseException:
        PAIR.close()
        PAIR = None
        raise


def tearDownModule():
    if PAIR is not None:
        PAIR.close()


_counter = [0]


class PairTestCase(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        if PAIR is None:
            raise unittest.SkipTest('no DC pair')
        cls.pair = PAIR
        cls.env = dict(os.environ, **PAIR.environ())

    def unique(self, prefix):
        _counter[0] += 1
        return '%s%d' % (prefix, _counter[0])

    def users(self, *prefixes):
        """Fresh accounts, present on both DCs (made by setUpModule)."""
        taken = POOL[:len(prefixes)]
        del POOL[:len(prefixes)]
        self.assertEqual(len(taken), len(prefixes), 'POOL_SIZE too small')
        return taken

    def dn(self, name):
        return 'CN=%s,CN=Users,%s' % (name, dcpair.DOMAIN_NC)

    def argv(self, dc, *args, conn=None):
        if conn is None:
            conn = ['-H', 'ldap://%s' % dc.fqdn]
        if '--no-creds' in conn:
            conn = [c for c in conn if c != '--no-creds']
        else:
            conn = conn + ['-U%s%%%s' % (dcmod.USERNAME, dcpair.password()),
                           '--use-kerberos=off']
        return ([SAMBA_TOOL, 'spn', 'http-pool'] + list(args) +
                ['-s', dc.smb_conf] + conn)

    def tool(self, dc, *args, conn=None):
        proc = subprocess.run(self.argv(dc, *args, conn=conn), env=self.env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True, timeout=120)
        return proc.returncode, proc.stdout, proc.stderr

    def tool_json(self, dc, *args, expect=EXIT_OK, conn=None):
        rc, out, err = self.tool(dc, *args, '--json', conn=conn)
        self.assertEqual(rc, expect, 'exit %d\n%s\n%s' % (rc, out, err))
        return json.loads(out)

    def spawn(self, dc, *args):
        return subprocess.Popen(self.argv(dc, *args, '--json'),
                                env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE,
                                universal_newlines=True)

    def holders(self, dc, spn):
        """sAMAccountNames holding spn on one DC (read over LDAP)."""
        res = dc.samdb().search(
            dcpair.DOMAIN_NC, scope=ldb.SCOPE_SUBTREE,
            expression='(servicePrincipalName=%s)' % spn,
            attrs=['sAMAccountName'])
        return sorted(str(m['sAMAccountName'][0]) for m in res)

    def spns(self, dc, name):
        res = dc.samdb().search(self.dn(name), scope=ldb.SCOPE_BASE,
                                attrs=['servicePrincipalName'])
        return sorted(str(v).lower()
                      for v in res[0].get('servicePrincipalName', []))

    def foreign_add(self, dc, name, spn):
        """Another tool writing through one DC (a plain LDAP modify)."""
        db = dc.samdb()
        msg = ldb.Message(ldb.Dn(db, self.dn(name)))
        msg['servicePrincipalName'] = ldb.MessageElement(
            spn, ldb.FLAG_MOD_ADD, 'servicePrincipalName')
        db.modify(msg)

    @staticmethod
    def forms(host, domain=dcmod.DNSNAME):
        return sorted(['http/%s' % host.lower(),
                       'http/%s.%s' % (host.lower(), domain)])


class RacingAddsTests(PairTestCase):

    TRIALS = 3

    def test_racing_adds_of_one_name_through_two_dcs_leave_one_holder(self):
        """Every trial is a race of two adds, one through each DC, with
        replication held: without serialised writes each one ends in a
        duplicate.  The trials run at once."""
        accounts = self.users(*(['ra', 'rb'] * self.TRIALS))
        hosts = [self.unique('race') for _ in range(self.TRIALS)]
        procs = []
        for i, host in enumerate(hosts):
            a, b = accounts[2 * i], accounts[2 * i + 1]
            # Alternate which DC the first command talks to.
            first, second = ((self.pair.dc1, self.pair.dc2) if i % 2 == 0
                             else (self.pair.dc2, self.pair.dc1))
            procs.append((a, b, self.spawn(first, 'add', a, host),
                          self.spawn(second, 'add', b, host)))
        for i, (a, b, pa, pb) in enumerate(procs):
            results = [(p.wait(120), p.communicate()) for p in (pa, pb)]
            codes = sorted(rc for rc, _ in results)
            self.assertEqual(codes, [EXIT_OK, EXIT_CONFLICT],
                             'trial %d: %r' % (i, results))
            winner = a if results[0][0] == EXIT_OK else b
            loser_out = [out for rc, (out, _e) in results
                         if rc == EXIT_CONFLICT][0]
            doc = json.loads(loser_out)
            self.assertIn(self.dn(winner).lower(),
                          doc['error']['message'].lower())
            self.assertEqual(doc['dcs']['written_through'],
                             DC1)
        self.pair.sync()
        for host in hosts:
            for spn in self.forms(host):
                for dc in self.pair.dcs:
                    self.assertEqual(len(self.holders(dc, spn)), 1,
                                     '%s on %s' % (spn, dc.name))

    def test_add_after_another_dc_wrote_the_name_is_refused(self):
        """Sequential, replication held: what broke 19 of 33 times."""
        a, b = self.users('sa', 'sb')
        host = self.unique('seq')
        self.tool_json(self.pair.dc1, 'add', a, host)
        doc = self.tool_json(self.pair.dc2, 'add', b, host,
                             expect=EXIT_CONFLICT)
        self.assertIn(self.dn(a).lower(), doc['error']['message'].lower())
        self.pair.sync()
        for dc in self.pair.dcs:
            for spn in self.forms(host):
                self.assertEqual(self.holders(dc, spn), [a])

    def test_a_name_written_on_another_dc_by_another_tool_is_seen(self):
        """The peer check: a value only DC2 holds (written there by
        another tool, not replicated) makes an add through DC1 refuse."""
        a, b = self.users('fa', 'fb')
        host = self.unique('foreign')
        self.foreign_add(self.pair.dc2, b, 'http/%s.%s' % (host, dcmod.DNSNAME))
        doc = self.tool_json(self.pair.dc1, 'add', a, host,
                             expect=EXIT_CONFLICT)
        self.assertIn(self.dn(b).lower(), doc['error']['message'].lower())
        self.assertEqual(self.spns(self.pair.dc1, a), [])


class NothingLostTests(PairTestCase):

    def test_changes_to_one_account_through_two_dcs_all_survive(self):
        svc, = self.users('keep')
        old, h1, h2, h3 = [self.unique('h') for _ in range(4)]
        self.tool_json(self.pair.dc1, 'add', svc, old)
        self.pair.sync()
        self.tool_json(self.pair.dc1, 'add', svc, h1)
        self.tool_json(self.pair.dc2, 'add', svc, h2)
        # An add racing a remove on the same account, through both DCs.
        procs = [self.spawn(self.pair.dc1, 'add', svc, h3),
                 self.spawn(self.pair.dc2, 'remove', svc, old)]
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            self.assertEqual(proc.returncode, EXIT_OK, out + err)
        self.pair.sync()
        want = sorted(self.forms(h1) + self.forms(h2) + self.forms(h3))
        for dc in self.pair.dcs:
            self.assertEqual(self.spns(dc, svc), want, dc.name)

    def test_a_change_made_through_another_dc_is_kept(self):
        """Another tool changed the account's SPNs through DC2; writing
        through the PDC before that change arrives would have replication
        keep only one of the two: refused until replicated."""
        svc, = self.users('meta')
        mine = self.unique('mine')
        self.foreign_add(self.pair.dc2, svc, 'http/theirs.' + dcmod.DNSNAME)
        doc = self.tool_json(self.pair.dc2, 'add', svc, mine,
                             expect=EXIT_CONFLICT)
        self.assertIn('changed through ' + DC2,
                      doc['error']['message'])
        self.assertIn('replicate first', doc['error']['message'])
        self.assertEqual(self.spns(self.pair.dc1, svc), [])
        self.pair.sync()
        self.tool_json(self.pair.dc2, 'add', svc, mine)
        self.pair.sync()
        want = sorted(self.forms(mine) + ['http/theirs.' + dcmod.DNSNAME])
        for dc in self.pair.dcs:
            self.assertEqual(self.spns(dc, svc), want, dc.name)

    def test_apply_and_undo_through_two_dcs_keep_every_change(self):
        svc, = self.users('pool')
        site, other = self.unique('site'), self.unique('other')
        folder = tempfile.mkdtemp(prefix='spnpool-multidc-')
        self.addCleanup(subprocess.run, ['rm', '-rf', folder])
        pools = os.path.join(folder, 'pools')
        with open(pools, 'w') as f:
            f.write('[pool p]\nidentity = EXAMPLE\\%s\nhosts = %s\n'
                    % (svc, site))
        journal = os.path.join(folder, 'journal')
        doc = self.tool_json(self.pair.dc2, 'apply', '--pools-file', pools,
                             '--yes', '--journal', journal)
        self.assertEqual(doc['dcs']['written_through'], DC1)
        self.tool_json(self.pair.dc2, 'add', svc, other)
        self.pair.sync()
        for dc in self.pair.dcs:
            self.assertEqual(self.spns(dc, svc),
                             sorted(self.forms(site) + self.forms(other)))
        self.tool_json(self.pair.dc2, 'undo', journal)
        self.pair.sync()
        for dc in self.pair.dcs:
            self.assertEqual(self.spns(dc, svc), self.forms(other), dc.name)


class DisagreementTests(PairTestCase):

    def test_audit_and_check_name_the_dcs_that_disagree(self):
        a, b = self.users('da', 'db')
        host = self.unique('split')
        self.tool_json(self.pair.dc1, 'add', a, host)
        # Another tool gives the same name to b through DC2 before
        # replication: each DC alone is consistent.
        spn = 'http/%s.%s' % (host, dcmod.DNSNAME)
        self.foreign_add(self.pair.dc2, b, spn)
        doc = self.tool_json(self.pair.dc1, 'audit', expect=EXIT_FINDINGS)
        diffs = [d for d in doc['dcs']['disagreements']
                 if d['spn'].lower() == spn]
        by_dn = {d['dn'].lower(): d for d in diffs}
        self.assertEqual(set(by_dn), {self.dn(a).lower(), self.dn(b).lower()})
        self.assertEqual(by_dn[self.dn(b).lower()]['present_on'],
                         [DC2])
        self.assertEqual(by_dn[self.dn(b).lower()]['missing_on'],
                         [DC1])
        self.assertTrue(all(d['duplicate_after_replication']
                            for d in diffs))
        self.assertEqual(doc['dcs']['compared'],
                         [DC1, DC2])
        doc = self.tool_json(self.pair.dc1, 'check',
                             'http://%s.%s/' % (host, dcmod.DNSNAME), '--identity', a,
                             expect=EXIT_KERBEROS_FAILS)
        self.assertEqual(doc['verdict'], 'kerberos-ok')
        self.assertTrue(doc['dcs']['disagree'])
        verdicts = {v['dc']: v['verdict'] for v in doc['dcs']['verdicts']}
        self.assertEqual(verdicts, {DC1: 'kerberos-ok',
                                    DC2: 'kerberos-fails'})
        rc, out, _err = self.tool(self.pair.dc1, 'check', 'http://%s/' % host,
                                  '--identity', a)
        self.assertIn('the DCs disagree', out)
        # Clean up for the other tests' audits (b's change must reach the
        # PDC first, see test_a_change_made_through_another_dc_is_kept).
        self.pair.sync()
        self.tool_json(self.pair.dc1, 'remove', b, host)
        self.pair.sync()

    def test_audit_of_agreeing_dcs_reports_no_disagreement(self):
        self.pair.sync()
        rc, out, err = self.tool(self.pair.dc2, 'audit', '--json')
        doc = json.loads(out)
        # Other tests leave half registrations (findings, exit 8).
        self.assertIn(rc, (EXIT_OK, EXIT_FINDINGS), err)
        self.assertEqual(doc['dcs']['disagreements'], [])
        self.assertFalse(doc['dcs']['partial'])


class LocalSamLdbTests(PairTestCase):
    """-H the DC's own sam.ldb: the other DC is found in the directory
    and reached over LDAP with the command's credentials."""

    def local(self):
        return ['-H', self.pair.dc1.sam_ldb]

    def test_local_add_checks_the_other_dc(self):
        a, b = self.users('la', 'lb')
        host = self.unique('local')
        self.foreign_add(self.pair.dc2, b, 'http/%s.%s' % (host, dcmod.DNSNAME))
        doc = self.tool_json(self.pair.dc1, 'add', a, host,
                             conn=self.local(), expect=EXIT_CONFLICT)
        self.assertIn(self.dn(b).lower(), doc['error']['message'].lower())
        other = self.unique('local')
        doc = self.tool_json(self.pair.dc1, 'add', a, other,
                             conn=self.local())
        self.assertEqual(doc['dcs']['written_through'], DC1)
        self.assertEqual(self.spns(self.pair.dc1, a), self.forms(other))

    def test_local_without_credentials_says_it_cannot_check(self):
        a, = self.users('nc')
        host = self.unique('nocreds')
        conn = self.local() + ['--no-creds']
        rc, out, err = self.tool(self.pair.dc1, 'add', a, host, conn=conn)
        self.assertEqual(rc, EXIT_CONNECTION, out + err)
        self.assertIn(DC2 + ': no credentials', err)
        self.assertEqual(self.spns(self.pair.dc1, a), [])
        rc, out, err = self.tool(self.pair.dc1, 'audit', conn=conn)
        self.assertIn('partial view: ' + DC2, out)


class UnreachableTests(PairTestCase):

    def test_unreachable_dc_is_named_and_writes_refuse(self):
        svc, = self.users('gone')
        host = self.unique('down')
        self.pair.dc2.stop()
        self.addCleanup(self.pair.hold)
        self.addCleanup(self.pair.dc2.start)
        rc, out, err = self.tool(self.pair.dc1, 'add', svc, host)
        self.assertEqual(rc, EXIT_CONNECTION, out + err)
        self.assertIn(DC2, err)
        self.assertIn('--accept-partial', err)
        self.assertEqual(self.spns(self.pair.dc1, svc), [])
        doc = self.tool_json(self.pair.dc1, 'add', svc, host,
                             '--accept-partial')
        self.assertEqual([u['dc'] for u in doc['dcs']['unreachable']],
                         [DC2])
        self.assertEqual(self.spns(self.pair.dc1, svc), self.forms(host))
        rc, out, err = self.tool(self.pair.dc1, 'audit')
        self.assertIn('partial view: ' + DC2, out)
        doc = json.loads(self.tool(self.pair.dc1, 'audit', '--json')[1])
        self.assertTrue(doc['dcs']['partial'])
        doc = self.tool_json(self.pair.dc1, 'check', 'http://%s/' % host,
                             '--identity', svc)
        self.assertTrue(doc['dcs']['partial'])
        self.assertEqual([v['dc'] for v in doc['dcs']['verdicts']],
                         [DC1])


if __name__ == '__main__':
    unittest.main()
