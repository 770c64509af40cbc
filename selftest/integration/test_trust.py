"""Trust boundaries against a real Samba AD DC, through the embedded
sam.ldb and over LDAP: a plan file can never make `apply` do what `add`
and `remove` would refuse (docs/design.md, "A plan is untrusted"), and
privileged
accounts never receive SPNs unless the admin says so (exit 9).

Every way of tampering with a plan is here: ldap/, HOST/, cifs/ and krbtgt/
SPNs, Administrator, krbtgt and the DC as targets, deletes of the DC's
own HOST/ and ldap/ SPNs, a duplicate JSON key smuggling a value past
the reviewer, and changes that differ from the digest reviewed.
"""

import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile

import ldb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import (EXIT_BAD_INPUT, EXIT_OK, DCTestCase,  # noqa: E402
                    DNSNAME, DOMAIN, DOMAIN_DN, REALM, both_transports,
                    dcmod, journal_text)

EXIT_PRIVILEGED = 9

DC_FQDN = dcmod.SERVER_FQDN
DC_ACCOUNT = dcmod.HOSTNAME.upper() + '$'
ADMINISTRATOR = 'CN=Administrator,CN=Users,' + DOMAIN_DN
KRBTGT = 'CN=krbtgt,CN=Users,' + DOMAIN_DN
GUEST = 'CN=Guest,CN=Users,' + DOMAIN_DN
DC = 'CN=%s,OU=Domain Controllers,%s' % (dcmod.HOSTNAME.upper(), DOMAIN_DN)


@both_transports
class TrustTests:

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.db = cls.dc.samdb()
            cls.svc = cls.dc.create_user('svc-trust')
            cls.admin = cls.dc.create_user('svc-da')
            cls.db.add_remove_group_members(
                'Domain Admins', ['svc-da'], add_members_operation=True)
            cls.off = cls.dc.create_user('svc-off', enabled=False)
        except BaseException:
            cls.dc.close()
            raise

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix='spnpool-trust-')
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)

    # -- helpers -------------------------------------------------------------

    def spns(self, dn):
        res = self.db.search(dn, scope=ldb.SCOPE_BASE,
                             attrs=['servicePrincipalName'])
        return sorted(str(v) for v in
                      res[0].get('servicePrincipalName', []))

    def snapshot(self):
        return {dn: self.spns(dn) for dn in (
            ADMINISTRATOR, KRBTGT, GUEST, DC, self.svc.dn, self.admin.dn,
            self.off.dn)}

    def clear(self, dn):
        msg = ldb.Message(ldb.Dn(self.db, dn))
        msg['servicePrincipalName'] = ldb.MessageElement(
            [], ldb.FLAG_MOD_REPLACE, 'servicePrincipalName')
        self.db.modify(msg)

    def good_plan(self):
        """A real plan: svc-trust serves trustshop."""
        pools = os.path.join(self.tmp, 'pools.conf')
        with open(pools, 'w') as f:
            f.write(f'[pool shop]\nidentity = {DOMAIN}\\svc-trust\n'
                    'hosts = trustshop\n')
        doc = self.tool_json('plan', '--pools-file', pools, '--server',
                             'web01')
        self.assertEqual([(c['action'], c['dn'], c['spn'])
                          for c in doc['changes']],
                         [('add', self.svc.dn, 'http/TRUSTSHOP'),
                          ('add', self.svc.dn,
                           f'http/trustshop.{DNSNAME}')])
        self.assertTrue(doc['digest'].startswith('sha256:'))
        return doc

    def save(self, doc, name):
        path = os.path.join(self.tmp, name)
        with open(path, 'w') as f:
            f.write(doc if isinstance(doc, str) else json.dumps(doc))
        return path

    def parallel(self, runs):
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            return list(pool.map(lambda args: self.tool(*args), runs))

    # -- tampered plans --------------------------------------------------------

    def test_tampered_plans_are_refused_and_nothing_is_written(self):
        good = self.good_plan()
        before = self.snapshot()
        cases = []

        def tampered(needle, expect=EXIT_BAD_INPUT, **edit):
            doc = json.loads(json.dumps(good))
            doc.pop('digest')  # the tamperer recomputes or drops it
            if 'identity' in edit:
                doc['names'][0]['users'][0]['identity'] = edit['identity']
                doc['changes'] = []
            if 'change' in edit:
                doc['changes'].append(edit['change'])
            cases.append((doc, needle, expect))

        def add(dn, spn):
            return {'action': 'add', 'dn': dn, 'spn': spn,
                    'sam_account_name': None, 'reason': None}

        def delete(dn, spn):
            return dict(add(dn, spn), action='delete')

        for spn in (f'ldap/trustshop.{DNSNAME}', 'HOST/trustshop',
                    'cifs/trustshop', f'krbtgt/{REALM}'):
            tampered('only changes http/', change=add(self.svc.dn, spn))
        tampered('port or service-name',
                 change=add(self.svc.dn, 'http/trustshop:8080'))
        tampered("not one of the plan's names",
                 change=add(self.svc.dn, f'http/evil.{DNSNAME}'))
        for dn in (ADMINISTRATOR, KRBTGT, DC):
            tampered('not the account of any pool serving',
                     change=add(dn, f'http/trustshop.{DNSNAME}'))
        for spn in (f'HOST/{DC_FQDN}', f'ldap/{DC_FQDN}'):
            tampered('only changes http/', change=delete(DC, spn))
        # the plan's own identity edited: the privileged check still holds
        for identity, dn, why in (
                ('Administrator', ADMINISTRATOR, "Administrator"),
                ('krbtgt', KRBTGT, 'krbtgt'),
                (DC_ACCOUNT, DC, 'a domain controller'),
                ('svc-da', self.admin.dn, 'Domain Admins'),
                ('svc-off', self.off.dn, 'disabled')):
            tampered(why, EXIT_PRIVILEGED, identity=identity,
                     change=add(dn, f'http/trustshop.{DNSNAME}'))

        runs, needles = [], []
        for i, (doc, needle, expect) in enumerate(cases):
            runs.append(('apply', self.save(doc, 'bad%d.json' % i),
                         '--journal', os.path.join(self.tmp, 'j%d' % i)))
            needles.append((needle, expect))

        # a duplicate key smuggles a value the reviewer never saw
        text = json.dumps(good)
        smuggled = text.replace(
            '"spn": "http/TRUSTSHOP"',
            '"spn": "http/TRUSTSHOP", "spn": "ldap/smuggled"', 1)
        self.assertNotEqual(smuggled, text)
        runs.append(('apply', self.save(smuggled, 'dup.json')))
        needles.append(('"spn" appears twice', EXIT_BAD_INPUT))
        # unknown keys and wrong types
        runs.append(('apply', self.save(dict(good, extra=1), 'key.json')))
        needles.append(('unknown key "extra"', EXIT_BAD_INPUT))
        doc = json.loads(text)
        doc['names'][0]['users'][0]['identity'] = 7
        runs.append(('apply', self.save(doc, 'type.json')))
        needles.append(('"identity" must be a string', EXIT_BAD_INPUT))
        # edited changes with the digest left as reviewed
        doc = json.loads(text)
        doc['changes'][0]['spn'] = 'http/elsewhere'
        runs.append(('apply', self.save(doc, 'digest.json')))
        needles.append(('do not match its "digest"', EXIT_BAD_INPUT))
        # a plan whose changes are not the ones --expect names
        doc = json.loads(text)
        doc.pop('digest')
        doc['changes'].pop()
        runs.append(('apply', self.save(doc, 'expect.json'), '--expect',
                     good['digest']))
        needles.append(('not the ones reviewed', EXIT_BAD_INPUT))

        for args, (rc, out, err), (needle, expect) in zip(
                runs, self.parallel(runs), needles):
            self.assertEqual(rc, expect, '%r: %s %s' % (args, out, err))
            self.assertOneLineError(err, needle)
            self.assertNotIn('Traceback', err)
        self.assertEqual(self.snapshot(), before)
        self.assertFalse([f for f in os.listdir(self.tmp)
                          if f.startswith('j')], 'a journal was created')

    def test_reviewed_plan_applies_with_its_digest(self):
        good = self.good_plan()
        self.addCleanup(self.clear, self.svc.dn)
        rc, out, err = self.tool('plan', '--pools-file',
                                 os.path.join(self.tmp, 'pools.conf'),
                                 '--server', 'web01')
        self.assertEqual(rc, EXIT_OK, err)
        self.assertIn('Digest of the changes: %s' % good['digest'], out)
        self.assertIn('--expect %s' % good['digest'], out)
        path = self.save(good, 'plan.json')
        rc, out, err = self.tool('apply', path, '--expect',
                                 good['digest'].upper()[7:], '--journal',
                                 os.path.join(self.tmp, 'ok.journal'))
        self.assertEqual(rc, EXIT_OK, out + err)
        self.assertEqual(self.spns(self.svc.dn),
                         ['http/TRUSTSHOP', f'http/trustshop.{DNSNAME}'])
        rc, out, err = self.tool('apply', path, '--expect', 'abc')
        self.assertEqual(rc, EXIT_BAD_INPUT)
        self.assertOneLineError(err, 'not a digest')

    # -- privileged accounts: add ----------------------------------------------

    def test_add_refuses_privileged_accounts_with_exit_9(self):
        before = self.snapshot()
        runs = [('add', identity, 'privweb') for identity in (
            'Administrator', 'krbtgt', DC_ACCOUNT, 'Guest', 'svc-da',
            'svc-off')]
        runs.append(('add', 'krbtgt', 'privweb', '--dry-run'))
        whys = ["the domain's Administrator", 'krbtgt', 'a domain controller',
                'the Guest account', 'a member of Domain Admins', 'disabled',
                'krbtgt']
        for args, (rc, out, err), why in zip(runs, self.parallel(runs), whys):
            self.assertEqual(rc, EXIT_PRIVILEGED, '%r: %s %s' %
                             (args, out, err))
            self.assertOneLineError(err, why, '--allow-privileged',
                                    'Kerberoasting')
        self.assertEqual(self.snapshot(), before)

    def test_allow_privileged_overrides_and_says_what_it_risks(self):
        self.addCleanup(self.clear, self.admin.dn)
        rc, out, err = self.tool('add', 'svc-da', 'privweb',
                                 '--allow-privileged')
        self.assertEqual(rc, EXIT_OK, out + err)
        self.assertIn('WARNING: svc-da is a member of Domain Admins', out)
        self.assertIn('Kerberoasting', out)
        self.assertEqual(self.spns(self.admin.dn),
                         ['http/PRIVWEB', f'http/privweb.{DNSNAME}'])
        doc = self.tool_json('add', 'svc-da', 'privweb',
                             '--allow-privileged')
        self.assertEqual(doc['account']['privileged'],
                         'a member of Domain Admins')
        doc = self.tool_json('add', self.svc.name, 'plainweb', '--dry-run')
        self.assertIsNone(doc['account']['privileged'])

    # -- privileged accounts: plan ---------------------------------------------

    def test_plan_leaves_privileged_accounts_out_and_says_why(self):
        pools = os.path.join(self.tmp, 'priv.conf')
        with open(pools, 'w') as f:
            f.write(f'[pool admin]\nidentity = {DOMAIN}\\Administrator\n'
                    'hosts = adminweb\n\n'
                    '[pool shop]\nidentity = svc-trust\n'
                    'hosts = trustshop2\n')
        before = self.snapshot()
        doc = self.tool_json('plan', '--pools-file', pools,
                             expect=EXIT_PRIVILEGED)
        names = {n['fqdn']: n for n in doc['names']}
        self.assertEqual(names[f'adminweb.{DNSNAME}']['privileged'],
                         "the domain's Administrator")
        self.assertIsNone(names[f'trustshop2.{DNSNAME}']['privileged'])
        self.assertEqual(sorted(c['spn'] for c in doc['changes']),
                         ['http/TRUSTSHOP2', f'http/trustshop2.{DNSNAME}'])
        self.assertTrue(any('Administrator is the domain' in note and
                            'gMSA' in note for note in doc['notes']),
                        doc['notes'])
        rc, out, err = self.tool('apply', '--pools-file', pools, '--yes',
                                 '--journal',
                                 os.path.join(self.tmp, 'yes.journal'))
        self.assertEqual(rc, EXIT_PRIVILEGED, out + err)
        self.assertOneLineError(err, f'adminweb.{DNSNAME}',
                                '--allow-privileged')
        self.assertEqual(self.snapshot(), before)
        rc, out, err = self.tool('plan', '--pools-file', pools,
                                 '--allow-privileged')
        self.assertEqual(rc, EXIT_OK, out + err)
        self.assertIn("PRIVILEGED: Administrator is the domain's "
                      "Administrator", out)
        doc = self.tool_json('plan', '--pools-file', pools,
                             '--allow-privileged')
        self.assertIn(('add', ADMINISTRATOR, 'http/ADMINWEB'),
                      [(c['action'], c['dn'], c['spn'])
                       for c in doc['changes']])
        # the saved plan still needs the admin's word at apply time
        path = self.save(doc, 'priv.json')
        rc, out, err = self.tool('apply', path, '--journal',
                                 os.path.join(self.tmp, 'priv.journal'))
        self.assertEqual(rc, EXIT_PRIVILEGED, out + err)
        self.assertOneLineError(err, 'Administrator')
        self.assertEqual(self.snapshot(), before)

    # -- forged and damaged journals ---------------------------------------------

    def test_forged_journals_cannot_make_undo_do_harm(self):
        before = self.snapshot()
        head = ('spnpool-journal\t2', 'begin\tldap\t1')

        def forged(*records):
            return journal_text(*(head + records))

        cases = [
            # undo of an "add" deletes: the DC's own ldap/ and HOST/
            (forged(f'intent\t0\tadd\t%s\tldap/{DC_FQDN}' % DC,
                    'done\t0', 'end\tok'),
             EXIT_BAD_INPUT, 'only changes http/'),
            (forged(f'intent\t0\tadd\t%s\tHOST/{DC_FQDN}' % DC,
                    'done\t0', 'end\tok'),
             EXIT_BAD_INPUT, 'only changes http/'),
            # undo of a "delete" gives back: not to Administrator, krbtgt
            (forged('intent\t0\tdelete\t%s\thttp/evil' % ADMINISTRATOR,
                    'done\t0', 'end\tok'),
             EXIT_PRIVILEGED, "the domain's Administrator"),
            (forged('intent\t0\tdelete\t%s\thttp/evil' % KRBTGT,
                    'done\t0', 'end\tok'),
             EXIT_PRIVILEGED, 'krbtgt'),
            (forged('intent\t0\tdelete\t%s\tcifs/evil' % self.svc.dn,
                    'done\t0', 'end\tok'),
             EXIT_BAD_INPUT, 'only changes http/'),
            # loose numbers, empty journals, damage
            (forged('intent\t0\tadd\t%s\thttp/x' % self.svc.dn,
                    'done\tzero'), EXIT_BAD_INPUT, 'line 4'),
            (forged('intent\t0\tadd\t%s\thttp/x' % self.svc.dn,
                    'done\t 0'), EXIT_BAD_INPUT, 'line 4'),
            ('', EXIT_BAD_INPUT, 'is empty'),
            (forged('intent\t0\tadd\t%s\thttp/x' % self.svc.dn,
                    'done\t0').replace('http/x', 'ldap/x'),
             EXIT_BAD_INPUT, 'checksum mismatch'),
            ('spnpool-journal\t1\nbegin\tldap\t1\n', EXIT_BAD_INPUT,
             'not a journal of this version'),
        ]
        runs = []
        for i, (text, expect, needle) in enumerate(cases):
            path = self.save(text, 'forged%d.journal' % i)
            runs.append(('undo', path))
        for args, (rc, out, err), (_t, expect, needle) in zip(
                runs, self.parallel(runs), cases):
            self.assertEqual(rc, expect, '%r: %s %s' % (args, out, err))
            self.assertOneLineError(err, needle)
            self.assertNotIn('Traceback', err)
        self.assertEqual(self.snapshot(), before)

    # -- audit: kerberoastable ---------------------------------------------------

    def test_audit_reports_kerberoastable_http_accounts(self):
        if self.transport != 'embedded':
            self.skipTest('passwords are aged in the stopped DC\'s files')
        roast = self.user('roast', spns=['http/roast01'])
        aes = self.user('aes', spns=['http/aes01'],
                        attrs={'msDS-SupportedEncryptionTypes': '24'})
        fresh = self.user('fresh', spns=['http/fresh01'])
        plain = self.user('plain')  # old, RC4, but no SPN
        for account in (roast, aes, plain):
            self.dc.age_password(account.dn, 400)

        def roastable(*args):
            rc, out, err = self.tool('audit', '--json', *args)
            self.assertIn(rc, (EXIT_OK, 8), err)
            doc = json.loads(out)
            self.assertIn('kerberoastable', doc['counts'])
            return {f['dns'][0]: f for f in doc['findings']
                    if f['kind'] == 'kerberoastable'}

        found = roastable()
        self.assertIn(roast.dn, found)
        for dn in (aes.dn, fresh.dn, plain.dn):
            self.assertNotIn(dn, found)
        self.assertIn('allows RC4', found[roast.dn]['detail'])
        self.assertIn('(more than 365)', found[roast.dn]['detail'])
        self.assertIn('gMSA', found[roast.dn]['fix'])
        self.assertNotIn(roast.dn, roastable('--max-password-age', '500'))
        rc, out, err = self.tool('audit')
        self.assertIn('kerberoastable: ', out)
        rc, out, err = self.tool('audit', '--max-password-age', '0x')
        self.assertEqual(rc, EXIT_BAD_INPUT)
        self.assertOneLineError(err, '--max-password-age')

    # -- scale -------------------------------------------------------------------

    def test_add_with_too_many_hosts_refuses_up_front(self):
        if self.transport != 'ldap':
            self.skipTest('the DC\'s request size limit is an LDAP one')
        hosts = [f'bulkhost%04d.{DNSNAME}' % i for i in range(251)]
        rc, out, err = self.tool('add', self.svc.name, *hosts, '--dry-run')
        self.assertEqual(rc, EXIT_BAD_INPUT, out + err)
        self.assertOneLineError(err, '251 hosts given; at most 250')
        # the limit itself works against the DC, port forms included
        rc, out, err = self.tool('add', self.svc.name, *hosts[:250],
                                 '--port', '8080', '--dry-run')
        self.assertEqual(rc, EXIT_OK, out[-500:] + err)
        self.assertIn('1000 SPN(s) would change', out)

    # -- input edges -------------------------------------------------------------

    def test_invalid_utf8_and_loose_numbers_exit_2_in_one_line(self):
        if self.transport != 'ldap':
            self.skipTest('refused before the directory: one transport')
        svc = self.svc.name
        runs = [
            ('add', b'svc\xff', 'web01'),
            ('add', svc, b'web\xff01'),
            ('add', svc, 'web01', '--server', b'w\xff'),
            ('add', svc, 'web01', '--port', b'80\xff'),
            ('remove', svc, b'web\xc3'),
            ('list', '--host', b'\xffx'),
            ('check', b'http://web\xff/', '--identity', svc),
            ('check', 'http://web01/', '--identity', b'\xed\xa0\x80'),
            ('plan', '--pools-file', os.fsencode(self.tmp) + b'/\xff.conf'),
            ('apply', os.fsencode(self.tmp) + b'/\xff.json'),
            ('undo', b'\xff.journal'),
            ('audit', '--page-size', b'5\xff'),
        ]
        needles = ['is not valid UTF-8'] * len(runs)
        for size in (' 5', '5 ', '05', '+5', '0x5', '٥'):
            runs.append(('audit', '--page-size', size))
            needles.append('--page-size')
        for args, (rc, out, err), needle in zip(runs, self.parallel(runs),
                                                needles):
            self.assertEqual(rc, EXIT_BAD_INPUT, '%r: %s %s' %
                             (args, out, err))
            self.assertOneLineError(err, needle)
            self.assertNotIn('Traceback', err)

    def test_check_splits_urls_as_browsers_do(self):
        if self.transport != 'ldap':
            self.skipTest('the URL is parsed before the directory is read')
        for url, host in (('http://web01\\@evil/', 'web01'),
                          (f'http://user:pw@web01\\x@evil.{DNSNAME}/',
                           'web01'),
                          ('http:\\\\web01\\app', 'web01')):
            # as-typed: the SPN shows the host exactly as split from the
            # URL (the browser model would add the domain to web01)
            rc, out, err = self.tool('check', url, '--identity',
                                     self.svc.name, '--client-model',
                                     'as-typed', '--json')
            self.assertNotIn(rc, (1, 2), out + err)
            doc = json.loads(out)
            self.assertEqual(doc['host'], host, url)
            self.assertEqual(doc['spn'].lower(), 'http/' + host)


if __name__ == '__main__':
    import unittest
    unittest.main()
