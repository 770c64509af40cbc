"""The commands against a DC that answers like Windows: a Samba DC behind
selftest/ldapproxy.py, which rewrites its answers the ways Microsoft's
specifications say a Windows DC answers (each mode cites its section).
No real Windows DC is involved: these tests prove the commands handle the
documented answers, not that a given Windows build sends exactly these.
"""

import json
import os
import sys

from common import (DCTestCase, DNSNAME, DOMAIN_DN, EXIT_ACCESS,
                    EXIT_CONFLICT, EXIT_CONNECTION, EXIT_NO_IDENTITY,
                    EXIT_OK)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))

import windowsdc  # noqa: E402

MAX_VAL_RANGE = 5  # Windows' default is 1500; small keeps the test quick
EXIT_FINDINGS = 8


class ProxiedTestCase(DCTestCase):
    """One proxied DC per class; the command talks to the proxy."""

    transport = 'ldap'

    @classmethod
    def make_dc(cls):
        return windowsdc.ProxiedDC()

    def setUp(self):
        self.dc.proxy.configure()
        self.dc.proxy.clear_log()

    def tearDown(self):
        # The proxy must have read every stream: a wrapped one would
        # mean the modes never applied and the test proved nothing.
        wrapped = [r for r in self.dc.proxy.requests()
                   if r[0] == 'wrapped']
        self.assertEqual(wrapped, [])

    def connection_args(self):
        return ['-H', self.dc.proxy.url,
                '-U%s%%%s' % (self.env['USERNAME'], self.env['PASSWORD'])]

    def ranged_reads(self):
        """The ';range=N-*' attributes the command asked for."""
        return sorted({a for kind, what in self.dc.proxy.requests()
                       if kind == 'search' for a in what[1]
                       if ';range=' in a})


class RangedValueTests(ProxiedTestCase):
    """[MS-ADTS] 3.1.1.3.1.3.3: more values than MaxValRange come back as
    servicePrincipalName;range=0-(MaxValRange-1)."""

    def many(self, prefix, n=12):
        """An account with n http SPNs: more than one range of them."""
        tag = self.unique(prefix)
        spns = ['http/%s-%02d.%s' % (tag, i, DNSNAME) for i in range(n)]
        return self.user(spns=spns), tag, spns

    def test_proxy_ranges_what_samba_returns_whole(self):
        svc, _tag, spns = self.many('rprobe')
        self.dc.proxy.configure(max_val_range=MAX_VAL_RANGE)
        db = self.dc.samdb(url=self.dc.proxy.url)
        res = db.search(svc.dn, scope=0, attrs=['servicePrincipalName'])
        names = [k for k in res[0].keys() if k != 'dn']
        self.assertEqual(names, ['servicePrincipalName;range=0-4'])

    def test_remove_finds_an_spn_past_the_first_range(self):
        svc, tag, spns = self.many('rrm')
        self.dc.proxy.configure(max_val_range=MAX_VAL_RANGE)
        doc = self.tool_json('remove', svc.name, '%s-11' % tag)
        self.assertTrue(doc['changed'], doc)
        self.assertEqual(self.spns_of(svc.dn), sorted(spns[:11]))
        self.assertIn('serviceprincipalname;range=5-*', self.ranged_reads())

    def test_list_shows_every_value(self):
        svc, _tag, spns = self.many('rlist')
        self.dc.proxy.configure(max_val_range=MAX_VAL_RANGE)
        doc = self.tool_json('list', svc.name)
        self.assertEqual(sorted(e['spn'] for e in doc['entries']),
                         sorted(spns))
        self.assertIn('serviceprincipalname;range=10-*',
                      self.ranged_reads())

    def test_check_sees_the_holder_of_an_spn_in_the_tail(self):
        svc, tag, _spns = self.many('rcheck')
        self.dc.proxy.configure(max_val_range=MAX_VAL_RANGE)
        doc = self.tool_json('check', 'http://%s-09.%s/' % (tag, DNSNAME),
                             '--identity', svc.name)
        self.assertEqual(doc['verdict'], 'kerberos-ok', doc)

    def test_audit_sees_a_duplicate_in_the_tail(self):
        svc, tag, spns = self.many('raudit')
        other = self.user(spns=[])
        self.dc.stop()
        self.dc.force_duplicate_spn(other.dn, spns[10])
        self.dc.start()
        self.dc.proxy.configure(max_val_range=MAX_VAL_RANGE)
        rc, out, err = self.tool('audit', '--json')
        self.assertEqual(rc, EXIT_FINDINGS, err)
        doc = json.loads(out)
        dups = [f for f in doc['findings'] if f['kind'] == 'duplicate'
                and spns[10].lower() in json.dumps(f).lower()]
        self.assertEqual(len(dups), 1, doc['findings'])
        self.assertIn(svc.dn.lower(), json.dumps(dups[0]).lower())
        self.assertIn(other.dn.lower(), json.dumps(dups[0]).lower())
        self.assertTrue(self.ranged_reads())
        # Clean up: the duplicate would be every later audit's finding.
        # (samldb refuses to modify an account holding a duplicate, so
        # the account goes.)
        self.dc.samdb().delete(other.dn)

    def test_without_ranging_nothing_is_asked_twice(self):
        svc, _tag, spns = self.many('rnone')
        doc = self.tool_json('list', svc.name)
        self.assertEqual(len(doc['entries']), len(spns))
        self.assertEqual(self.ranged_reads(), [])


class RoundTripTests(ProxiedTestCase):
    """The uniqueness search asks every naming context in one request
    (the phantom-root search option, [MS-ADTS] 3.1.1.3.4.1.12), and one
    per naming context from a server that refuses it."""

    # (not the domain NC, where identities are looked up, nor the
    # configuration NC, where the writable DCs are)
    NCS = ['CN=Schema,CN=Configuration,' + DOMAIN_DN,
           'DC=DomainDnsZones,' + DOMAIN_DN, 'DC=ForestDnsZones,' + DOMAIN_DN]

    def searched_bases(self):
        """The bases of the subtree searches the command sent."""
        return [what[0].lower() for kind, what in self.dc.proxy.requests()
                if kind == 'search' and what[2] == 2]

    def conflict(self):
        """add of an SPN another account holds: exit 4 naming it."""
        tag = self.unique('rtt')
        holder = self.user(spns=['http/' + tag])
        other = self.user()
        rc, out, err = self.tool('add', other.name, tag)
        self.assertEqual(rc, EXIT_CONFLICT, out + err)
        self.assertIn(holder.name, out + err)
        return self.searched_bases()

    def test_every_naming_context_is_searched_at_once(self):
        bases = self.conflict()
        self.assertIn('', bases)
        for nc in self.NCS:
            self.assertNotIn(nc.lower(), bases)

    def test_a_server_refusing_the_phantom_root_is_searched_per_nc(self):
        self.dc.proxy.configure(refuse_phantom_root=True)
        bases = self.conflict()
        self.assertEqual(bases.count(''), 1, bases)  # the refusal is kept
        for nc in self.NCS:
            self.assertIn(nc.lower(), bases)


class WindowsErrorTests(ProxiedTestCase):
    """Windows' answers to writes and scans, and what the commands make
    of them."""

    def test_spn_not_unique_in_forest_is_a_conflict(self):
        # [MS-ADTS] 3.1.1.5.1.3: a Windows Server 2012 R2+ DC refuses an
        # SPN held anywhere in the forest (here: "in another domain",
        # which this DC's naming contexts do not show).
        svc = self.user(spns=['http/keep'])
        host = self.unique('forest')
        self.dc.proxy.configure(spn_not_unique=['http/%s' % host])
        doc = self.tool_json('add', svc.name, host, expect=EXIT_CONFLICT)
        message = doc['error']['message']
        self.assertIn('000021C7', message)
        self.assertIn('another domain of the forest', message)
        self.assertIn('global catalog', message)
        self.assertEqual(self.spns_of(svc.dn), ['http/keep'])

    def test_a_full_account_says_how_many_values_it_holds(self):
        # Past about 1,200 non-linked values a Windows DC answers LDAP 11
        # with 00002024; the proxy does so past 6 SPNs.
        spns = ['http/full%d' % i for i in range(5)]
        svc = self.user(spns=spns)
        self.dc.proxy.configure(value_limit=6)
        doc = self.tool_json('add', svc.name, self.unique('over'),
                             expect=EXIT_CONFLICT)
        message = doc['error']['message']
        self.assertIn('the account holds too many values', message)
        self.assertIn('it holds 5 servicePrincipalName values', message)
        self.assertIn('00002024', message)
        self.assertEqual(self.spns_of(svc.dn), sorted(spns))

    def test_insufficient_access_is_explained(self):
        svc = self.user()
        self.dc.proxy.configure(deny_write=[svc.dn])
        doc = self.tool_json('add', svc.name, self.unique('deny'),
                             expect=EXIT_ACCESS)
        message = doc['error']['message']
        self.assertIn('00002098', message)
        self.assertIn('lacks the right', message)

    def test_write_referral_names_the_writable_dc(self):
        # A read-only DC refers every write to a writable one.
        svc = self.user()
        rwdc = 'rwdc.' + DNSNAME
        self.dc.proxy.configure(write_referral=rwdc)
        doc = self.tool_json('add', svc.name, self.unique('ro'),
                             expect=EXIT_CONNECTION)
        message = doc['error']['message']
        self.assertIn('refers them to %s' % rwdc, message)
        self.assertIn('-H ldap://%s' % rwdc, message)
        self.assertEqual(self.spns_of(svc.dn), [])

    def extra_nc(self):
        nc = 'DC=child,' + DOMAIN_DN
        host = 'dc1.child.' + DNSNAME
        self.dc.proxy.configure(extra_nc=[nc, host])
        return nc, host

    def test_a_referring_naming_context_is_a_warning_in_scans(self):
        svc = self.user(spns=['http/scan1', 'http/scan1.' + DNSNAME])
        nc, host = self.extra_nc()
        warning = 'the naming context %s is not on this DC' % nc
        rc, out, err = self.tool('audit')
        self.assertIn(rc, (EXIT_OK, EXIT_FINDINGS), err)
        self.assertIn('audit:', out)
        self.assertEqual(err.count(warning), 1, err)
        self.assertIn(host, err)
        doc = self.tool_json('list', '--host', 'scan1')
        self.assertEqual(sorted(e['spn'] for e in doc['entries']
                                if e['via'] == 'explicit'),
                         ['http/scan1', 'http/scan1.' + DNSNAME])
        rc, out, err = self.tool('check', 'http://scan1.%s/' % DNSNAME,
                                 '--identity', svc.name)
        self.assertEqual(rc, EXIT_OK, out + err)
        self.assertIn(warning, err)

    def test_identity_in_another_domain_names_that_domain(self):
        nc, host = self.extra_nc()
        rc, out, err = self.tool('add', 'CN=svc,CN=Users,' + nc, 'x1')
        self.assertEqual(rc, EXIT_NO_IDENTITY, out + err)
        self.assertOneLineError(err, 'in the domain child.' + DNSNAME,
                                '-H ldap://' + host)


class KdcModelTests(ProxiedTestCase):
    """check predicts Samba's KDC only when the DC says it is Samba
    (rootDSE vendorName); otherwise LookupSPN ([MS-DRSR] 4.1.4.2.14),
    which has no computer-name last resort."""

    def bare_computer(self):
        """A computer with no HOST/ SPNs: only the last resort finds it."""
        web = self.computer(spns=[])
        return web, web.name.rstrip('$').lower()

    def test_samba_dc_uses_the_computer_name_last_resort(self):
        web, name = self.bare_computer()
        doc = self.tool_json('check', 'http://%s.%s/' % (name, DNSNAME),
                             '--identity', web.name)
        self.assertEqual(doc['kdc'], 'samba')
        self.assertEqual(doc['verdict'], 'kerberos-ok', doc)

    def test_windows_dc_says_the_name_is_unknown_to_the_kdc(self):
        web, name = self.bare_computer()
        self.dc.proxy.configure(windows_rootdse=True)
        rc, out, err = self.tool('check', 'http://%s.%s/' % (name, DNSNAME),
                                 '--identity', web.name, '--json')
        doc = json.loads(out)
        self.assertEqual(doc['kdc'], 'windows')
        self.assertEqual(doc['verdict'], 'ntlm-fallback', doc)
        self.assertIn('unknown to the KDC', doc['reason'])
        self.assertIn('4.1.4.2.14', doc['reason'])
        rc, out, err = self.tool('check', 'http://%s.%s/' % (name, DNSNAME),
                                 '--identity', web.name)
        self.assertIn("KDC model: Windows'", out)


class DnsZoneTests(ProxiedTestCase):
    """AD-integrated zones can live in any naming context; check reads
    CN=MicrosoftDNS under each of them."""

    def add_zone_in_domain_nc(self, zone, node, address):
        """A zone under CN=MicrosoftDNS of the domain NC itself (neither
        DomainDnsZones nor ForestDnsZones nor CN=System)."""
        from samba.dcerpc import dnsp
        from samba.ndr import ndr_pack
        db = self.dc.samdb()
        container = 'CN=MicrosoftDNS,' + DOMAIN_DN
        if not db.search(DOMAIN_DN, scope=1,
                         expression='(cn=MicrosoftDNS)'):
            db.add({'dn': container, 'objectClass': 'container'})
        zone_dn = 'DC=%s,%s' % (zone, container)
        db.add({'dn': zone_dn, 'objectClass': 'dnsZone'})
        rec = dnsp.DnssrvRpcRecord()
        rec.wType = dnsp.DNS_TYPE_A
        rec.rank = dnsp.DNS_RANK_ZONE
        rec.dwSerial = 1
        rec.dwTtlSeconds = 900
        rec.data = address
        db.add({'dn': 'DC=%s,%s' % (node, zone_dn),
                'objectClass': 'dnsNode',
                'dnsRecord': [ndr_pack(rec)]})

    def test_zone_in_another_naming_context_is_read(self):
        svc = self.user()
        zone = '%s.test' % self.unique('zone')
        self.add_zone_in_domain_nc(zone, 'web', '127.0.0.9')
        rc, out, err = self.tool('check', 'http://web.%s/' % zone,
                                 '--identity', svc.name, '--json')
        doc = json.loads(out)
        self.assertEqual(doc['dns'], 'address', doc)


del DCTestCase  # keep unittest discovery from running the abstract base
