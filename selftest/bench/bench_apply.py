#!/usr/bin/python3
"""Benchmark of `samba-tool spn http-pool apply` (a printed table, not a
test).

    selftest/bench/bench_apply.py [--sizes 30,3000]

On a throwaway DC over LDAP (inside selftest/netns-run), for plans of each
size (adds of http/<NETBIOS> and http/<FQDN> to one account, planned from
a pools file):

1. Memory: the peak RSS of the apply process; target: the largest plan's
   at most 2x the smallest's (memory flat in the plan's size).
2. Time per change: the apply (one samba-tool process: every change
   checked against the directory, journalled with fsync, modified, checked
   again) against one raw `ldbmodify` process over LDAP making the same
   number of exact-value adds to another account; target: ours at most 4x
   the raw ldbmodify per change.

Exits 0 whatever the numbers; it fails only if it cannot run.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, 'selftest'))

import dc as dcmod  # noqa: E402

OURS = os.environ.get('SPNPOOL_SAMBA_TOOL',
                      os.path.join(REPO, 'build', 'bin', 'samba-tool'))
TARGET_MEMORY = 2.0
TARGET_TIME = 4.0
HOSTS_PER_POOL = 50  # a pools file line stays under 4096 bytes


def log(text=''):
    sys.stdout.write(text + '\n')
    sys.stdout.flush()


def run_rss(argv, env, what):
    """(seconds, peak RSS KiB) of one child, measured with wait4."""
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.execve(argv[0], argv, env)
    _pid, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - start
    if status != 0:
        raise SystemExit('%s failed (status %d)' % (what, status))
    return seconds, usage.ru_maxrss


def pools_file(path, user, hosts):
    with open(path, 'w') as f:
        for i in range(0, len(hosts), HOSTS_PER_POOL):
            f.write('[pool p%d]\nidentity = %s\nhosts = %s\n\n' % (
                i, user, ', '.join(hosts[i:i + HOSTS_PER_POOL])))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--sizes', default='30,3000')
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(',')]
    tmp = tempfile.mkdtemp(prefix='bench-apply-')
    rows = []
    with dcmod.ThrowawayDC(start=True) as dc:
        env = dict(os.environ)
        env.update(dc.environ())
        conn = ['-H', dcmod.LDAP_URL,
                '-U%s%%%s' % (env['USERNAME'], env['PASSWORD'])]
        common = ['-s', env['SMB_CONF_PATH']] + conn
        for size in sizes:
            ours = dc.create_user('svc-ours-%d' % size)
            raw = dc.create_user('svc-raw-%d' % size)
            hosts = ['o%dh%05d' % (size, i) for i in range(size // 2)]
            pools = os.path.join(tmp, 'pools-%d.conf' % size)
            pools_file(pools, ours.name, hosts)
            plan = os.path.join(tmp, 'plan-%d.json' % size)
            with open(plan, 'wb') as f:
                proc = subprocess.run(
                    [OURS, 'spn', 'http-pool', 'plan', '--pools-file',
                     pools, '--json'] + common, env=env, stdout=f,
                    stderr=subprocess.PIPE)
            if proc.returncode != 0:
                raise SystemExit('plan failed: %s' % proc.stderr[-400:])
            t_ours, rss = run_rss(
                [OURS, 'spn', 'http-pool', 'apply', plan, '--journal',
                 os.path.join(tmp, 'j-%d' % size)] + common, env,
                'apply of %d' % size)
            ldif = os.path.join(tmp, 'raw-%d.ldif' % size)
            with open(ldif, 'w') as f:
                for i in range(size // 2):
                    for spn in ('http/R%dH%05d' % (size, i),
                                'http/r%dh%05d.example.test' % (size, i)):
                        f.write('dn: %s\nchangetype: modify\n'
                                'add: servicePrincipalName\n'
                                'servicePrincipalName: %s\n-\n\n'
                                % (raw.dn, spn))
            t_raw, _rss = run_rss(['/usr/bin/ldbmodify'] + conn + [ldif],
                                  env, 'ldbmodify of %d' % size)
            rows.append((size, t_ours, rss, t_raw))
    log('apply over LDAP, one process per run (start-up included)')
    log('%8s %12s %12s %14s %14s %8s' % (
        'changes', 'apply s', 'peak RSS', 'apply/change', 'raw/change',
        'ratio'))
    for size, t_ours, rss, t_raw in rows:
        log('%8d %12.2f %9d KiB %11.2f ms %11.2f ms %8.2f' % (
            size, t_ours, rss, 1000 * t_ours / size, 1000 * t_raw / size,
            t_ours / t_raw))
    small, large = rows[0], rows[-1]
    mem = large[2] / small[2]
    log('\nmemory: peak RSS %d changes / %d changes = %.2f (target <= %.1f)'
        % (large[0], small[0], mem, TARGET_MEMORY))
    log('time:   apply / raw ldbmodify per change at %d changes = %.2f '
        '(target <= %.1f)' % (large[0], large[1] / large[3], TARGET_TIME))
    return 0


if __name__ == '__main__':
    if not dcmod.in_netns():
        os.execv(dcmod.NETNS_RUN, [dcmod.NETNS_RUN, sys.executable,
                                   os.path.abspath(__file__)] + sys.argv[1:])
    sys.exit(main())
