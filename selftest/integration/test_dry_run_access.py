"""Dry runs that foresee access refusals, and add --port-only, against a
real DC (docs/design.md, "Dry runs foresee access refusals" and "Only the
:port forms").

Every rights scenario runs the same command twice, first with --dry-run,
and asserts that the dry run wrote nothing and exited with the status of
the real run: an admin, a plain user, an operator delegated write access
to servicePrincipalName on one OU (an ACE set with samba-tool dsacl), and
Samba's rule that adding http/X next to another account's HOST/X needs
write access to that account too.
"""

import os
import subprocess

from samba.dcerpc import security
from samba.ndr import ndr_unpack

from common import (DCTestCase, DNSNAME, DOMAIN, DOMAIN_DN, EXIT_ACCESS,
                    EXIT_BAD_INPUT, EXIT_CONFLICT, EXIT_OK, REALM,
                    both_transports)

# servicePrincipalName's schemaIDGUID (the same in every AD schema).
SPN_ATTRIBUTE_GUID = 'f3a64788-5306-11d1-a9c5-0000f80367c1'


class Who:
    def __init__(self, name, password, dn):
        self.name, self.password, self.dn = name, password, dn


class DryRunAccessTests(DCTestCase):
    """Over LDAP, where the DC checks the bound user's rights."""

    transport = 'ldap'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ou_dn = 'OU=webops,%s' % DOMAIN_DN
        db = cls.dc.samdb()
        db.add({'dn': cls.ou_dn, 'objectClass': 'organizationalUnit'})
        cls.operator = cls.dc.create_user('webop1')
        raw = db.search(cls.operator.dn, scope=0,
                        attrs=['objectSid'])[0]['objectSid'][0]
        sid = str(ndr_unpack(security.dom_sid, raw))
        # Write servicePrincipalName, inherited by every object below the
        # OU: the usual delegation of SPN management for one OU.
        subprocess.run(
            ['samba-tool', 'dsacl', 'set', '-H', 'ldap://127.0.0.1',
             '-U%s%%%s' % (cls.env['USERNAME'], cls.env['PASSWORD']),
             '-s', cls.env['SMB_CONF_PATH'],
             '--objectdn=%s' % cls.ou_dn,
             '--sddl=(OA;CI;WP;%s;;%s)' % (SPN_ATTRIBUTE_GUID, sid)],
            env=cls.env, check=True, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, timeout=120)

    # -- helpers -----------------------------------------------------------

    def in_ou(self, prefix='svcou', computer=False):
        """A user (or a computer with its HOST/ SPNs) below the OU."""
        name = self.unique(prefix)
        password = 'Ou-%s-Pw.1' % name
        if computer:
            msg = {'objectClass': 'computer',
                   'sAMAccountName': name.upper() + '$',
                   'dNSHostName': '%s.%s' % (name, DNSNAME),
                   'userAccountControl': '4096'}
            spns = ['HOST/%s' % name, 'HOST/%s.%s' % (name, DNSNAME)]
        else:
            msg = {'objectClass': 'user', 'sAMAccountName': name,
                   'userPrincipalName': '%s@%s' % (name, REALM),
                   'userAccountControl': '512'}
            spns = ()
        dn = self.dc._add_account('CN=%s,OU=webops' % name, msg, password,
                                  spns, None)
        return Who(msg['sAMAccountName'], password, dn)

    def as_user(self, who):
        return ['-H', 'ldap://127.0.0.1',
                '-U%s%%%s' % (who.name, who.password)]

    def assertDryRunForesees(self, args, conn, watch, expect):
        """ARGS with --dry-run, then for real: same exit code (expect);
        the dry run changes none of the accounts in watch."""
        before = {dn: self.spns_of(dn) for dn in watch}
        rc_dry, out_dry, err_dry = self.tool(*args, '--dry-run', conn=conn)
        for dn in watch:
            self.assertEqual(self.spns_of(dn), before[dn],
                             'the dry run wrote to %s' % dn)
        rc, out, err = self.tool(*args, conn=conn)
        self.assertEqual((rc_dry, rc), (expect, expect),
                         'dry run: %s%s\nreal run: %s%s' %
                         (out_dry, err_dry, out, err))
        return out_dry, err_dry

    # -- the scenarios -----------------------------------------------------

    def test_admin_dry_run_and_real_run_both_succeed(self):
        svc = self.user()
        out, err = self.assertDryRunForesees(
            ['add', svc.name, 'adm1'], None, [svc.dn], EXIT_OK)
        self.assertNotIn('NOTE', out)
        self.assertEqual(self.spns_of(svc.dn),
                         ['http/ADM1', 'http/adm1.%s' % DNSNAME])

    def test_plain_user_dry_run_is_refused_like_the_write(self):
        plain = self.user(prefix='plain')
        svc = self.user()
        out, err = self.assertDryRunForesees(
            ['add', svc.name, 'plain1'], self.as_user(plain), [svc.dn],
            EXIT_ACCESS)
        self.assertOneLineError(err, 'insufficient access', svc.dn,
                                'dry run')
        self.assertEqual(self.spns_of(svc.dn), [])

    def test_plain_user_remove_dry_run_is_refused_like_the_write(self):
        plain = self.user(prefix='plain')
        svc = self.user(spns=['http/rm1', 'http/rm1.%s' % DNSNAME])
        self.assertDryRunForesees(
            ['remove', svc.name, 'rm1'], self.as_user(plain), [svc.dn],
            EXIT_ACCESS)
        self.assertEqual(len(self.spns_of(svc.dn)), 2)

    def test_delegated_operator_may_write_in_its_ou_only(self):
        inside = self.in_ou()
        outside = self.user()
        conn = self.as_user(self.operator)
        self.assertDryRunForesees(['add', inside.name, 'deleg1'], conn,
                                  [inside.dn], EXIT_OK)
        self.assertEqual(len(self.spns_of(inside.dn)), 2)
        out, err = self.assertDryRunForesees(
            ['add', outside.name, 'deleg2'], conn, [outside.dn],
            EXIT_ACCESS)
        self.assertOneLineError(err, outside.dn)
        self.assertEqual(self.spns_of(outside.dn), [])

    def test_json_dry_run_carries_the_access_facts(self):
        inside = self.in_ou()
        doc = self.tool_json('add', inside.name, 'deleg3', '--dry-run',
                             conn=self.as_user(self.operator))
        self.assertEqual(doc['access'], 'allowed')
        outside = self.user()
        doc = self.tool_json('add', outside.name, 'deleg4', '--dry-run',
                             conn=self.as_user(self.operator),
                             expect=EXIT_ACCESS)
        self.assertEqual(doc['access'], 'denied')
        self.assertEqual(doc['access_dn'], outside.dn)
        self.assertFalse(doc['access_holder'])
        self.assertEqual(doc['error']['exit_code'], EXIT_ACCESS)

    def test_host_holder_rule_needs_write_access_to_the_computer(self):
        # The operator may write the service account (in its OU) but not
        # the computer holding HOST/<name> (in CN=Computers): a Samba DC
        # refuses the add, and the dry run says so, naming the computer.
        inside = self.in_ou()
        web = self.computer(prefix='hostrule')
        name = web.name.rstrip('$').lower()
        conn = self.as_user(self.operator)
        out, err = self.assertDryRunForesees(
            ['add', inside.name, name], conn, [inside.dn, web.dn],
            EXIT_ACCESS)
        self.assertOneLineError(err, web.dn, 'HOST/')
        doc = self.tool_json('add', inside.name, name, '--dry-run',
                             conn=conn, expect=EXIT_ACCESS)
        self.assertEqual(doc['access_dn'], web.dn)
        self.assertTrue(doc['access_holder'])
        self.assertEqual(self.spns_of(inside.dn), [])

    def test_host_holder_rule_passes_with_access_to_the_computer(self):
        # The same with the computer inside the operator's OU.
        inside = self.in_ou()
        web = self.in_ou(prefix='hostok', computer=True)
        name = web.name.rstrip('$').lower()
        self.assertDryRunForesees(
            ['add', inside.name, name], self.as_user(self.operator),
            [inside.dn, web.dn], EXIT_OK)
        self.assertEqual(len(self.spns_of(inside.dn)), 2)

    def test_move_needs_write_access_to_the_holder(self):
        inside = self.in_ou()
        holder = self.user(spns=['http/mv1', 'http/mv1.%s' % DNSNAME])
        out, err = self.assertDryRunForesees(
            ['add', inside.name, 'mv1', '--move'],
            self.as_user(self.operator), [inside.dn, holder.dn],
            EXIT_ACCESS)
        self.assertOneLineError(err, holder.dn)
        self.assertEqual(len(self.spns_of(holder.dn)), 2)

    def test_admin_with_host_holder_is_not_refused(self):
        svc = self.user()
        web = self.computer(prefix='hostadm')
        name = web.name.rstrip('$').lower()
        self.assertDryRunForesees(['add', svc.name, name], None,
                                  [svc.dn, web.dn], EXIT_OK)

    def test_computer_writing_its_own_spns_is_not_told(self):
        # A computer bound as itself holds the validated write to its own
        # SPNs, which allowedAttributesEffective does not show: the dry
        # run says it cannot tell instead of guessing.
        web = self.in_ou(prefix='selfw', computer=True)
        name = web.name.rstrip('$').lower()
        doc = self.tool_json('add', web.name, name, '--dry-run',
                             conn=self.as_user(web))
        self.assertEqual(doc['access'], 'validated-write')
        self.assertEqual(doc['access_dn'], web.dn)
        rc, out, err = self.tool('add', web.name, name, '--dry-run',
                                 conn=self.as_user(web))
        self.assertIn('Could not tell', out)
        self.assertIn('validated write', out)
        # What Samba then decides, value by value (acl.c, acl_check_spn):
        # the computer's own names with a service class it accepts.
        # Its own names: allowed (what the note leaves open goes well).
        rc, out, err = self.tool('add', web.name, name,
                                 conn=self.as_user(web))
        self.assertEqual(rc, EXIT_OK, out + err)
        # Another name: refused, which is why the dry run did not say
        # "allowed" either; it still says it cannot tell.  Samba refuses
        # a value the validated write does not cover as a constraint
        # violation (acl.c: "spn validation failed"), hence exit 4.
        rc, out, err = self.tool('add', web.name, 'notmine1', '--dry-run',
                                 conn=self.as_user(web))
        self.assertEqual(rc, EXIT_OK, out + err)
        self.assertIn('Could not tell', out)
        rc, out, err = self.tool('add', web.name, 'notmine1',
                                 conn=self.as_user(web))
        self.assertEqual(rc, EXIT_CONFLICT, out + err)
        self.assertIn('spn validation failed', err)

    def pools_file(self, account, host):
        path = os.path.join(self.dc.run_dir, '%s.pools' % self.unique('p'))
        with open(path, 'w') as f:
            f.write('[pool %s]\nidentity = %s\\%s\nhosts = %s\n' %
                    (host, DOMAIN, account.name, host))
        return path

    def test_apply_dry_run_foresees_the_refusal(self):
        plain = self.user(prefix='plain')
        svc = self.user()
        pools = self.pools_file(svc, 'apl1')
        args = ['apply', '--pools-file', pools, '--server', 'web01',
                '--journal', os.path.join(self.dc.run_dir, 'apl1.journal')]
        out, err = self.assertDryRunForesees(
            args + ['--yes'], self.as_user(plain), [svc.dn], EXIT_ACCESS)
        self.assertOneLineError(err, 'insufficient access', svc.dn)
        # The operator may: both runs succeed.
        inside = self.in_ou()
        pools = self.pools_file(inside, 'apl2')
        self.assertDryRunForesees(
            ['apply', '--pools-file', pools, '--server', 'web01', '--yes',
             '--journal', os.path.join(self.dc.run_dir, 'apl2.journal')],
            self.as_user(self.operator), [inside.dn], EXIT_OK)
        self.assertEqual(len(self.spns_of(inside.dn)), 2)

    def test_apply_dry_run_foresees_the_host_holder_rule(self):
        inside = self.in_ou()
        web = self.computer(prefix='aplhost')
        name = web.name.rstrip('$').lower()
        pools = self.pools_file(inside, name)
        out, err = self.assertDryRunForesees(
            ['apply', '--pools-file', pools, '--server', 'web01', '--yes',
             '--journal', os.path.join(self.dc.run_dir, 'apl3.journal')],
            self.as_user(self.operator), [inside.dn, web.dn], EXIT_ACCESS)
        self.assertOneLineError(err, web.dn, 'HOST/')


class PortOnlyTests:
    """add --port N --port-only, through the sam.ldb and over LDAP."""

    def test_port_form_beside_another_accounts_plain_form(self):
        holder = self.user(spns=['http/po1', 'http/po1.%s' % DNSNAME])
        svc = self.user()
        rc, out, err = self.tool('add', svc.name, 'po1', '--port', '8443')
        self.assertEqual(rc, EXIT_CONFLICT, out + err)
        self.assertEqual(self.spns_of(svc.dn), [])
        doc = self.tool_json('add', svc.name, 'po1', '--port', '8443',
                             '--port-only')
        self.assertEqual(sorted(s['spn'] for s in doc['spns']),
                         ['http/PO1:8443', 'http/po1.%s:8443' % DNSNAME])
        self.assertEqual(self.spns_of(svc.dn),
                         ['http/PO1:8443', 'http/po1.%s:8443' % DNSNAME])
        self.assertEqual(self.spns_of(holder.dn),
                         ['http/po1', 'http/po1.%s' % DNSNAME])

    def test_port_only_still_refuses_a_taken_port_form(self):
        holder = self.user(spns=['http/po2:8443'])
        svc = self.user()
        rc, out, err = self.tool('add', svc.name, 'po2', '--port', '8443',
                                 '--port-only')
        self.assertEqual(rc, EXIT_CONFLICT, out + err)
        self.assertIn(holder.dn, err)
        self.assertEqual(self.spns_of(svc.dn), [])

    def test_port_only_with_a_default_port_is_refused(self):
        svc = self.user()
        for port in ('80', '443'):
            rc, out, err = self.tool('add', svc.name, 'po3', '--port', port,
                                     '--port-only')
            self.assertEqual(rc, EXIT_BAD_INPUT, out + err)
            self.assertOneLineError(err, 'default port')
        rc, out, err = self.tool('add', svc.name, 'po3', '--port-only')
        self.assertEqual(rc, EXIT_BAD_INPUT, out + err)
        self.assertOneLineError(err, 'no port')
        self.assertEqual(self.spns_of(svc.dn), [])

    def test_port_only_is_in_the_help(self):
        rc, out, err = self.tool('add', '--help', conn=[])
        self.assertEqual(rc, EXIT_OK, err)
        self.assertIn('--port-only', out)
        self.assertIn('default ports', ' '.join(out.split()))


both_transports(PortOnlyTests)


if __name__ == '__main__':
    import unittest
    unittest.main()
