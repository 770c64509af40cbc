#!/usr/bin/python3
"""Benchmark of `samba-tool spn http-pool add` (a printed table, not a test).

    selftest/bench/bench_add.py [--reps N] [--sizes 100,10000] [--no-conc]

1. Start-up: what starting samba-tool at all costs (Python + Samba imports),
   so the rest can be read against it.
2. Local sam.ldb, server stopped, on DC copies holding 100 and 10,000
   SPN-holding accounts (built once, cached under build/selftest-cache/):
   one `build/bin/samba-tool spn http-pool add USER HOST` (2 SPNs, full
   checks) against two `/usr/bin/samba-tool spn add` calls for the same two
   SPNs; fresh host names per repetition, ours and baseline interleaved
   (alternating which goes first) so both see the same machine noise.
   Targets: ours/baseline <= 0.6 at 10,000 accounts; ours@10,000 /
   ours@100 <= 1.2.  Plus an in-process split (SamDB open vs the work).
3. Concurrency over LDAP (samba started on a copy of the 100-account DC):
   16 concurrent http-pool adds of distinct hosts to one account (32 SPNs
   asked), and 16 concurrent pairs of `samba-tool spn add` to another:
   SPNs kept, both numbers printed.

Exits 0 whatever the numbers; it fails only if it cannot run.  Runs inside
selftest/netns-run (re-execs itself there): samba and everything that
opens its database stay in a private network namespace.
"""

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPO, 'selftest'))

import dc as dcmod  # noqa: E402

OURS = os.environ.get('SPNPOOL_SAMBA_TOOL',
                      os.path.join(REPO, 'build', 'bin', 'samba-tool'))
BASE = '/usr/bin/samba-tool'
PYTHON = '/usr/bin/python3'
BUILD_PYTHON = os.path.join(REPO, 'build', 'python')

TARGET_RATIO = 0.6   # ours / baseline at the large size
TARGET_GROWTH = 1.2  # ours at the large size / ours at the small size
CONCURRENCY = 16

# One process: SamDB open, then the work, timed separately.  argv: which
# (ours|base), sam.ldb, smb.conf, user, host.
INPROC = r'''
import sys, time
t0 = time.perf_counter()
import ldb
from samba.auth import system_session
from samba.param import LoadParm
from samba.samdb import SamDB
import samba_spnpool
t1 = time.perf_counter()
which, url, conf, user, host, dnsname = sys.argv[1:7]
lp = LoadParm()
lp.load(conf)
db = SamDB(url=url, session_info=system_session(), lp=lp)
t2 = time.perf_counter()
if which == 'ours':
    samba_spnpool.add(db, user, [host], local=True)
else:
    # cmd_spn_add.run() of samba 4.17 after its SamDB open, twice.
    for name in ('http/' + host.upper(), 'http/%s.%s' % (host, dnsname)):
        res = db.search(expression='servicePrincipalName=%s'
                        % ldb.binary_encode(name), scope=ldb.SCOPE_SUBTREE)
        assert len(res) == 0
        res = db.search(expression='samaccountname=%s'
                        % ldb.binary_encode(user), scope=ldb.SCOPE_SUBTREE,
                        attrs=['servicePrincipalName'])
        spns = [str(v) for v in res[0].get('servicePrincipalName', ())]
        flag = ldb.FLAG_MOD_REPLACE if spns else ldb.FLAG_MOD_ADD
        msg = ldb.Message(res[0].dn)
        msg['servicePrincipalName'] = ldb.MessageElement(
            spns + [name], flag, 'servicePrincipalName')
        db.modify(msg)
t3 = time.perf_counter()
print('%f %f %f' % (t1 - t0, t2 - t1, t3 - t2))
'''


def log(text=''):
    print(text, flush=True)


def ms(seconds):
    return '%7.0f' % (seconds * 1000.0)


def timed(argv, env):
    """(seconds, CompletedProcess) of one command, output captured."""
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True)
    return time.perf_counter() - start, proc


def must(proc, what):
    if proc.returncode != 0:
        raise RuntimeError('%s failed (exit %d):\n%s' % (
            what, proc.returncode, proc.stdout))


def loadavg():
    with open('/proc/loadavg') as f:
        return ' '.join(f.read().split()[:3])


class Stats:
    def __init__(self, samples):
        self.samples = list(samples)
        self.median = statistics.median(self.samples)
        self.min = min(self.samples)


def startup(env, reps):
    """Median/min cost of starting Python, and samba-tool doing nothing."""
    rows = [
        ('python3 -c pass', [PYTHON, '-c', 'pass']),
        ('python3: import samba.netcmd.main', [PYTHON, '-c',
                                               'import samba.netcmd.main']),
        ('/usr/bin/samba-tool --version', [BASE, '--version']),
        ('build/bin/samba-tool --version', [OURS, '--version']),
    ]
    times = {label: [] for label, _ in rows}
    for _ in range(reps + 1):  # the first round only warms the page cache
        for label, argv in rows:
            took, proc = timed(argv, env)
            must(proc, label)
            times[label].append(took)
    return [(label, Stats(times[label][1:])) for label, _ in rows]


class LocalBench:
    """Ours vs baseline on one DC copy (server stopped)."""

    def __init__(self, dc, count):
        self.dc = dc
        self.count = count
        self.env = dict(os.environ, **dc.environ())
        self.where = ['-H', dc.sam_ldb, '-s', dc.smb_conf]
        self.ours, self.base = [], []
        self.done_hosts = {'svc-ours': [], 'svc-base': []}

    def run_ours(self, host):
        took, proc = timed([OURS, 'spn', 'http-pool', 'add', 'svc-ours',
                            host] + self.where, self.env)
        must(proc, 'http-pool add svc-ours %s' % host)
        self.done_hosts['svc-ours'].append(host)
        return took

    def run_base(self, host):
        total = 0.0
        for spn in ('http/' + host.upper(),
                    'http/%s.%s' % (host, dcmod.DNSNAME)):
            took, proc = timed([BASE, 'spn', 'add', spn, 'svc-base'] +
                               self.where, self.env)
            must(proc, 'spn add %s svc-base' % spn)
            total += took
        self.done_hosts['svc-base'].append(host)
        return total

    def tag(self):
        return ('k%d' % (self.count // 1000) if self.count >= 1000
                else str(self.count))

    def warm_up(self):
        """Not counted: page cache, first open of the copy."""
        self.run_ours('ow%s' % self.tag())
        self.run_base('bw%s' % self.tag())

    def step(self, rep):
        """One repetition: ours and baseline, alternating which is first,
        on fresh host names."""
        pair = [('ours', 'o%sr%02d' % (self.tag(), rep)),
                ('base', 'b%sr%02d' % (self.tag(), rep))]
        if rep % 2:
            pair.reverse()
        for which, host in pair:
            if which == 'ours':
                self.ours.append(self.run_ours(host))
            else:
                self.base.append(self.run_base(host))

    def finish(self):
        self.ours, self.base = Stats(self.ours), Stats(self.base)

    def inproc(self, reps):
        """Medians of (imports, SamDB open, work) for ours and baseline."""
        tag = self.tag()
        env = dict(self.env, PYTHONPATH=BUILD_PYTHON)
        out = {'ours': [], 'base': []}
        for rep in range(reps):
            for which, user in (('ours', 'svc-ours'), ('base', 'svc-base')):
                host = '%si%sr%02d' % (which[0], tag, rep)
                _, proc = timed([PYTHON, '-c', INPROC, which, self.dc.sam_ldb,
                                 self.dc.smb_conf, user, host,
                                 dcmod.DNSNAME], env)
                must(proc, 'in-process %s' % which)
                out[which].append([float(x) for x in
                                   proc.stdout.split()[-3:]])
                self.done_hosts[user].append(host)
        return {which: [statistics.median(col) for col in zip(*rows)]
                for which, rows in out.items()}

    def check(self):
        """Every add really wrote its two SPNs: (user, want, have)."""
        db = self.dc.samdb()
        out = []
        for user, hosts in self.done_hosts.items():
            res = db.search(db.domain_dn(), expression='sAMAccountName=%s'
                            % user, attrs=['servicePrincipalName'])
            have = {str(v).lower() for v in res[0]['servicePrincipalName']}
            want = set()
            for host in hosts:
                want.add('http/%s' % host.lower())
                want.add('http/%s.%s' % (host, dcmod.DNSNAME))
            out.append((user, len(want), len(want & have)))
        return out


def count_spns(db, user):
    res = db.search(db.domain_dn(), expression='sAMAccountName=%s' % user,
                    attrs=['servicePrincipalName'])
    return len(res[0].get('servicePrincipalName', ()))


def concurrency(count):
    """16 concurrent http-pool adds vs 16 concurrent spn-add pairs over
    LDAP against a running samba (prefork, Samba's default model)."""
    import benchdc
    with benchdc.PopulatedDC(count, start=True, model='prefork') as dc:
        env = dict(os.environ, **dc.environ())
        creds = ['-H', dcmod.LDAP_URL, '-s', dc.smb_conf,
                 '-U', '%s\\%s' % (dcmod.DOMAIN, dcmod.USERNAME),
                 '--password=' + dcmod.password(), '--use-kerberos=off']
        results = {}
        for which in ('ours', 'base'):
            user = 'svc-conc-' + which
            barrier = threading.Barrier(CONCURRENCY)
            rcs = []
            lock = threading.Lock()

            def worker(i, which=which, user=user, barrier=barrier, rcs=rcs):
                host = 'c%s%02d' % (which[0], i)
                if which == 'ours':
                    cmds = [[OURS, 'spn', 'http-pool', 'add', user, host]]
                else:
                    cmds = [[BASE, 'spn', 'add', spn, user] for spn in
                            ('http/' + host.upper(),
                             'http/%s.%s' % (host, dcmod.DNSNAME))]
                barrier.wait()
                for argv in cmds:
                    _, proc = timed(argv + creds, env)
                    with lock:
                        rcs.append((proc.returncode, proc.stdout))

            threads = [threading.Thread(target=worker, args=(i,))
                       for i in range(CONCURRENCY)]
            start = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            took = time.perf_counter() - start
            kept = count_spns(dc.samdb(), user)
            failed = [(rc, out) for rc, out in rcs if rc != 0]
            results[which] = (kept, len(rcs), len(failed), took, failed)
        return results


def verdict(value, target):
    return 'PASS' if value <= target else 'MISS'


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--reps', type=int, default=7)
    parser.add_argument('--startup-reps', type=int, default=5)
    parser.add_argument('--inproc-reps', type=int, default=5)
    parser.add_argument('--sizes', default='100,10000',
                        help='account counts, small first (default '
                             '100,10000)')
    parser.add_argument('--no-conc', action='store_true',
                        help='skip the concurrency part')
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(',')]

    import samba
    import benchdc

    t_start = time.monotonic()
    if not os.access(OURS, os.X_OK):
        sys.exit('bench: %s missing: run ./waf build first' % OURS)
    log('samba-tool spn http-pool add: benchmark  (Samba %s, %d CPUs, '
        'load avg %s)' % (samba.version, os.cpu_count(), loadavg()))
    log('ours: %s   baseline: %s' % (os.path.relpath(OURS, REPO), BASE))

    # Cached directories first, so the build time is reported apart.
    log('\nDirectories (cached under build/selftest-cache/, one '
        'transaction on the local sam.ldb, server stopped):')
    for count in sizes:
        path, built = benchdc.ensure_populated(
            count, log=lambda text: log('  ' + text))
        info = benchdc.build_info(path)
        first = info.get('populate_seconds')
        size_mb = sum(os.path.getsize(os.path.join(d, f))
                      for d, _, fs in os.walk(path) for f in fs) / 2 ** 20
        how = ('built now in %.1f s' % built if built is not None
               else 'cached')
        log('  %6d accounts: %s; first build: %s accounts added in %s s '
            '(whole build %s s); %.0f MB' % (
                count, how, info.get('accounts', '?'),
                '%.1f' % first if first else '?',
                '%.1f' % info['total_seconds'] if 'total_seconds' in info
                else '?', size_mb))
        if info.get('note'):
            log('         (%s)' % info['note'])
    t_bench = time.monotonic()

    env = dict(os.environ)
    log('\nStart-up cost, %d runs each (ms)        median     min'
        % args.startup_reps)
    for label, st in startup(env, args.startup_reps):
        log('  %-36s %s %s' % (label, ms(st.median), ms(st.min)))

    # Both sizes side by side (server stopped), repetitions round-robin
    # over the sizes too: ours@large / ours@small shares the machine's
    # noise as much as ours / baseline does.
    benches, inproc, checks, copy_s, dcs = {}, {}, {}, {}, []
    try:
        for count in sizes:
            start = time.perf_counter()
            dc = benchdc.PopulatedDC(count, start=False)
            dcs.append(dc)
            dc.setup()
            copy_s[count] = time.perf_counter() - start
            benches[count] = LocalBench(dc, count)
        for count in sizes:
            benches[count].warm_up()
        for rep in range(args.reps):
            order = sizes if rep % 2 == 0 else sizes[::-1]
            for count in order:
                benches[count].step(rep)
        for count in sizes:
            benches[count].finish()
            inproc[count] = benches[count].inproc(args.inproc_reps)
            checks[count] = benches[count].check()
    finally:
        for dc in dcs:
            dc.close()

    log('\nLocal sam.ldb, server stopped; %d reps per size (+1 warm-up), '
        'ours/baseline and sizes interleaved; ms' % args.reps)
    log('  (per-run copy of the cached folder: %s)' % ', '.join(
        '%d accounts %.2f s' % (c, copy_s[c]) for c in sizes))
    head = '  %-38s' % ''
    sub = '  %-38s' % ''
    for count in sizes:
        head += '  %15s' % ('%d accounts' % count)
        sub += '  %7s %7s' % ('median', 'min')
    log(head)
    log(sub)

    def row(label, values):
        log('  %-38s' % label + ''.join('  %s %s' % pair for pair in values))

    row('ours: 1 x http-pool add (2 SPNs)',
        [(ms(benches[c].ours.median), ms(benches[c].ours.min))
         for c in sizes])
    row('baseline: 2 x spn add (same 2 SPNs)',
        [(ms(benches[c].base.median), ms(benches[c].base.min))
         for c in sizes])
    row('ratio ours / baseline',
        [('%7.2f' % (benches[c].ours.median / benches[c].base.median),
          '%7.2f' % (benches[c].ours.min / benches[c].base.min))
         for c in sizes])
    log('  samples (ms, in run order):')
    for c in sizes:
        log('    %6d: ours %s | baseline %s' % (
            c, ' '.join('%.0f' % (x * 1000) for x in benches[c].ours.samples),
            ' '.join('%.0f' % (x * 1000) for x in benches[c].base.samples)))

    log('\nIn-process split, median of %d (ms): imports / SamDB open / '
        'work' % args.inproc_reps)
    for c in sizes:
        for which, label in (('ours', 'ours: samba_spnpool.add()'),
                             ('base', 'baseline: 2 x spn-add logic')):
            imp, open_, work = inproc[c][which]
            log('  %6d  %-30s %s / %s / %s' % (c, label, ms(imp), ms(open_),
                                               ms(work)))

    for c in sizes:
        for user, want, have in checks[c]:
            if want != have:
                log('!! %d accounts: %s holds %d of the %d SPNs added'
                    % (c, user, have, want))

    log('\nTargets (medians)')
    small, large = sizes[0], sizes[-1]
    ratio = benches[large].ours.median / benches[large].base.median
    growth = benches[large].ours.median / benches[small].ours.median
    base_growth = benches[large].base.median / benches[small].base.median
    for label, value, target in (
            ('ours / baseline at %d accounts' % large, ratio, TARGET_RATIO),
            ('ours@%d / ours@%d' % (large, small), growth, TARGET_GROWTH)):
        log('  %-38s %5.2fx  target <= %.2fx  %s'
            % (label, value, target, verdict(value, target)))
    log('  %-38s %5.2fx  (for comparison, no target)'
        % ('baseline@%d / baseline@%d' % (large, small), base_growth))

    if not args.no_conc:
        start = time.perf_counter()
        conc = concurrency(small)
        took_all = time.perf_counter() - start
        log('\nConcurrency over LDAP (samba -M prefork on a copy of the '
            '%d-account DC; %.1f s incl. start)' % (small, took_all))
        ours = conc['ours']
        base = conc['base']
        log('  ours:     %d concurrent http-pool add, distinct hosts: '
            '%2d of %d SPNs kept  (%d/%d commands exit 0, %.1f s)'
            % (CONCURRENCY, ours[0], 2 * CONCURRENCY, ours[1] - ours[2],
               ours[1], ours[3]))
        log('  baseline: %d concurrent pairs of spn add:           '
            '%2d of %d SPNs kept  (%d/%d commands exit 0, %.1f s)'
            % (CONCURRENCY, base[0], 2 * CONCURRENCY, base[1] - base[2],
               base[1], base[3]))
        for which, res in (('ours', ours), ('baseline', base)):
            for rc, out in res[4][:3]:
                log('    %s exit %d: %s' % (which, rc,
                                            ' | '.join(out.split('\n')[-3:])
                                            .strip()))

    log('\nbench: %.0f s (directories ready after %.0f s); load avg %s'
        % (time.monotonic() - t_start, t_bench - t_start, loadavg()))
    return 0


if __name__ == '__main__':
    if not dcmod.in_netns():
        os.execv(dcmod.NETNS_RUN, [dcmod.NETNS_RUN, sys.executable,
                                   os.path.abspath(__file__)] + sys.argv[1:])
    sys.exit(main())
