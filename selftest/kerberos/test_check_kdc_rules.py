"""`check` against Samba's KDC rule by rule, under both client models.

Each case is scored twice: `check` with the browser model (the default)
against curl with dns_canonicalize_hostname = true, and `check
--client-model as-typed` against curl with dns_canonicalize_hostname =
false and qualify_shortname = "" (without the latter, MIT 1.18+ still
appends the first search domain to a short name: see
test_mit_false_still_qualifies_short_names).  For each, the SPN `check` names must be the one curl asks the KDC
for, and the verdict must be what happens:

    kerberos-ok     kvno -k with the keys of the account that must answer
                    decrypts the ticket; the SPNEGO server holding those
                    keys answers 200
    kerberos-fails  kvno gets a ticket those keys cannot decrypt; 401
    ntlm-fallback,  the KDC says principal unknown; curl sends no token
    duplicate       and gets the server's 401
    unresolvable    curl cannot resolve the host (exit 6) under either
                    setting

Names resolve through AD DNS (the DC's own DNS server on 127.0.0.1:53,
with the domain's DNS name as the resolver's search suffix, so short names
canonicalise to <name>.<dnsname> as on a domain member).
"""

import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SELFTEST = os.path.dirname(HERE)
for _path in (HERE, os.path.join(SELFTEST, 'integration')):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import krb  # noqa: E402
from common import DNSNAME, REALM  # noqa: E402
from test_check_matches_reality import ToolMixin, VERDICT_EXIT  # noqa: E402
from test_kerberos_reality import RealityBase  # noqa: E402

# accountExpires of 2001-01-01 00:00 UTC (100 ns ticks since 1601).
EXPIRED_2001 = str(126227808000000000)

ADDRESSES = {
    'web83': '127.0.0.31', 'web84': '127.0.0.32', 'web85': '127.0.0.33',
    'web86': '127.0.0.34', 'intranet-web-001': '127.0.0.35',
    'web97': '127.0.0.36', 'web98': '127.0.0.37', 'web99': '127.0.0.38',
    'web95': '127.0.0.39',
}
RESOLV_CONF = '/etc/resolv.conf'


class CheckAgreesWithSambaKdc(ToolMixin, RealityBase):
    """web83: a stale computer (cn web83) whose name web84 took over
           (WEB84$ holds HOST/web83 and HOST/web83.<dnsname>).
    web85: a renamed computer, cn web85, sAMAccountName WEB85X$.
    web86: served by the computer with cn web86-old and sAMAccountName
           WEB86$ (no computer has cn web86).
    intranet-web-001: a DNS name longer than 15 characters, joined as
           INTRANET-WEB-00$ with its HOST/ SPNs.
    web97: pool-web97 holds http/web97.<dnsname> only.
    web98: pool-web98 holds http/web98 only.
    web99: disabled pool-web99 holds both forms.
    web95: pool-web95, expired in 2001, holds both forms.
    gone:  CNAME to nothere.<dnsname>, which has no record.
    loop1: CNAME loop1 -> loop2 -> loop1."""

    @classmethod
    def prepare(cls, dc):
        for name, ip in sorted(ADDRESSES.items()):
            krb.add_a(dc, name, ip)
        krb.add_cname(dc, 'gone', f'nothere.{DNSNAME}')
        krb.add_cname(dc, 'loop1', f'loop2.{DNSNAME}')
        krb.add_cname(dc, 'loop2', f'loop1.{DNSNAME}')
        krb.enable_dns_server(dc)
        # short names get the domain as a domain member's resolver does
        cls.saved_resolv = os.path.join(dc.run_dir, 'resolv.conf.saved')
        shutil.copyfile(RESOLV_CONF, cls.saved_resolv)
        with open(RESOLV_CONF, 'a') as f:
            f.write(f'search {DNSNAME}\n')

    @classmethod
    def tearDownClass(cls):
        try:
            shutil.copyfile(cls.saved_resolv, RESOLV_CONF)
        finally:
            super().tearDownClass()

    @classmethod
    def world(cls):
        dc = cls.dc
        dc.create_computer('web83', spns=())
        dc.create_computer('web84', spns=[
            'HOST/web84', f'HOST/web84.{DNSNAME}',
            'HOST/web83', f'HOST/web83.{DNSNAME}'])
        dc.create_computer('web85', sam='WEB85X$')
        dc.create_computer('web86-old', sam='WEB86$')
        dc.create_computer('intranet-web-001', sam='INTRANET-WEB-00$', spns=[
            'HOST/INTRANET-WEB-00', f'HOST/intranet-web-001.{DNSNAME}'])
        dc.create_user('pool-web97', attrs=krb.AES_ONLY,
                       spns=[f'http/web97.{DNSNAME}'])
        dc.create_user('pool-web98', attrs=krb.AES_ONLY,
                       spns=['http/web98'])
        dc.create_user('pool-web99', attrs=krb.AES_ONLY, enabled=False,
                       spns=['http/web99', f'http/web99.{DNSNAME}'])
        dc.create_user('pool-web95', spns=['http/web95',
                                           f'http/web95.{DNSNAME}'],
                       attrs=dict(krb.AES_ONLY,
                                  accountExpires=EXPIRED_2001))
        cls.canon = krb.krb5_conf_variant(
            dc, os.path.join(dc.run_dir, 'krb5-canon.conf'),
            dns_canonicalize_hostname='true')
        # MIT 1.18+ qualifies a short name with the first search domain
        # even without canonicalisation, unless qualify_shortname is empty
        cls.as_typed = krb.krb5_conf_variant(
            dc, os.path.join(dc.run_dir, 'krb5-as-typed.conf'),
            dns_canonicalize_hostname='false', qualify_shortname='""')
        cls.mit_false = krb.krb5_conf_variant(
            dc, os.path.join(dc.run_dir, 'krb5-false.conf'),
            dns_canonicalize_hostname='false')

    # -- the proof -----------------------------------------------------------

    def prove(self, url, identity, keytab_of, host, browser, as_typed,
              *extra):
        """check under both models; each verdict against kvno and curl
        (with the client setting the model stands for)."""
        docs = {}
        for model, want, other in (('browser', browser, as_typed),
                                   ('as-typed', as_typed, browser)):
            doc = self.check(url, identity, '--client-model', model, *extra,
                             expect=want)
            self.assertEqual((doc['client'], doc['kdc']), (model, 'samba'))
            self.assertEqual((doc['other']['client'],
                              doc['other']['verdict']),
                             ('as-typed' if model == 'browser'
                              else 'browser', other))
            docs[model] = doc
        servers = self.__dict__.setdefault('servers', {})
        if host in ADDRESSES and host not in servers:
            web = krb.SpnegoServer(self.keytab(keytab_of), ADDRESSES[host])
            web.start()
            self.addCleanup(self._stop_server, web)
            servers[host] = web
        for model, conf in (('browser', self.canon),
                            ('as-typed', self.as_typed)):
            self.reality(docs[model], url, conf, keytab_of)
        return docs

    def reality(self, doc, url, conf, keytab_of):
        what = '%s (%s model): check says %s for %s' % (
            url, doc['client'], doc['verdict'], doc['spn'])
        cc = self.fresh_ccache()
        res = krb.curl_negotiate(url, cc, krb5_config=conf)
        if doc['verdict'] == 'unresolvable':
            self.assertEqual(res.returncode, 6, what + ': ' + res.stderr)
            self.assertIn('Could not resolve host', res.stderr)
            return
        self.assertEqual(res.requested, [doc['spn'] + f'@{REALM}'],
                         what)
        if doc['verdict'] == 'kerberos-ok':
            k = krb.kvno(doc['spn'], cc, keytab=self.keytab(keytab_of))
            self.assertEqual((tuple(k), k.keytab_valid), ((True, 1), True),
                             what + ': ' + k.stderr)
            self.assertEqual(res.status, 200, what + ': ' + res.stderr)
        elif doc['verdict'] == 'kerberos-fails':
            k = krb.kvno(doc['spn'], cc, keytab=self.keytab(keytab_of))
            self.assertIs(k.keytab_valid, False, what + ': ' + k.stderr)
            self.assertEqual(res.status, 401, what)
        else:
            self.assertIn(doc['verdict'], ('ntlm-fallback', 'duplicate'))
            self.assertPrincipalUnknown(krb.kvno(doc['spn'], cc))
            self.assertEqual((res.status, res.returncode), (401, 0), what)
            self.assertIn('Server not found in Kerberos database',
                          res.stderr)

    # -- the cases -----------------------------------------------------------

    def test_renamed_computer_answers_by_its_cn(self):
        """cn web85, sAMAccountName WEB85X$: the KDC finds it by cn."""
        docs = self.prove(f'http://web85.{DNSNAME}/', 'NetworkService',
                          'WEB85X$', 'web85', 'kerberos-ok', 'kerberos-ok',
                          '--server', f'web85.{DNSNAME}')
        self.assertEqual(docs['browser']['answerers'][0]['via'],
                         'computer-name')
        self.assertEqual(docs['browser']['pool']['sam_account_name'],
                         'WEB85X$')

    def test_computer_whose_cn_differs_does_not_answer(self):
        """sAMAccountName WEB86$ but cn web86-old: nobody answers for
        web86, though WEB86$ exists."""
        docs = self.prove(f'http://web86.{DNSNAME}/', 'WEB86$', 'WEB86$',
                          'web86', 'ntlm-fallback', 'ntlm-fallback')
        self.assertEqual(docs['browser']['answerers'], [])

    def test_stale_computer_next_to_a_host_alias_is_a_duplicate(self):
        docs = self.prove(f'http://web83.{DNSNAME}/', 'NetworkService',
                          'WEB84$', 'web83', 'duplicate', 'duplicate',
                          '--server', 'web84')
        self.assertEqual(sorted(a['sam_account_name']
                                for a in docs['browser']['answerers']),
                         ['WEB83$', 'WEB84$'])
        self.prove('http://web83/', 'NetworkService', 'WEB84$', 'web83',
                   'duplicate', 'duplicate', '--server', 'web84')

    def test_long_dns_name_works_by_either_name(self):
        """cn intranet-web-001, sAMAccountName INTRANET-WEB-00$; --server
        takes the 16-character DNS name."""
        for url in (f'http://intranet-web-001.{DNSNAME}/',
                    'http://intranet-web-001/'):
            self.prove(url, 'NetworkService', 'INTRANET-WEB-00$',
                       'intranet-web-001', 'kerberos-ok', 'kerberos-ok',
                       '--server', 'intranet-web-001')

    def test_long_dns_name_with_a_domain_pool_fails(self):
        """The computer answers (its host/ and its cn are one object to
        the KDC's fallback search), and the pool cannot decrypt."""
        self.prove('http://intranet-web-001/', 'pool-web97',
                   'pool-web97', 'intranet-web-001', 'kerberos-fails',
                   'kerberos-fails')

    def test_short_name_with_only_the_fqdn_registered(self):
        docs = self.prove('http://web97/', 'pool-web97', 'pool-web97',
                          'web97', 'kerberos-ok', 'ntlm-fallback')
        self.assertEqual((docs['browser']['spn'], docs['as-typed']['spn']),
                         (f'HTTP/web97.{DNSNAME}', 'HTTP/web97'))

    def test_mit_false_still_qualifies_short_names(self):
        """dns_canonicalize_hostname = false alone: a short name gets the
        search domain (the browser model's SPN), a CNAME is not followed
        (the as-typed model's SPN)."""
        self.prove('http://web97/', 'pool-web97', 'pool-web97', 'web97',
                   'kerberos-ok', 'ntlm-fallback')
        res = krb.curl_negotiate('http://web97/', self.fresh_ccache(),
                                 krb5_config=self.mit_false)
        self.assertEqual(res.requested,
                         [f'HTTP/web97.{DNSNAME}@{REALM}'])
        self.assertEqual(res.status, 200, res.stderr)

    def test_short_name_with_only_the_short_form_registered(self):
        self.prove('http://web98/', 'pool-web98', 'pool-web98', 'web98',
                   'ntlm-fallback', 'kerberos-ok')
        self.prove(f'http://web98.{DNSNAME}/', 'pool-web98', 'pool-web98',
                   'web98', 'ntlm-fallback', 'ntlm-fallback')

    def test_disabled_holder_still_gets_tickets_and_audit_says_so(self):
        docs = self.prove('http://web99/', 'pool-web99', 'pool-web99',
                          'web99', 'kerberos-ok', 'kerberos-ok')
        self.assertTrue(docs['browser']['pool']['disabled'])
        rc, out, err = self.tool('audit', '--json')
        findings = [f for f in json.loads(out)['findings']
                    if f['kind'] == 'disabled']
        self.assertEqual(len(findings), 1, out)
        self.assertIn("Samba's KDC still issues tickets",
                      findings[0]['detail'])
        self.assertNotIn('refuses', findings[0]['detail'])

    def test_expired_holder_still_gets_tickets(self):
        self.prove(f'http://web95.{DNSNAME}/', 'pool-web95', 'pool-web95',
                   'web95', 'kerberos-ok', 'kerberos-ok')

    def test_dangling_cname_is_unresolvable(self):
        docs = self.prove(f'http://gone.{DNSNAME}/', 'pool-web97',
                          'pool-web97', 'gone', 'unresolvable',
                          'unresolvable')
        self.assertEqual(docs['browser']['dns'], 'missing')

    def test_cname_loop_is_unresolvable(self):
        docs = self.prove(f'http://loop1.{DNSNAME}/', 'pool-web97',
                          'pool-web97', 'loop1', 'unresolvable',
                          'unresolvable')
        self.assertEqual(docs['browser']['dns'], 'cname')

    def test_text_output_names_both_models_when_they_differ(self):
        rc, out, err = self.tool('check', 'http://web97/', '--identity',
                                 'pool-web97')
        self.assertEqual(rc, VERDICT_EXIT['kerberos-ok'], out + err)
        self.assertIn('Client model: browser-like', out)
        self.assertIn('Other client model (as-typed): as-typed requests '
                      'HTTP/web97: NTLM-FALLBACK', out)
        rc, out, err = self.tool('check', f'http://gone.{DNSNAME}/',
                                 '--identity', 'pool-web97')
        self.assertEqual(rc, 13, out + err)
        rc, out, err = self.tool('check', 'http://web97/', '--identity',
                                 'pool-web97', '--client-model', 'nonsense')
        self.assertEqual(rc, 2, out + err)


del RealityBase, ToolMixin  # not test cases of this module
