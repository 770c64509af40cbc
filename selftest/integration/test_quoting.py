"""Accounts named like o'brien, $(...) and `...` on a real DC: every
command check, audit and plan suggest for them is read back by
shlex.split (and by its own shell's rules) as exactly its arguments, and
the account is one of them, as named.  No suggested fix may paste two
commands together.
"""

import json
import os
import shlex
import sys
import tempfile

from common import DCTestCase, DNSNAME, DOMAIN

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))), 'build', 'python'))

from samba_spnpool import render  # noqa: E402

class QuotedAccountNames(DCTestCase):

    transport = 'embedded'

    def crafted(self, stem):
        # sAMAccountName: at most 20 characters
        return self.user(prefix=stem)

    # embedded: the DC is stopped, so a duplicate can be forced

    def commands_of(self, actions):
        return [a for a in actions if a.get('command')]

    def assertSafe(self, actions, *names):
        """Each command splits back to its argv; together the commands
        name every one of names as a whole argument."""
        seen = set()
        for a in self.commands_of(actions):
            argv = shlex.split(a['command'])
            self.assertEqual(argv, a['argv'], a['command'])
            self.assertEqual(render.split(a), a['argv'], a['command'])
            for name in names:
                if any(arg == name or arg.endswith('\\' + name)
                       for arg in argv):
                    seen.add(name)
        self.assertEqual(seen, set(names),
                         'not every account is one argument: %r' %
                         [a['command'] for a in actions])

    def test_check_quotes_the_account_names(self):
        obrien = self.crafted("o'brien")
        other = self.crafted('$(id)x')
        host = self.unique('web') + '.' + DNSNAME
        # nobody holds it: register on o'brien
        doc = self.tool_json('check', 'http://%s/' % host, '--identity',
                             obrien.name, expect=10)
        self.assertEqual(doc['version'], 2)
        self.assertEqual(doc['reason_kind'], 'nobody')
        self.assertSafe(doc['actions'], obrien.name)
        self.assertEqual(doc['fixes'][0], shlex.join(
            ['samba-tool', 'spn', 'http-pool', 'add', obrien.name, host]))
        # $(id)x holds it: move it to o'brien, setspn -D from $(id)x
        rc, out, err = self.tool('add', other.name, host)
        self.assertEqual(rc, 0, err)
        doc = self.tool_json('check', 'http://%s/' % host, '--identity',
                             obrien.name, expect=11)
        self.assertEqual(doc['reason_kind'], 'other-answers')
        self.assertIn(other.name, doc['reason'])
        self.assertSafe(doc['actions'], obrien.name, other.name)
        self.assertIn('--move', doc['actions'][0]['argv'])

    def test_audit_quotes_the_account_names(self):
        spn = 'http/%s.%s' % (self.unique('dup'), DNSNAME)
        a = self.user(prefix="o'brien", spns=[spn])
        b = self.user(prefix='`id`y')
        self.dc.force_duplicate_spn(b.dn, spn)
        doc = self.tool_json('audit', expect=8)
        found = [f for f in doc['findings']
                 if f['kind'] == 'duplicate' and f['spn'] == spn]
        self.assertEqual(len(found), 1, doc['findings'])
        finding = found[0]
        self.assertSafe(finding['actions'], a.name, b.name)
        # two commands side by side, never piped into each other
        self.assertNotIn(' | ', finding['fix'])

    def test_plan_quotes_the_account_names(self):
        a = self.crafted("o'brien")
        b = self.crafted('$(id)z')
        host = self.unique('shared') + '.' + DNSNAME
        text = ('[pool one]\nidentity = %s\\%s\nhosts = %s\n\n'
                '[pool two]\nidentity = %s\\%s\nhosts = %s\n' %
                (DOMAIN, a.name, host, DOMAIN, b.name, host))
        with tempfile.NamedTemporaryFile('w', suffix='.conf',
                                         delete=False) as f:
            f.write(text)
        self.addCleanup(os.unlink, f.name)
        rc, out, err = self.tool('plan', '--pools-file', f.name, '--json')
        self.assertIn(rc, (0, 4), err)
        doc = json.loads(out)
        self.assertEqual(doc['version'], 2)
        name = [n for n in doc['names'] if n['fqdn'] == host][0]
        self.assertEqual(name['decision'], 'conflict')
        actions = []
        for res in name['resolutions']:
            actions += res['actions']
            self.assertEqual(res['commands'],
                             [x['text'] for x in res['actions']])
        self.assertSafe(actions + name['iis_actions'], b.name)
        for action in self.commands_of(actions):
            for arg in action['argv']:
                if a.name in arg or b.name in arg:
                    self.assertTrue(arg.endswith(a.name) or
                                    arg.endswith(b.name), arg)
