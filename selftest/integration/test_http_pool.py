"""samba-tool spn http-pool add | remove | list against a real Samba AD DC,
through the embedded sam.ldb and over LDAP (every scenario twice)."""

import concurrent.futures

from common import (DNS_MIXED, DNSNAME, DOMAIN, EXIT_AUTH, EXIT_BAD_INPUT,
                    EXIT_CONFLICT, EXIT_CONNECTION, EXIT_NO_IDENTITY,
                    EXIT_OK, DCTestCase, both_transports)


def states(doc):
    return {s['spn']: s['state'] for s in doc['spns']}


@both_transports
class AddTests:

    def test_add_registers_both_forms_of_a_short_name(self):
        svc = self.user()
        doc = self.tool_json('add', f'{DOMAIN}\\' + svc.name, 'intranet')
        self.assertTrue(doc['ok'])
        self.assertTrue(doc['changed'])
        self.assertEqual(states(doc), {
            'http/INTRANET': 'added',
            f'http/intranet.{DNSNAME}': 'added'})
        self.assertEqual(doc['account']['dn'], svc.dn)
        self.assertEqual(self.spns_of(svc.dn),
                         ['http/INTRANET', f'http/intranet.{DNSNAME}'])

    def test_add_derives_netbios_form_from_fqdn(self):
        svc = self.user()
        rc, out, err = self.tool('add', svc.name + f'@{DNSNAME}',
                                 f'Portal.{DNS_MIXED}')
        self.assertEqual(rc, EXIT_OK, err)
        self.assertEqual(self.spns_of(svc.dn),
                         ['http/PORTAL', f'http/portal.{DNSNAME}'])
        self.assertIn('http/PORTAL', out)
        self.assertIn(f'http/portal.{DNSNAME}', out)

    def test_add_with_port_adds_port_forms_too(self):
        svc = self.user()
        self.tool_json('add', svc.name, 'app1', '--port', '8080')
        self.assertEqual(self.spns_of(svc.dn), [
            'http/APP1', 'http/APP1:8080', f'http/app1.{DNSNAME}',
            f'http/app1.{DNSNAME}:8080'])

    def test_add_again_is_a_no_op(self):
        svc = self.user()
        self.tool_json('add', svc.name, 'app2')
        before = self.spns_of(svc.dn)
        doc = self.tool_json('add', svc.name, 'APP2', f'app2.{DNSNAME}')
        self.assertFalse(doc['changed'])
        self.assertEqual(set(states(doc).values()), {'present'})
        self.assertEqual(self.spns_of(svc.dn), before)

    def test_add_refuses_spn_held_by_another_account_in_any_case(self):
        holder = self.user(spns=[f'HTTP/Shared.{DNS_MIXED}'])
        svc = self.user()
        rc, out, err = self.tool('add', svc.name, 'shared')
        self.assertEqual(rc, EXIT_CONFLICT, out + err)
        self.assertOneLineError(err, holder.dn, 'nothing was written')
        self.assertEqual(self.spns_of(svc.dn), [])
        self.assertEqual(self.spns_of(holder.dn),
                         [f'HTTP/Shared.{DNS_MIXED}'])
        doc = self.tool_json('add', svc.name, 'shared',
                             expect=EXIT_CONFLICT)
        self.assertFalse(doc['ok'])
        self.assertEqual(doc['error']['exit_code'], EXIT_CONFLICT)
        conflict = [s for s in doc['spns'] if s['state'] == 'conflict']
        self.assertEqual(conflict[0]['holder_dn'], holder.dn)
        self.assertEqual(conflict[0]['holder_value'],
                         f'HTTP/Shared.{DNS_MIXED}')

    def test_add_move_takes_spns_from_their_holder(self):
        holder = self.user()
        svc = self.user()
        self.tool_json('add', holder.name, 'moving')
        doc = self.tool_json('add', svc.name, 'moving', '--move')
        self.assertEqual(set(states(doc).values()), {'moved'})
        self.assertEqual(self.spns_of(holder.dn), [])
        self.assertEqual(self.spns_of(svc.dn),
                         ['http/MOVING', f'http/moving.{DNSNAME}'])

    def test_add_over_computers_host_spn_warns_of_shadowing(self):
        web = self.computer()
        name = web.name.rstrip('$').lower()
        svc = self.user()
        rc, out, err = self.tool('add', svc.name, name)
        self.assertEqual(rc, EXIT_OK, err)
        self.assertIn('warning', (out + err).lower())
        doc = self.tool_json('list', '--host', name)
        vias = {(e['sam_account_name'], e['via']) for e in doc['entries']}
        self.assertIn((svc.name, 'explicit'), vias)
        self.assertIn((web.name, 'host-alias'), vias)

    def test_dry_run_writes_nothing(self):
        svc = self.user()
        doc = self.tool_json('add', svc.name, 'dry1', '--dry-run')
        self.assertEqual(set(states(doc).values()), {'would-add'})
        self.assertFalse(doc['changed'])
        self.assertEqual(self.spns_of(svc.dn), [])

    def test_json_carries_every_fact_of_the_text(self):
        svc = self.user()
        rc, text, err = self.tool('add', svc.name, 'facts', '--dry-run')
        self.assertEqual(rc, EXIT_OK, err)
        doc = self.tool_json('add', svc.name, 'facts', '--dry-run')
        for s in doc['spns']:
            self.assertIn(s['spn'], text)
            self.assertIn(s['state'], text)
        self.assertIn(doc['account']['dn'], text)


@both_transports
class RemoveListTests:

    def test_remove_deletes_stored_spelling_whatever_the_case(self):
        svc = self.user(spns=['HTTP/Rm1', f'http/RM1.{DNSNAME}',
                              'HOST/rm1', 'http/rm1:8080'])
        doc = self.tool_json('remove', svc.name, 'rm1')
        self.assertTrue(doc['changed'])
        self.assertEqual(states(doc), {'http/RM1': 'removed',
                                       f'http/rm1.{DNSNAME}': 'removed'})
        self.assertEqual(self.spns_of(svc.dn),
                         ['HOST/rm1', 'http/rm1:8080'])

    def test_remove_of_absent_spns_is_a_clear_no_op(self):
        svc = self.user(spns=['http/keep'])
        rc, out, err = self.tool('remove', svc.name, 'absent1')
        self.assertEqual(rc, EXIT_OK, err)
        self.assertIn('absent', out)
        self.assertEqual(self.spns_of(svc.dn), ['http/keep'])

    def test_list_by_identity(self):
        svc = self.user(spns=['http/l1', 'ldap/l1', f'HTTP/l1.{DNSNAME}'])
        doc = self.tool_json('list', svc.name)
        self.assertEqual(sorted(e['spn'] for e in doc['entries']),
                         [f'HTTP/l1.{DNSNAME}', 'http/l1'])
        self.assertEqual(doc['account']['sam_account_name'], svc.name)

    def test_list_by_host_shows_explicit_alias_and_computer(self):
        web = self.computer()
        name = web.name.rstrip('$').lower()
        doc = self.tool_json('list', '--host', name)
        vias = sorted(e['via'] for e in doc['entries'])
        self.assertIn('computer-name', vias)
        self.assertIn('host-alias', vias)


@both_transports
class BadInputTests:

    def assertRefused(self, args, code, *needles, dn=None):
        before = self.spns_of(dn) if dn else None
        rc, out, err = self.tool(*args)
        self.assertEqual(rc, code, 'args %r: %s %s' % (args, out, err))
        self.assertOneLineError(err, *needles)
        if dn:
            self.assertEqual(self.spns_of(dn), before)

    def test_malformed_hosts_and_ports_are_refused(self):
        svc = self.user()
        for host, needle in (('web 01', 'whitespace'),
                             ('a..b', 'empty label'),
                             ('web*', "invalid host 'web*'"),
                             ('web)(x', 'invalid host'),
                             ('203.0.113.5', 'IP address'),
                             ('sixteen-chars-xx', '15 characters')):
            self.assertRefused(('add', svc.name, 'ok1', host),
                               EXIT_BAD_INPUT, needle, dn=svc.dn)
        for port in ('08', '0', '65536', 'http'):
            self.assertRefused(('add', svc.name, 'ok1', '--port', port),
                               EXIT_BAD_INPUT, "invalid port '%s'" % port,
                               dn=svc.dn)

    def test_usage_errors_exit_2(self):
        for args in (('add', 'svc-only'), ('list', 'a', 'b')):
            rc, out, err = self.tool(*args)
            self.assertEqual(rc, EXIT_BAD_INPUT, (args, out, err))

    def test_identities_are_escaped_and_checked(self):
        self.assertRefused(('add', 'svc)(!(x', 'ok2'), EXIT_NO_IDENTITY,
                           'not found')
        self.assertRefused(('add', 'svc*', 'ok2'), EXIT_BAD_INPUT,
                           'may not contain')
        self.assertRefused(('add', 'no-such-account', 'ok2'),
                           EXIT_NO_IDENTITY, 'not found')
        self.assertRefused(('add', 'Domain Users', 'ok2'),
                           EXIT_NO_IDENTITY, 'is a group')
        self.assertRefused(('add', 'OTHER\\Administrator', 'ok2'),
                           EXIT_NO_IDENTITY, "names domain 'OTHER'")
        self.assertRefused(('add', 'NetworkService', 'ok2'),
                           EXIT_BAD_INPUT, '--server')


class LdapOnlyTests(DCTestCase):
    """What only exists over the network: rights, credentials, races."""

    transport = 'ldap'

    def test_wrong_password_is_an_authentication_failure(self):
        svc = self.user()
        rc, out, err = self.tool(
            'add', svc.name, 'pw1',
            conn=['-H', 'ldap://127.0.0.1', '-UAdministrator%wrong'])
        self.assertEqual(rc, EXIT_AUTH, out + err)
        self.assertOneLineError(err)
        self.assertEqual(self.spns_of(svc.dn), [])

    def test_unreachable_server_is_a_connection_failure(self):
        rc, out, err = self.tool(
            'list', 'Administrator',
            conn=['-H', 'ldap://127.0.0.1:1', '-UAdministrator%x'])
        self.assertEqual(rc, EXIT_CONNECTION, out + err)
        self.assertOneLineError(err)

    def test_user_without_rights_is_denied_and_nothing_written(self):
        plain = self.user(prefix='plain')
        svc = self.user()
        rc, out, err = self.tool(
            'add', svc.name, 'denied1',
            conn=['-H', 'ldap://127.0.0.1',
                  '-U%s%%%s' % (plain.name, plain.password)])
        self.assertEqual(rc, 5, out + err)
        self.assertOneLineError(err)
        self.assertEqual(self.spns_of(svc.dn), [])

    def test_concurrent_adds_to_one_account_lose_nothing(self):
        svc = self.user()
        hosts = ['conc%02d' % i for i in range(16)]
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            results = list(pool.map(
                lambda h: self.tool('add', svc.name, h), hosts))
        for rc, out, err in results:
            self.assertEqual(rc, EXIT_OK, out + err)
        self.assertEqual(len(self.spns_of(svc.dn)), 32)

    def test_concurrent_adds_of_one_host_leave_exactly_one_holder(self):
        accounts = [self.user(prefix='race') for _ in range(8)]
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            results = list(pool.map(
                lambda a: self.tool('add', a.name, 'contested'),
                accounts))
        codes = sorted(rc for rc, _, _ in results)
        self.assertEqual(codes, [EXIT_OK] + [EXIT_CONFLICT] * 7,
                         [r[2] for r in results])
        holders = [a for a in accounts if self.spns_of(a.dn)]
        self.assertEqual(len(holders), 1)
        self.assertEqual(self.spns_of(holders[0].dn),
                         ['http/CONTESTED', f'http/contested.{DNSNAME}'])


if __name__ == '__main__':
    import unittest
    unittest.main()
