"""Ground truth for `check`: what a real KDC (the throwaway Samba DC), real
MIT clients (kvno, curl --negotiate) and a real SPNEGO web server (python3
-gssapi acceptor, and Apache with mod_auth_gssapi) do in each scenario of
the admin guide (docs/admin-guide.md: a site name other than the
computer's, a pool account on the computer's name, several pools on one
name).

No product code runs here: SPNs are written straight through a SamDB, so
these tests establish what really happens, and the `check` tests can be
held against them.  Every assertion is an observed code; a Samba, MIT or
Apache that behaves differently fails the test.

    selftest/netns-run /usr/bin/python3 -m unittest -v \\
        selftest/kerberos/test_kerberos_reality.py

Each test prints its wall time (servers' stop included); the module
prints a table at the end.
"""

import itertools
import os
import sys
import tempfile
import time
import unittest

import ldb

HERE = os.path.dirname(os.path.abspath(__file__))
SELFTEST = os.path.dirname(HERE)
for _path in (HERE, os.path.join(SELFTEST, 'integration')):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import krb  # noqa: E402
from common import DNSNAME, REALM, DCTestCase, dcmod  # noqa: E402

# RFC 4120 error numbers an MIT acceptor reports.
KRB_AP_ERR_BAD_INTEGRITY = 31
KRB_AP_ERR_NOT_US = 35

STARTED = time.monotonic()
TIMINGS = []  # (what, seconds)


def tearDownModule():
    TIMINGS.append(('whole file', time.monotonic() - STARTED))
    width = max(len(what) for what, _ in TIMINGS)
    lines = ['', 'timings (wall clock):']
    lines += ['  %-*s %7.3f s' % (width, what, sec) for what, sec in TIMINGS]
    sys.stderr.write('\n'.join(lines) + '\n')


class RealityBase(DCTestCase):
    """One throwaway DC per class, started, with a client user 'alice'.

    ``prepare(dc)`` runs while the DC is still stopped (local sam.ldb);
    ``world()`` creates the class's accounts once the DC runs.  Every
    test gets a temp dir inside the DC's run dir and a fresh ccache: a
    ccache caches service tickets, so an old one would hide changes."""

    transport = 'ldap'

    @classmethod
    def setUpClass(cls):
        if cls is RealityBase:
            raise unittest.SkipTest('abstract base')
        began = time.monotonic()
        cls.dc = dcmod.ThrowawayDC(start=False)
        cls.dc.setup()
        cls.saved_environ = dict(os.environ)
        try:
            cls.prepare(cls.dc)
            cls.dc.start()
            cls.env = dict(os.environ, **cls.dc.environ())
            os.environ.update(cls.dc.environ())
            cls.client = cls.dc.create_user('alice')
            cls.keytabs = {}
            cls.world()
        except BaseException:
            cls.dc.close()
            os.environ.clear()
            os.environ.update(cls.saved_environ)
            raise
        TIMINGS.append(('%s setUpClass' % cls.__name__,
                        time.monotonic() - began))

    @classmethod
    def tearDownClass(cls):
        cls.dc.close()
        os.environ.clear()
        os.environ.update(cls.saved_environ)

    @classmethod
    def prepare(cls, dc):
        pass

    @classmethod
    def world(cls):
        pass

    def setUp(self):
        self.began = time.monotonic()
        # Registered first, so it runs last: the time includes stopping
        # the test's servers.
        self.addCleanup(self._record_time)
        self.tmp = tempfile.mkdtemp(prefix='krb-', dir=self.dc.run_dir)
        self.ccaches = itertools.count(1)
        self.cc = self.fresh_ccache()

    def _record_time(self):
        sec = time.monotonic() - self.began
        TIMINGS.append((self.id().rsplit('.', 1)[-1], sec))
        sys.stderr.write('[%.3f s] ' % sec)

    # -- helpers -----------------------------------------------------------

    def fresh_ccache(self):
        path = os.path.join(self.tmp, 'cc-%d' % next(self.ccaches))
        return krb.kinit(self.client.principal, self.client.password, path)

    def keytab(self, account, computer=False):
        """Exported once per class: samba-tool costs ~0.6 s a call."""
        key = (account, computer)
        if key not in self.keytabs:
            path = os.path.join(self.dc.run_dir, 'keytab-%s%s' % (
                account.rstrip('$'), '-computer' if computer else ''))
            export = (krb.export_computer_keytab if computer
                      else krb.export_keytab)
            self.keytabs[key] = export(self.dc, account, path)
        return self.keytabs[key]

    def serve(self, keytab, host, kind='python'):
        """A started SpnegoServer on the host's loopback address; stopped
        (and checked for leftovers) when the test ends."""
        server = krb.SpnegoServer(keytab, krb.HOSTS[host], kind=kind)
        server.start()
        self.addCleanup(self._stop_server, server)
        return server

    def _stop_server(self, server):
        server.stop()
        self.assertEqual(server.leftovers, [],
                         '%s server left processes behind' % server.kind)

    def add_spns(self, dn, *spns):
        db = self.dc.samdb()
        msg = ldb.Message(ldb.Dn(db, dn))
        msg['servicePrincipalName'] = ldb.MessageElement(
            list(spns), ldb.FLAG_MOD_ADD, 'servicePrincipalName')
        db.modify(msg)

    def holders(self, spn):
        db = self.dc.samdb()
        res = db.search(db.domain_dn(), scope=ldb.SCOPE_SUBTREE,
                        expression='(servicePrincipalName=%s)'
                        % ldb.binary_encode(spn), attrs=['sAMAccountName'])
        return sorted(str(m['sAMAccountName'][0]) for m in res)

    def assertKvnoOk(self, result, number=1):
        self.assertEqual(tuple(result), (True, number),
                         'kvno %s: %s' % (result.spn, result.stderr))

    def assertPrincipalUnknown(self, result):
        self.assertEqual(tuple(result), (False, krb.PRINCIPAL_UNKNOWN),
                         'kvno %s: %s' % (result.spn, result.stderr))
        self.assertTrue(result.principal_unknown)
        self.assertIn('Server not found in Kerberos database while getting '
                      f'credentials for %s@{REALM}' % result.spn,
                      result.stderr)


class SituationScenarios(RealityBase):
    """Scenarios a-d (situations 1-3 of docs/admin-guide.md, and a
    duplicate), one DC.

    web01: computer WEB01$ (HOST/web01, HOST/web01.DOMAIN) whose
           site runs as pool user pool-web01 holding http/web01 and
           http/web01.DOMAIN (scenario a).
    web02: computer WEB02$ (HOST/ only) whose site runs as pool-web02,
           which holds nothing (scenario c).
    farm:  nobody (scenario b).
    """

    @classmethod
    def world(cls):
        dc = cls.dc
        cls.web01 = dc.create_computer(
            'web01', spns=['HOST/web01', f'HOST/web01.{DNSNAME}'])
        cls.pool01 = dc.create_user(
            'pool-web01', attrs=krb.AES_ONLY,
            spns=['http/web01', f'http/web01.{DNSNAME}'])
        cls.web02 = dc.create_computer(
            'web02', spns=['HOST/web02', f'HOST/web02.{DNSNAME}'])
        cls.pool02 = dc.create_user('pool-web02', attrs=krb.AES_ONLY)
        cls.farmpool = dc.create_user('pool-farm', attrs=krb.AES_ONLY)

    # -- a) the pool holds both http/ forms: Kerberos works ----------------

    def test_a_pool_holding_both_http_spns_gets_tickets_for_both_names(self):
        for spn in (f'HTTP/web01.{DNSNAME}', 'HTTP/web01'):
            self.assertKvnoOk(krb.kvno(spn, self.cc))
            # Encrypted with the pool's key (its keytab decrypts it), not
            # WEB01$'s: an explicit http/ beats the computer's HOST/.
            checked = krb.kvno(spn, self.cc, keytab=self.keytab('pool-web01'))
            self.assertEqual(tuple(checked), (True, 1), checked.stderr)
            self.assertIs(checked.keytab_valid, True)
            wrong = krb.kvno(spn, self.cc,
                             keytab=self.keytab('web01', computer=True))
            self.assertEqual(tuple(wrong), (False, krb.WRONG_PRINCIPAL))
        # AES because the pool has msDS-SupportedEncryptionTypes = 24.
        self.assertEqual(krb.klist(self.cc)[
            f'HTTP/web01.{DNSNAME}@{REALM}'],
            ('aes256-cts-hmac-sha1-96', 'aes256-cts-hmac-sha1-96'))

    def test_a_pool_site_answers_200_by_fqdn_and_short_name(self):
        web = self.serve(self.keytab('pool-web01'), 'web01')
        for host in (f'web01.{DNSNAME}', 'web01'):
            res = krb.curl_negotiate(web.url(host), self.cc)
            self.assertEqual(res.status, 200, res.stderr)
            self.assertEqual(res.requested, [f'HTTP/%s@{REALM}' % host])
            self.assertEqual(res.body, f'OK alice@{REALM}\n')
        self.assertEqual(
            [(e['status'], e['user'], e['service']) for e in web.events()],
            [(200, f'alice@{REALM}', f'pool-web01@{REALM}')] * 2)
        self.assertEqual(web.krb5_failures(), [])

    def test_a_apache_mod_auth_gssapi_with_pool_keytab_answers_200(self):
        web = self.serve(self.keytab('pool-web01'), 'web01', kind='apache')
        res = krb.curl_negotiate(web.url(f'web01.{DNSNAME}'), self.cc)
        self.assertEqual(res.status, 200, res.stderr + web.output())
        self.assertEqual(res.body, 'OK\n')
        self.assertEqual(web.events(expect=1), [
            {'status': 200, 'user': f'alice@{REALM}',
             'path': '/index.html'}])
        self.assertEqual(web.accepted(),
                         [(f'alice@{REALM}', f'pool-web01@{REALM}')])

    # -- b) nobody holds the alias: principal unknown, NTLM fallback ------

    def test_b_unregistered_alias_is_principal_unknown(self):
        self.assertEqual(self.holders(f'http/farm.{DNSNAME}'), [])
        self.assertEqual(self.holders(f'host/farm.{DNSNAME}'), [])
        self.assertEqual(self.holders('host/farm'), [])
        for spn in (f'HTTP/farm.{DNSNAME}', 'HTTP/farm'):
            self.assertPrincipalUnknown(krb.kvno(spn, self.cc))

    def test_b_curl_sends_no_token_and_gets_401(self):
        web = self.serve(self.keytab('pool-farm'), 'farm')
        res = krb.curl_negotiate(web.url(f'farm.{DNSNAME}'), self.cc)
        # curl cannot build a token, gives up quietly and exits 0 with
        # the server's 401: a browser would now try NTLM.
        self.assertEqual((res.status, res.returncode), (401, 0))
        self.assertEqual(res.requested,
                         [f'HTTP/farm.{DNSNAME}@{REALM}'])
        self.assertIn('gss_init_sec_context() failed: Server not found in '
                      'Kerberos database.', res.stderr)
        self.assertNotIn('Authorization: Negotiate', res.stderr)
        self.assertEqual(web.events(), [
            {'status': 401, 'auth': None, 'path': '/'}])

    # -- c) site named like the computer, pool holds nothing --------------

    def test_c_http_spn_resolves_to_the_computer_through_host_alias(self):
        self.assertEqual(self.holders(f'http/web02.{DNSNAME}'), [])
        for spn in (f'HTTP/web02.{DNSNAME}', 'HTTP/web02'):
            res = krb.kvno(spn, self.cc)
            self.assertKvnoOk(res)
            # WEB02$'s key, not the pool's:
            mine = krb.kvno(spn, self.cc,
                            keytab=self.keytab('web02', computer=True))
            self.assertIs(mine.keytab_valid, True, mine.stderr)
            pools = krb.kvno(spn, self.cc, keytab=self.keytab('pool-web02'))
            self.assertEqual(tuple(pools), (False, krb.WRONG_PRINCIPAL))
            self.assertIs(pools.keytab_valid, False)
        # RC4: the computer account has no msDS-SupportedEncryptionTypes.
        self.assertEqual(krb.klist(self.cc)[
            f'HTTP/web02.{DNSNAME}@{REALM}'],
            ('aes256-cts-hmac-sha1-96', 'DEPRECATED:arcfour-hmac'))

    def test_c_computer_without_spns_answers_by_its_first_label(self):
        """The KDC matches http/<first label>[.any domain] to the
        computer whose cn is the first label, without any SPN and
        ignoring the domain part and dNSHostName (here cn and
        sAMAccountName agree; test_check_kdc_rules.py separates them)."""
        self.dc.create_computer('web05', spns=())
        self.dc.create_computer('web06', spns=(),
                                attrs={'dNSHostName': f'other.{DNSNAME}'})
        keytab = self.keytab('web05', computer=True)
        for spn in (f'HTTP/web05.{DNSNAME}', 'HTTP/web05',
                    'HTTP/web05.elsewhere.test'):
            res = krb.kvno(spn, self.cc, keytab=keytab)
            self.assertKvnoOk(res)
            self.assertIs(res.keytab_valid, True)
        self.assertKvnoOk(krb.kvno(f'HTTP/web06.{DNSNAME}', self.cc))
        self.assertPrincipalUnknown(krb.kvno(f'HTTP/other.{DNSNAME}',
                                             self.cc))

    def test_c_pool_keytab_cannot_decrypt_computer_ticket_error_35(self):
        web = self.serve(self.keytab('pool-web02'), 'web02')
        res = krb.curl_negotiate(web.url(f'web02.{DNSNAME}'), self.cc)
        self.assertEqual((res.status, res.returncode), (401, 0), res.stderr)
        self.assertEqual(res.requested,
                         [f'HTTP/web02.{DNSNAME}@{REALM}'])
        self.assertIn('Authorization: Negotiate', res.stderr)
        [event] = web.events()
        text = (f'Request ticket server HTTP/web02.{DNSNAME}@{REALM} '
                'not found in keytab (ticket kvno 1)')
        self.assertEqual(
            (event['status'], event['krb5_error'], event['krb5_text']),
            (401, KRB_AP_ERR_NOT_US, text))
        self.assertEqual(event['major'], 851968)  # GSS_S_FAILURE
        self.assertIn(text, event['error'])

    def test_c_pool_keys_named_after_the_site_fail_with_error_31(self):
        """A ktpass-style keytab: the pool's keys under the SPN's name.
        MIT finds the entry and the key does not fit."""
        keytab = krb.keytab_renamed(
            self.keytab('pool-web02'), os.path.join(self.tmp, 'ktpass'),
            f'HTTP/web02.{DNSNAME}@{REALM}')
        web = self.serve(keytab, 'web02')
        res = krb.curl_negotiate(web.url(f'web02.{DNSNAME}'), self.cc)
        self.assertEqual(res.status, 401, res.stderr)
        [event] = web.events()
        self.assertEqual(
            (event['krb5_error'], event['krb5_text']),
            (KRB_AP_ERR_BAD_INTEGRITY,
             f'Request ticket server HTTP/web02.{DNSNAME}@{REALM} '
             'kvno 1 enctype rc4-hmac found in keytab but cannot decrypt '
             'ticket'))

    def test_c_apache_with_pool_keytab_answers_401(self):
        web = self.serve(self.keytab('pool-web02'), 'web02', kind='apache')
        res = krb.curl_negotiate(web.url(f'web02.{DNSNAME}'), self.cc)
        self.assertEqual(res.status, 401, res.stderr)
        self.assertEqual(web.events(expect=1),
                         [{'status': 401, 'user': None, 'path': '/'}])
        text = (f'Request ticket server HTTP/web02.{DNSNAME}@{REALM} '
                'not found in keytab (ticket kvno 1)')
        self.assertEqual(web.krb5_failures(),
                         [(KRB_AP_ERR_NOT_US, -1765328349, text)])
        [logged] = web.gss_errors()
        self.assertIn(text, logged)

    def test_c_machine_keytab_decrypts_it_as_kernel_mode_iis_would(self):
        web = self.serve(self.keytab('web02', computer=True), 'web02')
        res = krb.curl_negotiate(web.url(f'web02.{DNSNAME}'), self.cc)
        self.assertEqual(res.status, 200, res.stderr)
        self.assertEqual([(e['status'], e['service']) for e in web.events()],
                         [(200, f'WEB02$@{REALM}')])

    def test_c_fix_registering_http_on_the_pool_makes_it_work(self):
        """The fix of situation 1 (docs/admin-guide.md), on host
        'intranet' (not to disturb web02)."""
        host = self.dc.create_computer(
            'intranet', spns=['HOST/intranet', f'HOST/intranet.{DNSNAME}'])
        pool = self.dc.create_user('pool-intranet', attrs=krb.AES_ONLY)
        web = self.serve(self.keytab('pool-intranet'), 'intranet')
        url = web.url(f'intranet.{DNSNAME}')
        before = krb.curl_negotiate(url, self.cc)
        self.assertEqual(before.status, 401)
        self.assertEqual(self.spns_of(host.dn),
                         ['HOST/intranet', f'HOST/intranet.{DNSNAME}'])
        self.add_spns(pool.dn, 'http/intranet', f'http/intranet.{DNSNAME}')
        # Samba let Administrator add http/X although HOST/X is on
        # another object, after rewriting that object's values (proof of
        # write access; docs/design.md, "A Samba DC rewrites an alias
        # holder's SPNs"): they come back lower-case.
        self.assertEqual(self.spns_of(host.dn),
                         ['host/intranet', f'host/intranet.{DNSNAME}'])
        # The old ccache still holds the computer's ticket...
        stale = krb.curl_negotiate(url, self.cc)
        self.assertEqual(stale.status, 401)
        # ...a new logon gets the pool's.
        after = krb.curl_negotiate(url, self.fresh_ccache())
        self.assertEqual(after.status, 200, after.stderr)
        self.assertEqual(
            [(e['status'], e.get('krb5_error'), e.get('service'))
             for e in web.events()],
            [(401, KRB_AP_ERR_NOT_US, None), (401, KRB_AP_ERR_NOT_US, None),
             (200, None, f'pool-intranet@{REALM}')])

    # -- d) a duplicate: the KDC gives up ---------------------------------

    def test_d_duplicate_spn_is_principal_unknown(self):
        first = self.user('dup', attrs=krb.AES_ONLY,
                          spns=[f'http/dup.{DNSNAME}'])
        second = self.user('dup', attrs=krb.AES_ONLY)
        self.assertKvnoOk(krb.kvno(f'HTTP/dup.{DNSNAME}', self.cc))
        self.dc.stop()
        try:
            self.dc.force_duplicate_spn(second.dn, f'http/dup.{DNSNAME}')
        finally:
            self.dc.start()
        self.assertEqual(self.holders(f'http/dup.{DNSNAME}'),
                         sorted([first.name, second.name]))
        # The ticket cached before still works from the ccache...
        self.assertKvnoOk(krb.kvno(f'HTTP/dup.{DNSNAME}', self.cc))
        # ...a new request gets exactly the "nobody" answer of b).
        self.assertPrincipalUnknown(
            krb.kvno(f'HTTP/dup.{DNSNAME}', self.fresh_ccache()))

    # -- e) without a DNS server, AD DNS records are invisible ------------

    def test_e_cname_in_ad_dns_does_not_resolve_without_dns_service(self):
        """This DC runs no DNS service (dc.py's default), so the namespace
        resolves only /etc/hosts names: a CNAME in AD DNS means nothing to
        curl.  (CnameThroughSambaDns runs Samba's DNS to see it.)"""
        krb.add_cname(self.dc, 'www-nodns', f'web01.{DNSNAME}')  # LDAP
        self.assertEqual(krb.resolve(f'www-nodns.{DNSNAME}'), (None, []))
        res = krb.curl_negotiate(f'http://www-nodns.{DNSNAME}/', self.cc)
        self.assertEqual((res.status, res.returncode), (0, 6))
        self.assertIn(f'Could not resolve host: www-nodns.{DNSNAME}',
                      res.stderr)
        self.assertEqual(res.requested, [])
        self.assertPrincipalUnknown(
            krb.kvno(f'HTTP/www-nodns.{DNSNAME}', self.cc))


class CnameThroughSambaDns(RealityBase):
    """Scenario e: www.DOMAIN is a CNAME to web01.DOMAIN in
    AD DNS, written into the stopped DC's sam.ldb; the DC then runs its
    internal DNS server on 127.0.0.1:53, where the namespace's resolv.conf
    points, so getaddrinfo follows the CNAME as a browser's resolver would.

    What a client asks for depends on whether *it* canonicalises: MIT
    with dns_canonicalize_hostname = false (our krb5.conf) asks for the
    alias, like a browser configured not to (Chrome's
    DisableAuthNegotiateCnameLookup); with true (MIT's own default) it
    asks for the CNAME target, as IE, Edge, Chrome and Firefox do."""

    @classmethod
    def prepare(cls, dc):
        cls.prepared = time.monotonic()
        krb.add_a(dc, 'web01', '127.0.0.11')
        krb.add_cname(dc, 'www', f'web01.{DNSNAME}')
        krb.enable_dns_server(dc)
        cls.prepared = time.monotonic() - cls.prepared

    @classmethod
    def world(cls):
        cls.web01 = cls.dc.create_computer(
            'web01', spns=['HOST/web01', f'HOST/web01.{DNSNAME}'])
        cls.pool = cls.dc.create_user(
            'pool-web01', attrs=krb.AES_ONLY,
            spns=['http/web01', f'http/web01.{DNSNAME}'])
        cls.canon = krb.krb5_conf_variant(
            cls.dc, os.path.join(cls.dc.run_dir, 'krb5-canon.conf'),
            dns_canonicalize_hostname='true')
        cls.fallback = krb.krb5_conf_variant(
            cls.dc, os.path.join(cls.dc.run_dir, 'krb5-fallback.conf'),
            dns_canonicalize_hostname='fallback')
        TIMINGS.append(('CnameThroughSambaDns records+dns (stopped DC)',
                        cls.prepared))

    def setUp(self):
        super().setUp()
        self.web = self.serve(self.keytab('pool-web01'), 'web01')

    def test_e_resolver_follows_the_ad_cname_to_the_target(self):
        self.assertEqual(krb.resolve(f'www.{DNSNAME}'),
                         (f'web01.{DNSNAME}', ['127.0.0.11']))
        # /etc/hosts still comes first; no search domain for short names.
        self.assertEqual(krb.resolve('web01'),
                         (f'web01.{DNSNAME}', ['127.0.0.11']))
        self.assertEqual(krb.resolve('www'), (None, []))

    def test_e_client_that_does_not_canonicalise_asks_for_the_alias(self):
        res = krb.curl_negotiate(f'http://www.{DNSNAME}/', self.cc)
        self.assertEqual(res.requested, [f'HTTP/www.{DNSNAME}@{REALM}'])
        self.assertEqual((res.status, res.returncode), (401, 0))
        self.assertIn('gss_init_sec_context() failed: Server not found in '
                      'Kerberos database.', res.stderr)
        self.assertPrincipalUnknown(krb.kvno(f'HTTP/www.{DNSNAME}',
                                             self.cc))
        self.assertEqual(self.web.events(),
                         [{'status': 401, 'auth': None, 'path': '/'}])

    def test_e_canonicalising_client_asks_for_the_cname_target(self):
        res = krb.curl_negotiate(f'http://www.{DNSNAME}/', self.cc,
                                 krb5_config=self.canon)
        self.assertEqual(res.requested,
                         [f'HTTP/web01.{DNSNAME}@{REALM}'])
        self.assertEqual(res.status, 200, res.stderr)
        self.assertEqual([(e['status'], e['service'])
                          for e in self.web.events()],
                         [(200, f'pool-web01@{REALM}')])

    def test_e_fallback_client_tries_the_alias_then_the_target(self):
        res = krb.curl_negotiate(f'http://www.{DNSNAME}/', self.cc,
                                 krb5_config=self.fallback)
        self.assertEqual(res.requested,
                         [f'HTTP/www.{DNSNAME}@{REALM}',
                          f'HTTP/web01.{DNSNAME}@{REALM}'])
        self.assertEqual(res.status, 200, res.stderr)

    def test_e_registering_the_alias_too_serves_both_kinds_of_client(self):
        self.add_spns(self.pool.dn, f'http/www.{DNSNAME}')
        self.addCleanup(self._remove_spn, self.pool.dn,
                        f'http/www.{DNSNAME}')
        cc = self.fresh_ccache()
        plain = krb.curl_negotiate(f'http://www.{DNSNAME}/', cc)
        canon = krb.curl_negotiate(f'http://www.{DNSNAME}/', cc,
                                   krb5_config=self.canon)
        self.assertEqual((plain.status, plain.requested),
                         (200, [f'HTTP/www.{DNSNAME}@{REALM}']))
        self.assertEqual((canon.status, canon.requested),
                         (200, [f'HTTP/web01.{DNSNAME}@{REALM}']))

    def _remove_spn(self, dn, spn):
        db = self.dc.samdb()
        msg = ldb.Message(ldb.Dn(db, dn))
        msg['servicePrincipalName'] = ldb.MessageElement(
            spn, ldb.FLAG_MOD_DELETE, 'servicePrincipalName')
        db.modify(msg)


class DnsRecordLayout(unittest.TestCase):
    """The dnsRecord bytes add_a/add_cname write follow MS-DNSP
    2.3.2.2 (as source/dns.c documents the layout), byte for byte."""

    def test_a_record_matches_the_observed_bytes(self):
        from samba.dcerpc import dnsp
        self.assertEqual(
            krb.dns_record(dnsp.DNS_TYPE_A, '127.0.0.5').hex(),
            '0400' '0100' '05' 'f0' '0000' '01000000' '00000384'
            '00000000' '00000000' '7f000005')

    def test_cname_record_carries_a_dns_count_name(self):
        from samba.dcerpc import dnsp
        packed = krb.dns_record(dnsp.DNS_TYPE_CNAME, f'web01.{DNSNAME}')
        # DNS_COUNT_NAME: total length, label count, counted labels, 0.
        labels = ('web01.' + DNSNAME).encode().split(b'.')
        counted = b''.join(bytes([len(x)]) + x for x in labels) + b'\0'
        name = bytes([len(counted), len(labels)]) + counted
        self.assertEqual(packed[:2], len(name).to_bytes(2, 'little'))
        self.assertEqual(packed[2:4], b'\x05\x00')  # DNS_TYPE_CNAME
        self.assertEqual(packed[4:6], b'\x05\xf0')  # version 5, rank zone
        self.assertEqual(packed[12:16], (900).to_bytes(4, 'big'))
        self.assertEqual(packed[24:], name)


if __name__ == '__main__':
    unittest.main()
