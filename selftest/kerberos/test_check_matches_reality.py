"""`samba-tool spn http-pool check` held against reality: for each of the
three situations of docs/admin-guide.md the verdict `check` predicts from the directory must be
what a real KDC, real MIT clients (kvno, curl --negotiate) and a real
SPNEGO server holding the pool's keytab then do.  The directory is shaped
through our own commands (add, remove), so this also proves that their
fixes work.

    kerberos-ok     -> curl gets 200 from a server with the pool's keys
    ntlm-fallback   -> the KDC says principal unknown and nobody holds it
    kerberos-fails  -> the KDC issues a ticket the pool cannot decrypt
                       (curl 401, MIT error 35)
    duplicate       -> principal unknown, though holders exist
"""

import json
import os
import shlex
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SELFTEST = os.path.dirname(HERE)
for _path in (HERE, os.path.join(SELFTEST, 'integration')):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import krb  # noqa: E402
from common import DNSNAME, DOMAIN, REALM, SAMBA_TOOL  # noqa: E402
from test_kerberos_reality import (KRB_AP_ERR_NOT_US,  # noqa: E402
                                   RealityBase)

VERDICT_EXIT = {'kerberos-ok': 0, 'ntlm-fallback': 10,
                'kerberos-fails': 11, 'duplicate': 12, 'unresolvable': 13}


class ToolMixin:

    def tool(self, *args):
        argv = ([SAMBA_TOOL, 'spn', 'http-pool'] + list(args) +
                ['-s', self.env['SMB_CONF_PATH'], '-H', 'ldap://127.0.0.1',
                 '-U%s%%%s' % (self.env['USERNAME'], self.env['PASSWORD'])])
        proc = subprocess.run(argv, env=self.env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE,
                              universal_newlines=True, timeout=120)
        return proc.returncode, proc.stdout, proc.stderr

    def ok(self, *args):
        rc, out, err = self.tool(*args)
        self.assertEqual(rc, 0, out + err)
        return out

    def check(self, target, identity, *extra, expect):
        rc, out, err = self.tool('check', target, '--identity', identity,
                                 '--json', *extra)
        doc = json.loads(out)
        self.assertEqual((doc['verdict'], rc), (expect, VERDICT_EXIT[expect]),
                         'check %s as %s: %s' % (target, identity,
                                                 doc.get('reason', err)))
        return doc


class CheckMatchesReality(ToolMixin, RealityBase):
    """web01: WEB01$ with HOST/; pool-web01 gets http/ through `add`.
    web02: WEB02$ with HOST/; pool-web02 holds nothing.
    farm:  nobody; pool-farm runs the farm site."""

    @classmethod
    def world(cls):
        dc = cls.dc
        cls.web01 = dc.create_computer(
            'web01', spns=['HOST/web01', f'HOST/web01.{DNSNAME}'])
        cls.pool01 = dc.create_user('pool-web01', attrs=krb.AES_ONLY)
        cls.web02 = dc.create_computer(
            'web02', spns=['HOST/web02', f'HOST/web02.{DNSNAME}'])
        cls.pool02 = dc.create_user('pool-web02', attrs=krb.AES_ONLY)
        cls.farmpool = dc.create_user('pool-farm', attrs=krb.AES_ONLY)

    def test_ok_pool_registered_with_add_gets_200(self):
        self.ok('add', f'{DOMAIN}\\pool-web01', 'web01')
        for url in (f'http://web01.{DNSNAME}/', 'http://web01/'):
            doc = self.check(url, 'pool-web01', expect='kerberos-ok')
            self.assertEqual(doc['answerers'][0]['via'], 'explicit')
        web = self.serve(self.keytab('pool-web01'), 'web01')
        cc = self.fresh_ccache()
        for host in (f'web01.{DNSNAME}', 'web01'):
            res = krb.curl_negotiate(web.url(host), cc)
            self.assertEqual(res.status, 200, res.stderr)
            self.assertEqual(res.requested, [f'HTTP/%s@{REALM}' % host])

    def test_ntlm_fallback_is_principal_unknown_and_its_fix_works(self):
        doc = self.check(f'http://farm.{DNSNAME}/', 'pool-farm',
                         expect='ntlm-fallback')
        self.assertEqual(doc['answerers'], [])
        self.assertPrincipalUnknown(
            krb.kvno(f'HTTP/farm.{DNSNAME}', self.cc))
        web = self.serve(self.keytab('pool-farm'), 'farm')
        res = krb.curl_negotiate(web.url(f'farm.{DNSNAME}'), self.cc)
        self.assertEqual((res.status, res.returncode), (401, 0))
        self.assertIn('Server not found in Kerberos database', res.stderr)

        # check's own fix, as printed, makes Kerberos work
        fix = doc['fixes'][0]
        self.assertEqual(fix, shlex.join(['samba-tool', 'spn', 'http-pool',
                                          'add', 'pool-farm',
                                          f'farm.{DNSNAME}']))
        self.ok('add', 'pool-farm', f'farm.{DNSNAME}')
        self.check(f'http://farm.{DNSNAME}/', 'pool-farm',
                   expect='kerberos-ok')
        res = krb.curl_negotiate(web.url(f'farm.{DNSNAME}'),
                                 self.fresh_ccache())
        self.assertEqual(res.status, 200, res.stderr)

    def test_kerberos_fails_when_the_computer_answers_for_a_domain_pool(self):
        doc = self.check(f'http://web02.{DNSNAME}/', 'pool-web02',
                         expect='kerberos-fails')
        self.assertEqual(doc['answerers'][0]['via'], 'host-alias')
        self.assertEqual(doc['answerers'][0]['sam_account_name'], 'WEB02$')
        # the KDC does issue a ticket...
        self.assertKvnoOk(krb.kvno(f'HTTP/web02.{DNSNAME}', self.cc))
        # ...that a server with the pool's keys cannot decrypt
        web = self.serve(self.keytab('pool-web02'), 'web02')
        res = krb.curl_negotiate(web.url(f'web02.{DNSNAME}'), self.cc)
        self.assertEqual(res.status, 401, res.stderr)
        self.assertIn(KRB_AP_ERR_NOT_US,
                      [code for code, _, _ in web.krb5_failures()])

    def test_builtin_identity_on_the_computer_name_is_ok(self):
        # NetworkService authenticates as WEB02$: the machine's keys
        self.check(f'http://web02.{DNSNAME}/', 'NetworkService',
                   '--server', 'web02', expect='kerberos-ok')
        self.check(f'http://web02.{DNSNAME}/', 'pool-web02',
                   '--kernel-mode', '--server', 'web02',
                   expect='kerberos-ok')
        web = self.serve(self.keytab('web02', computer=True), 'web02')
        res = krb.curl_negotiate(web.url(f'web02.{DNSNAME}'), self.cc)
        self.assertEqual(res.status, 200, res.stderr)

    def test_duplicate_is_principal_unknown_and_remove_cleans_it(self):
        first = self.user('dup', attrs=krb.AES_ONLY)
        second = self.user('dup', attrs=krb.AES_ONLY)
        self.ok('add', first.name, 'intranet')
        self.dc.stop()
        try:
            self.dc.force_duplicate_spn(second.dn,
                                        f'http/intranet.{DNSNAME}')
        finally:
            self.dc.start()
        doc = self.check(f'http://intranet.{DNSNAME}/', first.name,
                         expect='duplicate')
        self.assertEqual(sorted(a['sam_account_name']
                                for a in doc['answerers']),
                         sorted([first.name, second.name]))
        self.assertPrincipalUnknown(
            krb.kvno(f'HTTP/intranet.{DNSNAME}', self.fresh_ccache()))
        rc, out, err = self.tool('audit', '--json')
        self.assertEqual(rc, 8, err)
        dups = [f for f in json.loads(out)['findings']
                if f['kind'] == 'duplicate']
        self.assertEqual([f['spn'].lower() for f in dups],
                         [f'http/intranet.{DNSNAME}'])

        # check's fix removes the second holder; Samba refuses a plain
        # delete of a duplicated value, our remove still gets it done
        self.assertIn(shlex.join(['samba-tool', 'spn', 'http-pool',
                                  'remove', second.name,
                                  f'intranet.{DNSNAME}']), doc['fixes'])
        self.ok('remove', second.name, f'intranet.{DNSNAME}')
        self.assertEqual(self.holders(f'http/intranet.{DNSNAME}'),
                         [first.name])
        self.check(f'http://intranet.{DNSNAME}/', first.name,
                   expect='kerberos-ok')
        web = self.serve(self.keytab(first.name), 'intranet')
        res = krb.curl_negotiate(web.url(f'intranet.{DNSNAME}'),
                                 self.fresh_ccache())
        self.assertEqual(res.status, 200, res.stderr)

    def user(self, prefix, **kw):
        return self.dc.create_user('%s-%d' % (prefix, time.monotonic_ns()
                                              % 100000), **kw)


class CheckFollowsAdCname(ToolMixin, RealityBase):
    """www.DOMAIN is a CNAME to web01.DOMAIN in AD DNS, served
    by the DC's own DNS on loopback; the browser-like client canonicalises
    (dns_canonicalize_hostname = true)."""

    @classmethod
    def prepare(cls, dc):
        krb.add_a(dc, 'web01', '127.0.0.11')
        krb.add_cname(dc, 'www', f'web01.{DNSNAME}')
        krb.enable_dns_server(dc)

    @classmethod
    def world(cls):
        cls.web01 = cls.dc.create_computer(
            'web01', spns=['HOST/web01', f'HOST/web01.{DNSNAME}'])
        cls.pool = cls.dc.create_user('pool-web01', attrs=krb.AES_ONLY)
        cls.canon = krb.krb5_conf_variant(
            cls.dc, os.path.join(cls.dc.run_dir, 'krb5-canon.conf'),
            dns_canonicalize_hostname='true')

    def test_check_names_the_spn_of_the_cname_target(self):
        doc = self.check(f'http://www.{DNSNAME}/', 'pool-web01',
                         expect='kerberos-fails')
        self.assertEqual(doc['cname_chain'], [f'web01.{DNSNAME}'])
        self.assertEqual(doc['spn'], f'HTTP/web01.{DNSNAME}')
        self.assertEqual(doc['dns'], 'address')  # web01's A record
        web = self.serve(self.keytab('pool-web01'), 'web01')
        res = krb.curl_negotiate(f'http://www.{DNSNAME}/', self.cc,
                                 krb5_config=self.canon)
        self.assertEqual(res.requested,
                         [f'HTTP/web01.{DNSNAME}@{REALM}'])
        self.assertEqual(res.status, 401)
        # a ticket for the machine: the pool's keys cannot decrypt it
        self.assertIn(KRB_AP_ERR_NOT_US,
                      [code for code, _, _ in web.krb5_failures()])

        # the fix registers the target's name, and then the browser-like
        # client gets in through the alias
        self.assertIn(shlex.join(['samba-tool', 'spn', 'http-pool', 'add',
                                  'pool-web01', f'web01.{DNSNAME}']),
                      doc['fixes'])
        self.ok('add', 'pool-web01', f'web01.{DNSNAME}')
        self.check(f'http://www.{DNSNAME}/', 'pool-web01',
                   expect='kerberos-ok')
        res = krb.curl_negotiate(f'http://www.{DNSNAME}/',
                                 self.fresh_ccache(),
                                 krb5_config=self.canon)
        self.assertEqual(res.status, 200, res.stderr)
