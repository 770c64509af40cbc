"""samba-tool spn http-pool plan | apply | undo against a real Samba AD DC,
through the embedded sam.ldb and over LDAP.

The web server configurations are the fixtures in selftest/fixtures/ (IIS
applicationHost.config files and a pools file); the accounts they name
are created once per DC and every test starts from the same SPNs
(BASELINE).  What the transport cannot change (input refused before
the directory is opened: hostile XML, malformed pools files and plans,
usage; the default journal's name) is tested over LDAP only.

samba-tool costs about 1.4 s per run on the embedded sam.ldb and 0.6 s
over LDAP, so independent runs go two at a time and the fixtures share
one apply-then-check pass.
"""

import concurrent.futures
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

import ldb

# Also runnable as `python3 -m unittest selftest/integration/<this file>`.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import (DNS_MIXED, DNSNAME, DOMAIN,  # noqa: E402
                    DOMAIN_DN, EXIT_BAD_INPUT, EXIT_CONFLICT,
                    EXIT_NO_IDENTITY, EXIT_OK, both_transports, fixture,
                    journal_text)

USERS = f'CN=%s,CN=Users,{DOMAIN_DN}'
COMPUTERS = f'CN=%s,CN=Computers,{DOMAIN_DN}'

# Every account the fixtures name, with the SPNs each test starts from.
# svc-shop-b holds the shop's FQDN in an odd spelling (the plans must
# move it, undo must give it back as it was); the other values must
# never be touched.
BASELINE = {
    USERS % 'svc-web01': [],
    USERS % 'svc-farm': [],
    USERS % 'svc-shop-a': [f'HTTP/shop-a-admin.{DNSNAME}'],
    USERS % 'svc-shop-b': [f'HTTP/Shop.{DNS_MIXED}', 'ldap/shop-b'],
    USERS % 'svc-portal': [],
    USERS % 'svc-shop': [],
    COMPUTERS % 'web01': ['HOST/web01', f'HOST/web01.{DNSNAME}'],
    COMPUTERS % 'web02': ['HOST/web02', f'HOST/web02.{DNSNAME}'],
}

# The ranked resolutions of the several-pools-one-name conflict.
RESOLUTION_KINDS = ['shared-account', 'distinct-names', 'kernel-mode',
                    'ntlm-only']

EXIT_KERBEROS_FAILS = 11


def spns_of_changes(doc, dn):
    """(action, spn) of the changes of doc for dn, in order."""
    return [(c['action'], c['spn']) for c in doc['changes']
            if c['dn'] == dn]


def by_fqdn(plan):
    return {n['fqdn']: n for n in plan['names']}


@both_transports
class PlanApplyTests:

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            for dn in BASELINE:
                name = dn.split(',')[0][3:]
                if ',CN=Computers,' in dn:
                    cls.dc.create_computer(name)
                else:
                    cls.dc.create_user(name)
            cls.db = cls.dc.samdb()
        except BaseException:
            cls.dc.close()
            raise

    def setUp(self):
        self.reset()
        self.tmp = tempfile.mkdtemp(prefix='spnpool-plan-')
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)

    # -- directory state ---------------------------------------------------

    def spns(self, dn):
        res = self.db.search(dn, scope=ldb.SCOPE_BASE,
                             attrs=['servicePrincipalName'])
        return sorted(str(v) for v in
                      res[0].get('servicePrincipalName', []))

    def set_spns(self, dn, values):
        msg = ldb.Message(ldb.Dn(self.db, dn))
        msg['servicePrincipalName'] = ldb.MessageElement(
            list(values), ldb.FLAG_MOD_REPLACE, 'servicePrincipalName')
        self.db.modify(msg)

    def reset(self):
        """Every fixture account back to BASELINE: first empty those that
        differ, then fill them (a value may have moved between them)."""
        differ = [dn for dn, want in BASELINE.items()
                  if self.spns(dn) != sorted(want)]
        for dn in differ:
            self.set_spns(dn, [])
        for dn in differ:
            if BASELINE[dn]:
                self.set_spns(dn, BASELINE[dn])

    def snapshot(self, *extra):
        """The full servicePrincipalName list of every involved account."""
        return {dn: self.spns(dn) for dn in list(BASELINE) + list(extra)}

    def intruder(self, *spns):
        """Another writer: an account created with spns, which are taken
        away again after the test."""
        other = self.user(prefix='intruder', spns=spns)
        self.addCleanup(self.set_spns, other.dn, [])
        return other

    # -- running the tool ----------------------------------------------------

    def tool_in(self, cwd, *args):
        proc = subprocess.run(self.argv(*args), env=self.env, cwd=cwd,
                              stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE,
                              universal_newlines=True, timeout=120)
        return proc.returncode, proc.stdout, proc.stderr

    def parallel(self, runs):
        """self.tool(*args) for every args of runs, two at a time (only
        for runs that write nothing)."""
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            return list(pool.map(lambda args: self.tool(*args), runs))

    def plan_json(self, config, *extra, expect=EXIT_OK):
        option = ('--pools-file' if config.endswith('.conf')
                  else '--iis-config')
        return self.tool_json('plan', option, config, '--server', 'web01',
                              *extra, expect=expect)

    def save(self, doc, name='plan.json'):
        path = os.path.join(self.tmp, name)
        with open(path, 'w') as f:
            json.dump(doc, f)
        return path

    def journal(self, name='apply.journal'):
        return os.path.join(self.tmp, name)

    def check(self, host, identity):
        rc, out, err = self.tool('check', host, '--identity', identity,
                                 '--server', 'web01', '--json')
        try:
            return rc, json.loads(out)
        except ValueError:
            self.fail('check printed no JSON: %r %r' % (out, err))

    # -- plan ----------------------------------------------------------------

    def test_plan_text_reads_like_a_change_request(self):
        runs = [('plan', '--iis-config', fixture(f), '--server', 'web01')
                for f in ('two-pools-one-name.config', 'one-pool.config',
                          'kernel-mode.config')]
        runs.append(('plan', '--pools-file', fixture('pools.conf'),
                     '--server', 'web01'))
        (two, one, kernel, pools) = self.parallel(runs)
        for rc, out, err in (two, one, kernel, pools):
            self.assertEqual(rc, EXIT_OK, out + err)
            self.assertEqual(err, '')

        # situation 3 of docs/admin-guide.md: why, who keeps the name, the ranked ways
        # out with the chosen one marked, what to run on IIS, the changes
        out = two[1]
        self.assertIn(f'1. shop.{DNSNAME} (SHOP): CONFLICT', out)
        self.assertIn(f'2 accounts serve shop.{DNSNAME}', out)
        self.assertIn('site Shop /, pool ShopFront: tickets for svc-shop-a',
                      out)
        self.assertIn('site Shop /api, pool ShopApi: tickets for svc-shop-b',
                      out)
        self.assertIn('Must answer: svc-shop-a (%s)' % (USERS % 'svc-shop-a'),
                      out)
        marks = [line.split(':')[0].strip() for line in out.splitlines()
                 if any(line.lstrip(' *').startswith('%d. %s:' % (i, k))
                        for i, k in enumerate(RESOLUTION_KINDS, 1))]
        self.assertEqual(marks, ['1. shared-account', '2. distinct-names',
                                 '3. kernel-mode', '* 4. ntlm-only'])
        self.assertIn('trade-off:', out)
        self.assertIn('On the web server, run:\n', out)
        self.assertIn('appcmd set config "Shop/api" -section:system.webServer'
                      '/security/authentication/windowsAuthentication '
                      '/-"providers.[value=\'Negotiate\']" /commit:apphost',
                      out)
        # the SPN column is as wide as the longest SPN of the changes
        width = len(f'http/shop.{DNSNAME}')
        self.assertIn('   1. delete  %-*s  from svc-shop-b (%s)\n'
                      '      (moved to svc-shop-a)\n'
                      '   2. add     %-*s  to svc-shop-a' %
                      (width, f'HTTP/Shop.{DNS_MIXED}', USERS % 'svc-shop-b',
                       width, 'http/SHOP'), out)
        # the application set to NTLM only gets no useAppPoolCredentials
        self.assertNotIn('appcmd set config "Shop/api" -section:system.'
                         'webServer/security/authentication/'
                         'windowsAuthentication /useAppPoolCredentials',
                         out)
        self.assertIn('samba-tool spn http-pool apply PLAN.json', out)

        out = one[1]
        self.assertIn(f'1. web01.{DNSNAME} (WEB01): NOTHING', out)
        self.assertIn('Answers already: WEB01$', out)
        self.assertIn('[kernel mode]', out)
        self.assertIn('Directory changes: none.', out)
        self.assertEqual(out.count('pool Web01Pool'), 1,
                         'one line per pool, not per binding: ' + out)

        out = kernel[1]
        self.assertIn(f'portal.{DNSNAME} (PORTAL): REGISTER', out)
        self.assertIn('appcmd set config "Portal" -section:system.webServer'
                      '/security/authentication/windowsAuthentication '
                      '/useAppPoolCredentials:"True" /commit:apphost', out)

        out = pools[1]
        self.assertIn('(pools file)', out)
        self.assertIn(f'shop.{DNSNAME} (SHOP): REGISTER', out)
        self.assertIn(f'wiki.{DNSNAME} (WIKI): REGISTER', out)
        self.assertIn('Must answer: WEB01$', out)

    def test_plan_refusals_and_unresolvable_conflicts(self):
        farm = os.path.join(self.tmp, 'builtin-farm.conf')
        with open(farm, 'w') as f:
            f.write('[pool portal]\nidentity = NetworkService\n'
                    f'hosts = portal2.{DNSNAME}\n')
        nobody = os.path.join(self.tmp, 'nobody.conf')
        with open(nobody, 'w') as f:
            f.write(f'[pool ghost]\nidentity = {DOMAIN}\\nobody\n'
                    'hosts = ghost\n')
        runs = [('plan', '--pools-file', farm, '--server', 'web01',
                 '--server', 'web02', '--json'),
                ('plan', '--pools-file', nobody, '--server', 'web01')]
        (fj, nt) = self.parallel(runs)

        # built-in identities on a farm name: each server's own machine
        # account, no resolution can be chosen, nothing planned: exit 4
        self.assertEqual(fj[0], EXIT_CONFLICT, fj[1] + fj[2])
        doc = json.loads(fj[1])
        self.assertTrue(doc['ok'])
        name = by_fqdn(doc)[f'portal2.{DNSNAME}']
        self.assertEqual(name['decision'], 'conflict')
        self.assertEqual(sorted(u['account_sam'] for u in name['users']),
                         ['WEB01$', 'WEB02$'])
        self.assertFalse(any(r['chosen'] for r in name['resolutions']))
        self.assertEqual(doc['changes'], [])
        self.assertIn('no resolution chosen', ' '.join(doc['notes']))
        self.assertOneLineError(fj[2], f'portal2.{DNSNAME}')

        self.assertEqual(nt[0], EXIT_NO_IDENTITY, nt[1] + nt[2])
        self.assertOneLineError(nt[2], 'pool ghost', 'not found')

    # -- apply ---------------------------------------------------------------

    def test_apply_then_check_gives_what_each_plan_promised(self):
        # the fixtures touch disjoint accounts: their applies may run
        # side by side, as two admins' would
        names = ('one-pool.config', 'apppoolidentity.config', 'farm.config',
                 'two-pools-one-name.config', 'kernel-mode.config')
        plans = {}
        for name, (rc, out, err) in zip(names, self.parallel(
                [('apply', '--iis-config', fixture(name), '--server',
                  'web01', '--yes', '--journal',
                  self.journal(name + '.journal'), '--json')
                 for name in names])):
            self.assertEqual(rc, EXIT_OK, name + out + err)
            doc = json.loads(out)
            self.assertTrue(doc['ok'])
            self.assertEqual([c['state'] for c in doc['changes']],
                             ['done'] * len(doc['plan']['changes']))
            plans[name] = doc['plan']

        # what the rules say, as the JSON plan carries it
        web01 = by_fqdn(plans['one-pool.config'])[f'web01.{DNSNAME}']
        self.assertEqual((web01['decision'], web01['account_sam']),
                         ('nothing', 'WEB01$'))
        self.assertEqual(web01['netbios'], 'WEB01')
        self.assertTrue(all(u['kernel_mode'] and u['pool'] == 'Web01Pool'
                            for u in web01['users']))
        self.assertEqual(plans['one-pool.config']['changes'], [])
        web01 = by_fqdn(plans['apppoolidentity.config'])[f'web01.{DNSNAME}']
        self.assertEqual((web01['decision'], web01['account_sam']),
                         ('nothing', 'WEB01$'))

        farm = plans['farm.config']
        self.assertEqual(by_fqdn(farm)[f'farm.{DNSNAME}']['decision'],
                         'register')
        self.assertEqual(spns_of_changes(farm, USERS % 'svc-farm'),
                         [('add', 'http/FARM'),
                          ('add', f'http/farm.{DNSNAME}')])

        shop = plans['two-pools-one-name.config']
        name = by_fqdn(shop)[f'shop.{DNSNAME}']
        self.assertEqual(name['decision'], 'conflict')
        self.assertEqual([r['kind'] for r in name['resolutions']],
                         RESOLUTION_KINDS)
        self.assertEqual([r['chosen'] for r in name['resolutions']],
                         [False, False, False, True])
        self.assertEqual(name['account_dn'], USERS % 'svc-shop-a')
        self.assertEqual({(u['app_path'], u['account_sam'])
                          for u in name['users']},
                         {('/', 'svc-shop-a'), ('/api', 'svc-shop-b')})
        self.assertTrue(any('"Shop/api"' in c and 'Negotiate' in c
                            for c in name['iis_commands']))
        self.assertEqual(shop['changes'][0]['action'], 'delete')
        self.assertEqual(spns_of_changes(shop, USERS % 'svc-shop-b'),
                         [('delete', f'HTTP/Shop.{DNS_MIXED}')])
        self.assertEqual(spns_of_changes(shop, USERS % 'svc-shop-a'),
                         [('add', 'http/SHOP'),
                          ('add', f'http/shop.{DNSNAME}')])

        portal = plans['kernel-mode.config']
        name = by_fqdn(portal)[f'portal.{DNSNAME}']
        self.assertEqual((name['decision'], name['account_sam']),
                         ('register', 'svc-portal'))
        self.assertTrue(any('useAppPoolCredentials:"True"' in c
                            for c in name['iis_commands']))

        self.assertEqual(self.spns(USERS % 'svc-shop-b'), ['ldap/shop-b'])
        self.assertEqual(self.spns(USERS % 'svc-shop-a'), [
            f'HTTP/shop-a-admin.{DNSNAME}', 'http/SHOP',
            f'http/shop.{DNSNAME}'])

        # every site's verdict is what its plan promised: the account the
        # plan made answer gets Kerberos, the others of a conflict do not
        # (their applications were set to NTLM only)
        promises = set()
        for plan in plans.values():
            for n in plan['names']:
                for u in n['users']:
                    ok = u['account_dn'] == n['account_dn']
                    promises.add((n['fqdn'], u['account_sam'], ok))
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            verdicts = list(pool.map(lambda p: self.check(p[0], p[1]),
                                     sorted(promises)))
        for (host, account, ok), (rc, doc) in zip(sorted(promises),
                                                  verdicts):
            want = 'kerberos-ok' if ok else 'kerberos-fails'
            self.assertEqual(doc['verdict'], want,
                             '%s as %s: %s' % (host, account, doc))
            self.assertEqual(rc, EXIT_OK if ok else EXIT_KERBEROS_FAILS)

        # applying the saved plan again changes nothing
        before = self.snapshot()
        doc = self.tool_json('apply', self.save(
            plans['two-pools-one-name.config']), '--journal',
            self.journal('again.journal'))
        self.assertFalse(doc['changed'])
        self.assertEqual([c['state'] for c in doc['changes']],
                         ['already'] * 3)
        self.assertEqual(self.snapshot(), before)

    def test_pools_file_apply_then_check(self):
        doc = self.tool_json('apply', '--pools-file', fixture('pools.conf'),
                             '--server', 'web01', '--yes', '--journal',
                             self.journal())
        plan = doc['plan']
        self.assertEqual(plan['source'], 'pools')
        names = by_fqdn(plan)
        self.assertEqual(names[f'shop.{DNSNAME}']['account_sam'],
                         'svc-shop')
        self.assertEqual(names[f'wiki.{DNSNAME}']['account_sam'], 'WEB01$')
        self.assertTrue(doc['changed'])
        self.assertEqual(self.spns(USERS % 'svc-shop'),
                         ['http/SHOP', f'http/shop.{DNSNAME}'])
        self.assertEqual(self.spns(COMPUTERS % 'web01'), [
            'HOST/web01', f'HOST/web01.{DNSNAME}', 'http/WIKI',
            f'http/wiki.{DNSNAME}'])
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            verdicts = list(pool.map(
                lambda p: self.check(*p),
                [(f'http://shop.{DNSNAME}:8080/', 'svc-shop'),
                 ('wiki', 'WEB01$')]))
        self.assertEqual([doc['verdict'] for rc, doc in verdicts],
                         ['kerberos-ok', 'kerberos-ok'])

    def test_dry_run_shows_ldif_and_writes_nothing(self):
        before = self.snapshot()
        config = fixture('two-pools-one-name.config')
        (text, js) = self.parallel(
            [('apply', '--iis-config', config, '--server', 'web01',
              '--dry-run'),
             ('apply', '--iis-config', config, '--server', 'web01',
              '--dry-run', '--json')])
        rc, out, err = text
        self.assertEqual(rc, EXIT_OK, out + err)
        ldif = ('dn: %s\nchangetype: modify\ndelete: servicePrincipalName\n'
                f'servicePrincipalName: HTTP/Shop.{DNS_MIXED}\n-\n\n'
                'dn: %s\nchangetype: modify\nadd: servicePrincipalName\n'
                'servicePrincipalName: http/SHOP\n-\n\n'
                'dn: %s\nchangetype: modify\nadd: servicePrincipalName\n'
                f'servicePrincipalName: http/shop.{DNSNAME}\n-\n' %
                (USERS % 'svc-shop-b', USERS % 'svc-shop-a',
                 USERS % 'svc-shop-a'))
        self.assertIn(ldif, out)
        self.assertIn('Dry run: nothing written. 3 change(s) would be made',
                      out)
        self.assertEqual(js[0], EXIT_OK, js[2])
        doc = json.loads(js[1])
        self.assertTrue(doc['dry_run'])
        self.assertFalse(doc['changed'])
        self.assertIsNone(doc['journal'])
        self.assertEqual(doc['ldif'].strip(), ldif.strip())
        self.assertEqual({c['state'] for c in doc['changes']}, {'planned'})
        self.assertEqual(self.snapshot(), before)
        self.assertEqual(glob.glob(os.path.join(self.tmp, '*')), [])
        self.assertEqual(glob.glob('spnpool-apply-*.journal'), [])

    def test_surprise_mid_apply_leaves_nothing_and_undo_has_nothing_to_do(
            self):
        plan = self.plan_json(fixture('two-pools-one-name.config'))
        self.assertEqual(plan['changes'][0]['action'], 'delete')
        # another writer takes http/SHOP between plan and apply: the
        # delete of svc-shop-b's old value goes through, the first add
        # meets the surprise
        other = self.intruder('HTTP/SHOP')
        before = self.snapshot(other.dn)
        journal = self.journal()
        rc, out, err = self.tool('apply', self.save(plan), '--journal',
                                 journal, '--json')
        self.assertEqual(self.snapshot(other.dn), before)
        self.assertEqual(rc, EXIT_CONFLICT, out + err)
        self.assertOneLineError(err, other.dn, 'nothing of this run remains')
        doc = json.loads(out)
        self.assertFalse(doc['ok'])
        self.assertEqual(doc['journal'], journal)
        self.assertEqual([c['state'] for c in doc['changes']],
                         ['not-done', 'failed', 'not-done'])
        self.assertEqual(self.snapshot(other.dn), before)
        with open(journal) as f:
            # each record without its checksum (the last field)
            records = ''.join(line.rsplit('\t', 1)[0] + '\n'
                              for line in f.read().splitlines())
        self.assertIn(f'intent\t0\tdelete\t%s\tHTTP/Shop.{DNS_MIXED}\n' %
                      (USERS % 'svc-shop-b'), records)
        self.assertIn('end\taborted\n', records)
        if self.transport == 'ldap':
            # one modify per change: the delete was made, then reversed
            self.assertIn('done\t0\nreversed\t0\n', records)

        rc, out, err = self.tool('undo', journal)
        self.assertEqual(rc, EXIT_OK, out + err)
        self.assertIn('Nothing to undo', out)
        self.assertEqual(self.snapshot(other.dn), before)

    def test_undo_restores_the_exact_before_image(self):
        before = self.snapshot()
        journal = self.journal()
        doc = self.tool_json('apply', '--iis-config',
                             fixture('two-pools-one-name.config'),
                             '--server', 'web01', '--yes', '--journal',
                             journal)
        self.assertTrue(doc['changed'])
        after = self.snapshot()
        self.assertNotEqual(after, before)

        # someone changed those SPNs since: undo refuses, writes nothing
        self.set_spns(USERS % 'svc-shop-a', [
            f'HTTP/shop-a-admin.{DNSNAME}', f'http/shop.{DNSNAME}'])
        changed = self.snapshot()
        rc, out, err = self.tool('undo', journal)
        self.assertEqual(rc, EXIT_CONFLICT, out + err)
        self.assertOneLineError(err, 'http/SHOP is no longer on',
                                'nothing was written')
        self.assertEqual(self.snapshot(), changed)

        # put back, undo: every account exactly as before, spelling too
        self.set_spns(USERS % 'svc-shop-a', after[USERS % 'svc-shop-a'])
        rc, out, err = self.tool('undo', journal, '--dry-run')
        self.assertEqual(rc, EXIT_OK, out + err)
        self.assertIn(f'servicePrincipalName: HTTP/Shop.{DNS_MIXED}', out)
        self.assertEqual(self.snapshot(), after)
        doc = self.tool_json('undo', journal)
        self.assertTrue(doc['changed'])
        self.assertEqual([(c['action'], c['spn'], c['state'])
                          for c in doc['changes']],
                         [('delete', f'http/shop.{DNSNAME}', 'done'),
                          ('delete', 'http/SHOP', 'done'),
                          ('add', f'HTTP/Shop.{DNS_MIXED}', 'done')])
        self.assertEqual(self.snapshot(), before)

        rc, out, err = self.tool('undo', journal)
        self.assertEqual(rc, EXIT_CONFLICT, out + err)
        self.assertOneLineError(err, 'undone already')
        self.assertEqual(self.snapshot(), before)

    def test_default_journal_is_printed_and_kept_only_when_needed(self):
        self.one_transport_only()
        args = ('apply', '--iis-config', fixture('farm.config'), '--server',
                'web01', '--yes')
        rc, out, err = self.tool_in(self.tmp, *args)
        self.assertEqual(rc, EXIT_OK, out + err)
        pattern = os.path.join(self.tmp, 'spnpool-apply-*.journal')
        journals = glob.glob(pattern)
        self.assertEqual(len(journals), 1, out)
        self.assertRegex(journals[0],
                         r'/spnpool-apply-\d{8}-\d{6}\.journal$')
        self.assertIn('Journal: %s\n' % journals[0], out)
        self.assertIn('undo %s' % journals[0], out)
        # the same again: nothing to do, and no empty journal left behind
        os.rename(journals[0], journals[0] + '.first')
        rc, out, err = self.tool_in(self.tmp, *args)
        self.assertEqual(rc, EXIT_OK, out + err)
        self.assertIn('Nothing to do', out)
        self.assertEqual(glob.glob(pattern), [])

    # -- input refused before the directory is opened -------------------

    def one_transport_only(self):
        """Skip on the embedded path for what the transport cannot change
        (files refused before the directory is opened, journal names):
        LDAP is the cheaper of the two to run the command on."""
        if self.transport != 'ldap':
            self.skipTest('the transport cannot matter; run over LDAP')

    def test_bad_input_is_refused_in_one_line_and_nothing_written(self):
        self.one_transport_only()
        runs, needles = [], []

        def refused(args, *needle):
            runs.append(args)
            needles.append(needle)

        def apply_config(option, path):
            return ('apply', option, path, '--server', 'web01', '--yes',
                    '--journal', self.journal(os.path.basename(path) +
                                              '.journal'))

        # hostile and broken XML
        huge = os.path.join(self.tmp, 'huge.config')
        with open(huge, 'wb') as f:
            f.write(b'<?xml version="1.0"?>\n<configuration>\n')
            f.write(b'<!-- padding -->\n' * (17 * 1024 * 1024 // 17))
            f.write(b'</configuration>\n')
        for name, needle in (('billion-laughs.config', 'billion laughs'),
                             ('xxe.config', 'external entit'),
                             ('broken.config', 'malformed XML')):
            refused(apply_config('--iis-config', fixture(name)),
                    fixture(name), 'line ', needle)
        refused(apply_config('--iis-config', huge), huge, '16 MiB')
        refused(('plan', '--iis-config', fixture('xxe.config'), '--server',
                 'web01', '--json'), 'line 3')

        # malformed pools files
        nul = os.path.join(self.tmp, 'nul.conf')
        with open(nul, 'wb') as f:
            f.write(b'[pool a]\nidentity = svc-shop\nhosts = a\0b\n')
        for path in (fixture('pools-missing-identity.conf'),
                     fixture('pools-bad-port.conf'),
                     fixture('pools-outside-section.conf'), nul):
            refused(apply_config('--pools-file', path), path, 'line ')

        # plans that are not what plan --json writes
        good = {'names': [], 'changes': [{
            'action': 'add', 'dn': USERS % 'svc-farm', 'spn': 'http/x',
            'sam_account_name': None, 'reason': None}]}

        def variant(**change):
            doc = json.loads(json.dumps(good))
            doc['changes'][0].update(change)
            return doc

        for i, (doc, needle) in enumerate((
                ('not json {', 'not JSON'),
                ([1, 2], 'found a JSON list'),
                (dict(good, ok=False), 'records a failure'),
                (variant(action='move'), 'changes[0]: "action" must be '
                 '"add" or "delete", not "move"'),
                (variant(state='done'), 'unknown key "state"'))):
            path = os.path.join(self.tmp, 'bad%d.json' % i)
            with open(path, 'w') as f:
                f.write(doc if isinstance(doc, str) else json.dumps(doc))
            refused(('apply', path, '--journal', self.journal(str(i))),
                    path, needle)

        # usage
        plan = self.save({'names': [], 'changes': []})
        existing = self.journal('exists.journal')
        open(existing, 'w').close()
        config = fixture('farm.config')
        refused(('apply',), 'nothing to apply', '--yes')
        refused(('apply', '--iis-config', config, '--server', 'web01'),
                'add --yes')
        refused(('apply', plan, '--iis-config', config), 'not both')
        refused(('apply', plan, '--journal', existing), 'exists already')
        refused(('undo', self.journal('missing.journal')),
                'cannot read the journal')

        before = self.snapshot()
        for args, (rc, out, err), needle in zip(runs, self.parallel(runs),
                                                needles):
            self.assertEqual(rc, EXIT_BAD_INPUT, '%r: %s %s' %
                             (args, out, err))
            self.assertOneLineError(err, *needle)
            if '--json' in args:
                doc = json.loads(out)
                self.assertFalse(doc['ok'])
                self.assertEqual(doc['error']['exit_code'], EXIT_BAD_INPUT)
        self.assertEqual(self.snapshot(), before)
        self.assertEqual(sorted(os.listdir(self.tmp)), sorted(
            ['huge.config', 'nul.conf', 'plan.json', 'exists.journal'] +
            ['bad%d.json' % i for i in range(5)]))

        # a journal that is not one: refused by the library, with its line
        bad = self.journal('bad.journal')
        with open(bad, 'w') as f:
            f.write(journal_text('spnpool-journal\t2', 'begin\tldap\t1',
                                 'intent\t0\tmove\tx\ty'))
        rc, out, err = self.tool('undo', bad)
        self.assertEqual(rc, EXIT_BAD_INPUT, out + err)
        self.assertOneLineError(err, 'line 3', 'not a journal record')


if __name__ == '__main__':
    import unittest
    unittest.main()
