#!/usr/bin/python3
"""The main job: the three situations of docs/admin-guide.md (a pool on
the computer's own name, a site name that is not the computer's, several
pools behind one name), walked through with the real commands against a
throwaway domain on local disk.

Provisions (or copies the cached) Samba AD domain the environment names
(else the harness's own; see selftest/dc.py) into a temp folder, creates
the accounts of those situations, and runs `samba-tool spn http-pool` on its
sam.ldb exactly as an admin on a DC would, printing what the admin sees.
Nothing listens on any network: the domain is used through its database
file, inside the private namespace of selftest/netns-run.
"""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import dc as dcmod  # noqa: E402
from dc import DNSNAME, DOMAIN  # noqa: E402

SAMBA_TOOL = os.environ.get('SPNPOOL_SAMBA_TOOL',
                            os.path.join(REPO, 'build', 'bin', 'samba-tool'))


class Story:
    def __init__(self, dc):
        self.dc = dc
        self.env = dict(os.environ)
        self.env.update(dc.environ())
        self.failures = 0

    def say(self, text):
        print('\n' + text)

    def run(self, *args, expect=0):
        shown = ['samba-tool', 'spn', 'http-pool'] + list(args)
        print('\n# ' + ' '.join(a if ' ' not in a and '\\' not in a
                                 else "'%s'" % a for a in shown))
        argv = ([SAMBA_TOOL, 'spn', 'http-pool'] + list(args) +
                ['-H', self.env['SPNPOOL_SAM_LDB'],
                 '-s', self.env['SMB_CONF_PATH']])
        proc = subprocess.run(argv, env=self.env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT,
                              universal_newlines=True)
        sys.stdout.write(proc.stdout)
        print('(exit %d)' % proc.returncode)
        if proc.returncode != expect:
            print('!! expected exit %d' % expect)
            self.failures += 1


def main():
    with dcmod.ThrowawayDC(start=False) as dc:
        story = Story(dc)
        dc.create_computer('web01', spns=['HOST/web01',
                                          f'HOST/web01.{DNSNAME}'])
        for name in ('svc-web01', 'svc-intranet', 'svc-shop-a',
                     'svc-shop-b'):
            dc.create_user(name)

        story.say(f'== Situation 1: a pool runs as {DOMAIN}\\svc-web01 on '
                  'the computer\'s own name ==\n'
                  'Today http/web01 is answered by the computer account '
                  'through its HOST/ SPN,\nso the ticket is encrypted for '
                  'WEB01$ and the pool cannot decrypt it.')
        story.run('list', '--host', 'web01')
        story.run('check', 'http://web01/', '--identity',
                  f'{DOMAIN}\\svc-web01', expect=11)
        story.run('add', f'{DOMAIN}\\svc-web01', 'web01')
        story.run('check', f'http://web01.{DNSNAME}/', '--identity',
                  f'{DOMAIN}\\svc-web01')

        story.say('== Situation 2: the site is reached by a farm name '
                  'nobody holds (NTLM fallback) ==')
        story.run('check', 'http://intranet/', '--identity',
                  f'{DOMAIN}\\svc-intranet', expect=10)
        story.run('add', f'{DOMAIN}\\svc-intranet', 'intranet', '--dry-run')
        story.run('add', f'{DOMAIN}\\svc-intranet', 'intranet')
        story.say('Running it again changes nothing (idempotent):')
        story.run('add', f'{DOMAIN}\\svc-intranet', f'intranet.{DNSNAME}')

        story.say('== Situation 3: two pools under different accounts '
                  'behind one name ==\n'
                  'An SPN belongs to one account; the second registration '
                  'is refused and nothing is written.')
        story.run('add', f'{DOMAIN}\\svc-shop-a', 'shop')
        story.run('add', f'{DOMAIN}\\svc-shop-b', 'shop', expect=4)
        story.run('check', 'http://shop/', '--identity',
                  f'{DOMAIN}\\svc-shop-b', expect=11)
        story.say('Resolutions: run both pools as one shared account, give '
                  'each pool its own host name,\nuse IIS kernel-mode '
                  'authentication with the machine account, or set the '
                  'second\nsite to NTLM only.  Moving the name on purpose:')
        story.run('add', f'{DOMAIN}\\svc-shop-b', 'shop', '--move')
        story.run('list', f'{DOMAIN}\\svc-shop-a')
        story.run('remove', f'{DOMAIN}\\svc-shop-b', 'shop')

        story.say('== Many pools at once, from IIS\'s own configuration '
                  '==\nThe shop\'s two applications run in two pools '
                  'under svc-shop-a and svc-shop-b:\nplan explains the '
                  'conflict, ranks the ways out and lists the changes.')
        # The fixture, written for the harness's own domain, rewritten
        # for the one in use.
        config = os.path.join(dc.run_dir, 'applicationHost.config')
        with open(os.path.join(REPO, 'selftest', 'fixtures',
                               'two-pools-one-name.config'), 'rb') as f:
            data = dcmod.localize(f.read())
        with open(config, 'wb') as f:
            f.write(data)
        story.run('plan', '--iis-config', config, '--server', 'web01')
        journal = os.path.join(dc.run_dir, 'shop.journal')
        story.run('apply', '--iis-config', config, '--server', 'web01',
                  '--yes', '--journal', journal)
        story.run('check', f'http://shop.{DNSNAME}/', '--identity',
                  f'{DOMAIN}\\svc-shop-a')
        story.run('undo', journal)

        story.say('== The whole directory at once ==\n'
                  'svc-web01 now shadows WEB01$\'s HOST/ on purpose '
                  '(situation 1); audit reports it.')
        story.run('audit', expect=8)

        if story.failures:
            print('\ndemo: %d step(s) did not behave as expected' %
                  story.failures)
            return 1
        print('\ndemo: all steps behaved as expected')
        return 0


if __name__ == '__main__':
    if not dcmod.in_netns():
        os.execv(dcmod.NETNS_RUN, [dcmod.NETNS_RUN, sys.executable,
                                   os.path.abspath(__file__)] + sys.argv[1:])
    sys.exit(main())
