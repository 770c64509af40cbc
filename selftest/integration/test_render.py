"""samba_spnpool.render: every command it prints is read back, by the
shell it is meant for and by shlex.split, as exactly the arguments it
stands for, whatever the account, pool or site names hold.

sAMAccountName allows ' $ ( ) ` blanks and non-ASCII letters, and Samba
lets any authenticated user create computer accounts: a name must never
be able to turn a suggested fix into another command.  No DC needed.
"""

import os
import shlex
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, 'build', 'python'))

import samba_spnpool  # noqa: E402
from samba_spnpool import render  # noqa: E402

# Characters an account name may hold (AD refuses " / \ [ ] : ; | = , +
# * ? < > in a sAMAccountName; Samba is more lenient, so they are tried
# too), and names made of them.
SPECIALS = "'$()` ;&|<>!%^\"#~{}*?[]=,+@-._"
NAMES = (["o'brien", "$(touch /tmp/pwned)", "`id`", "a b", "x;y&z|w",
          "<in>out", "Zoë", "Ångström", "名前", "ÿ$'`", "-n", "--move"] +
         ["a%sb" % c for c in SPECIALS] +
         [SPECIALS, "'" + SPECIALS + "'"])

# Every action kind with the fields it uses; NAME is replaced by each
# name in every text field a name can reach.
TEMPLATES = {
    'add': {'account': 'NAME', 'host': 'web07.example.test', 'port': 8080,
            'move': True},
    'remove': {'account': 'NAME', 'host': 'web07.example.test'},
    'setspn-add': {'spn': 'HTTP/web07.example.test', 'domain': 'EXAMPLE',
                   'account': 'NAME'},
    'setspn-delete': {'spn': 'HTTP/web07', 'domain': 'EXAMPLE',
                      'account': 'NAME'},
    'dns-query': {'domain': 'example.test', 'host': 'www.example.test',
                  'target': 'NAME'},
    'delete-stale': {},
    'machine-kernel-mode': {},
    'iis-app-pool-credentials': {'site': 'NAME', 'app_path': '/api'},
    'iis-kernel-mode': {'site': 'NAME', 'app_path': '/'},
    'iis-ntlm-only': {'site': 'NAME', 'app_path': '/NAME'},
    'iis6-ntlm-only': {'site_id': '3', 'app_path': '/NAME'},
    'iis-pool-identity': {'pool': 'NAME', 'domain': 'EXAMPLE',
                          'account': 'NAME'},
    'random-password': {'account': 'NAME'},
}


def facts(kind, name):
    out = {'kind': kind}
    for key, value in TEMPLATES[kind].items():
        out[key] = value.replace('NAME', name) if isinstance(value,
                                                             str) else value
    return out


def broken(rendered, name):
    """Why rendered is not safe for name (None: it is)."""
    if rendered['command'] is None:
        return None  # advice, nothing to paste
    argv = rendered['argv']
    try:
        own = render.split(rendered)
    except ValueError as e:
        return 'its shell cannot read it: %s' % e
    if own != argv:
        return 'its shell reads %r, not %r' % (render.split(rendered), argv)
    try:
        if shlex.split(rendered['command']) != argv:
            return 'shlex.split reads %r, not %r' % (
                shlex.split(rendered['command']), argv)
    except ValueError as e:
        return 'shlex.split refuses it: %s' % e
    return None


class RenderedCommandsRoundTrip(unittest.TestCase):

    def test_every_action_kind_is_rendered(self):
        self.assertEqual(sorted(TEMPLATES),
                         sorted(samba_spnpool.ACTION_KINDS))

    def test_every_command_splits_to_its_arguments(self):
        for kind in TEMPLATES:
            for name in NAMES:
                r = render.action(facts(kind, name))
                with self.subTest(kind=kind, name=name, line=r['text']):
                    self.assertIsNone(broken(r, name))

    def test_the_name_is_one_argument(self):
        # the intended argv: the account is one argument, as given
        for name in NAMES:
            for kind, want in (('add', name), ('remove', name),
                               ('random-password', name),
                               ('setspn-add', 'EXAMPLE\\' + name)):
                if kind == 'setspn-add' and name[:1] in '$`':
                    want = name  # setspn finds it in the domain
                r = render.action(facts(kind, name))
                with self.subTest(kind=kind, name=name):
                    if r['command'] is None:
                        # only cmd.exe's unquotable characters
                        self.assertEqual(r['shell'], None)
                        self.assertRegex(name, r'["%^!]|\\[$`\\]')
                        continue
                    self.assertIn(want, r['argv'])
                    argv = render.split(r)
                    if name.startswith('-') and kind != 'setspn-add':
                        # after "--": an argument, never an option
                        self.assertEqual(argv[argv.index('--') + 1], want)
                    else:
                        self.assertEqual(argv.count(want), 1)

    def test_samba_tool_commands_are_always_rendered(self):
        # shlex.join can quote anything: no name makes a samba-tool fix
        # disappear
        for name in NAMES:
            for kind in ('add', 'remove', 'random-password'):
                r = render.action(facts(kind, name))
                self.assertEqual(r['shell'], render.POSIX)
                self.assertEqual(shlex.split(r['command']), r['argv'])

    def test_the_check_can_fail(self):
        # the quoting of before (single quotes pasted around the name)
        # is caught: the test can fail
        bad = {'command': "samba-tool spn http-pool add 'o'brien' web07",
               'argv': ['samba-tool', 'spn', 'http-pool', 'add', "o'brien",
                        'web07'], 'shell': render.POSIX}
        self.assertIsNotNone(broken(bad, "o'brien"))
        bad = dict(bad, command="samba-tool spn http-pool add "
                   "'$(id)' web07 | samba-tool spn http-pool remove x y")
        self.assertIsNotNone(broken(bad, "$(id)"))

    def test_check_audit_and_plan_results_render_every_action(self):
        name = "o'brien $(id)"
        check = {'verdict': 'kerberos-fails', 'reason_kind': 'other-answers',
                 'spn': 'HTTP/web07.example.test', 'answerers': [
                     {'sam_account_name': name, 'via': 'explicit'}],
                 'expected': {'sam_account_name': name},
                 'actions': [facts(k, name) for k in TEMPLATES]}
        render.check(check, samba_spnpool.VERDICTS)
        self.assertEqual(check['exit_code'], 11)
        audit = {'findings': [{'kind': 'duplicate', 'spn': 'http/web07',
                               'sams': [name, 'b'], 'actions': [
                                   facts('remove', name),
                                   facts('remove', 'b')]}]}
        render.audit(audit)
        plan = {'names': [{'decision': 'conflict', 'fqdn': 'w.example.test',
                           'resolutions': [{'kind': 'shared-account',
                                            'actions': [
                                                facts(k, name)
                                                for k in TEMPLATES]}],
                           'iis_actions': [facts('iis-ntlm-only', name)]}],
                'changes': [{'spn': 'http/w'}],
                'whys': [{'why': 'moved-to', 'account': name}],
                'notes': [{'kind': 'port', 'site': name,
                           'fqdn': 'w.example.test', 'port': 8080}]}
        render.plan(plan)
        rendered = (check['actions'] + audit['findings'][0]['actions'] +
                    plan['names'][0]['resolutions'][0]['actions'] +
                    plan['names'][0]['iis_actions'])
        self.assertTrue(any(r['command'] for r in rendered))
        for r in rendered:
            self.assertIsNone(broken(r, name), r['text'])
        # the fix lines a person reads hold the same commands
        self.assertEqual(check['fixes'], [r['text'] for r in
                                          check['actions']])
        self.assertNotIn('|', audit['findings'][0]['fix'].replace(
            name, ''))
        self.assertEqual(plan['changes'][0]['reason'], 'moved to ' + name)
        self.assertNotIn('whys', plan)

    def test_every_privileged_reason_has_its_words(self):
        kinds = [k for k in samba_spnpool.PRIVILEGED_REASONS if k != 'none']
        self.assertEqual(sorted(render.PRIVILEGED_WORDS), sorted(kinds))
        plan = {'names': [{'decision': 'register', 'fqdn': 'w.example.test',
                           'privileged': 'domain-admins'},
                          {'decision': 'register', 'fqdn': 'x.example.test',
                           'privileged': None}],
                'notes': [{'kind': 'privileged', 'account': 'svc-da',
                           'fqdn': 'w.example.test',
                           'privileged': 'domain-admins'}]}
        render.plan(plan)
        self.assertEqual(plan['names'][0]['privileged'],
                         'a member of Domain Admins')
        self.assertEqual(plan['names'][0]['privileged_kind'],
                         'domain-admins')
        self.assertIsNone(plan['names'][1]['privileged'])
        self.assertIn('svc-da is a member of Domain Admins', plan['notes'][0])
        self.assertEqual(plan['note_facts'][0]['privileged_kind'],
                         'domain-admins')

    def test_an_account_gone_since_the_scan_is_named_in_words(self):
        audit = {'findings': [{'kind': 'duplicate', 'spn': 'http/web07',
                               'dns': ['CN=a,DC=x', None],
                               'sams': ['a', None], 'account_gone': True,
                               'actions': []}]}
        render.audit(audit)
        f = audit['findings'][0]
        self.assertEqual(f['dns'], ['CN=a,DC=x', render.ACCOUNT_GONE])
        self.assertEqual(f['sams'], ['a', render.ACCOUNT_GONE])
        self.assertIn(render.ACCOUNT_GONE, f['detail'])

    def test_every_note_kind_has_its_own_text(self):
        facts = {'site': 'Shop', 'pool': 'ShopPool',
                 'fqdn': 'shop.example.test', 'port': 8080,
                 'account': 'svc-shop', 'privileged': 'a domain controller',
                 'values': 1001, 'limit': 1000}
        for kind in samba_spnpool.NOTE_KINDS:
            text = render.note_text(dict(facts, kind=kind))
            self.assertNotEqual(text, kind)

    def test_a_plan_past_1000_values_is_warned(self):
        text = render.note_text({'kind': 'too-many-values',
                                 'account': 'svc-big', 'values': 1001,
                                 'limit': 1000})
        self.assertIn('svc-big would hold 1001 servicePrincipalName '
                      'values after this plan, more than 1,000', text)
        self.assertIn('adminLimitExceeded', text)

    def test_verdict_exit_codes(self):
        self.assertEqual([samba_spnpool.verdict_exit_code(v)
                          for v in samba_spnpool.VERDICTS],
                         [0, 10, 11, 12, 13])
        self.assertEqual(samba_spnpool.verdict_exit_code(4), 13)
        with self.assertRaises(ValueError):
            samba_spnpool.verdict_exit_code('maybe')
        with self.assertRaises(TypeError):
            samba_spnpool.verdict_exit_code(True)


class ExitCodes(unittest.TestCase):
    """The exit statuses live in the command layer (exitcodes.py); the
    library reports LDB codes."""

    def test_each_ldb_code_has_its_documented_status(self):
        import ldb
        expected = {
            ldb.SUCCESS: 0,
            ldb.ERR_OPERATIONS_ERROR: 1,
            ldb.ERR_INVALID_ATTRIBUTE_SYNTAX: 2,
            ldb.ERR_INVALID_DN_SYNTAX: 2,
            ldb.ERR_NO_SUCH_OBJECT: 3,
            ldb.ERR_OBJECT_CLASS_VIOLATION: 3,
            ldb.ERR_CONSTRAINT_VIOLATION: 4,
            ldb.ERR_ATTRIBUTE_OR_VALUE_EXISTS: 4,
            ldb.ERR_ADMIN_LIMIT_EXCEEDED: 4,
            ldb.ERR_INSUFFICIENT_ACCESS_RIGHTS: 5,
            ldb.ERR_UNAVAILABLE: 6,
            ldb.ERR_REFERRAL: 6,
            ldb.ERR_INVALID_CREDENTIALS: 7,
            ldb.ERR_STRONG_AUTH_REQUIRED: 7,
            ldb.ERR_UNWILLING_TO_PERFORM: 9,
            12345: 1,
        }
        self.assertEqual({c: samba_spnpool.exit_code(c) for c in expected},
                         expected)

    def test_an_error_carries_its_status(self):
        import ldb
        e = samba_spnpool.SpnPoolError(ldb.ERR_NO_SUCH_OBJECT, "gone")
        self.assertEqual(e.exit_code, samba_spnpool.EXIT_NO_IDENTITY)
        self.assertIsNone(e.result)
        self.assertIsInstance(e, ldb.LdbError)
        self.assertEqual(samba_spnpool.SpnPoolError(
            ldb.ERR_UNWILLING_TO_PERFORM, "x").exit_code,
            samba_spnpool.EXIT_PRIVILEGED)

    def test_the_library_header_has_no_exit_status(self):
        with open(os.path.join(REPO, 'source', 'spnpool.h')) as f:
            header = f.read()
        self.assertNotIn('SPNPOOL_EXIT_', header)
        self.assertNotIn('spnpool_exit_code', header)


if __name__ == '__main__':
    unittest.main()
