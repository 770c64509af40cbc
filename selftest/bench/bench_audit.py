#!/usr/bin/python3
"""Benchmark of `samba-tool spn http-pool audit` (a printed table, not a test).

    selftest/bench/bench_audit.py [--reps N] [--sizes 10000,50000]
                                  [--plain 500000] [--py-plain-reps N]
                                  [--check-build]

1. Local sam.ldb copies (server stopped) of DCs holding 10,000 and 50,000
   SPN-bearing accounts (selftest/bench/auditdc.py: built once, cached
   under build/selftest-cache/, with planted findings), per repetition:
     - ours: `build/bin/samba-tool spn http-pool audit -H sam.ldb -s
       smb.conf --json > /dev/null`, one process (wall, peak RSS);
     - raw: `ldbsearch -H sam.ldb --configfile=smb.conf
       '(servicePrincipalName=*)' servicePrincipalName > /dev/null`;
     - one Python process that opens SamDB once (start-up timed apart),
       then, in rotating order: samba_spnpool.audit(samdb) (its scan and
       its findings timed apart), the raw SamDB search of the attribute
       in every naming context, and a straightforward Python audit over
       SamDB (pyaudit.py); memory of each (anonymous RSS growth, sampled)
       with malloc_trim() in between.
2. A plain tdb:// ldb with 500,000 entries x 2 SPNs (~1,000,000 values),
   no rootDSE: build/bench_audit (bench_audit.c: spnpool_dir_init() and
   spnpool_op_audit() in its own process) against ldbsearch on the same
   file, bench_audit's raw mode (the same search streamed in C, no LDIF)
   and the Python audit over plain ldb; memory as peak RSS over a
   process that only opens the ldb, with and without mmap.
Ours and the raw reads are interleaved (the order rotates each
repetition); medians and minimums, ratios, targets (audit <= 1.3x the
raw read; audit's memory <= 2x the bytes of the SPN values) with
PASS/MISS.  Every audit must report exactly the planted findings.

Exits 0 whatever the numbers; it fails only if it cannot run.  Runs inside
selftest/netns-run (re-execs itself there): everything that opens a DC's
database stays in a private network namespace.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPO, 'selftest'))

import dc as dcmod  # noqa: E402

OURS = os.environ.get('SPNPOOL_SAMBA_TOOL',
                      os.path.join(REPO, 'build', 'bin', 'samba-tool'))
BENCH_C = os.path.join(REPO, 'build', 'bench_audit')
LDBSEARCH = '/usr/bin/ldbsearch'
PYTHON = '/usr/bin/python3'
TIME = '/usr/bin/time'
BUILD_PYTHON = os.path.join(REPO, 'build', 'python')

TARGET_TIME = 1.3    # audit / raw read
TARGET_MEMORY = 2.0  # audit's memory / bytes of the SPN values

# One process, SamDB opened once; then the ops named in argv[3]
# (comma-separated, run in that order); one JSON line out.
INPROC = r'''
import ctypes, gc, json, sys, time
t0 = time.perf_counter()
import ldb
from samba.auth import system_session
from samba.param import LoadParm
from samba.samdb import SamDB
import samba_spnpool
import pyaudit
t1 = time.perf_counter()
url, conf, ops = sys.argv[1], sys.argv[2], sys.argv[3]
lp = LoadParm()
lp.load(conf)
db = SamDB(url=url, session_info=system_session(), lp=lp)
root = db.search('', scope=ldb.SCOPE_BASE, attrs=['namingContexts'])[0]
ncs = [str(v) for v in root['namingContexts']]
dns_domain = db.domain_dns_name()
t2 = time.perf_counter()
libc = ctypes.CDLL('libc.so.6')
out = {'imports': t1 - t0, 'open': t2 - t1, 'ncs': len(ncs)}


def status():
    vals = {}
    with open('/proc/self/status') as f:
        for line in f:
            key, _, value = line.partition(':')
            if key in ('VmHWM', 'VmRSS', 'RssAnon'):
                vals[key] = int(value.split()[0])
    return vals


class Mem:
    """Growth of anonymous RSS (sampled) and of peak RSS over an op."""
    def __init__(self):
        gc.collect()
        libc.malloc_trim(0)
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')  # resets VmHWM to the current RSS
        s = status()
        self.rss0, self.anon0 = s['VmRSS'], s['RssAnon']
        self.anon = self.anon0

    def sample(self, *_):
        anon = status()['RssAnon']
        if anon > self.anon:
            self.anon = anon

    def done(self):
        self.sample()
        return {'anon_kb': self.anon - self.anon0,
                'hwm_kb': status()['VmHWM'] - self.rss0}


for op in ops.split(',') if ops else []:
    mem = Mem()
    if op == 'audit':
        last = [None]

        def progress(entries, values):
            mem.sample()
            last[0] = time.perf_counter()
        start = time.perf_counter()
        r = samba_spnpool.audit(db, local=True, progress=progress)
        took = time.perf_counter() - start
        res = {'wall': took, 'scan': last[0] - start,
               'entries': r['entries_read'], 'values': r['values_read'],
               'distinct': r['distinct_spns'], 'counts': r['counts'],
               'findings': len(r['findings'])}
    elif op == 'raw':
        start = time.perf_counter()
        results = []
        for nc in ncs:
            results.append(db.search(nc, scope=ldb.SCOPE_SUBTREE,
                                     expression='(servicePrincipalName=*)',
                                     attrs=['servicePrincipalName']))
            mem.sample()
        took = time.perf_counter() - start
        res = {'wall': took, 'entries': 0, 'values': 0, 'bytes': 0,
               'bytes_http_host': 0}
        for result in results:
            for msg in result:
                res['entries'] += 1
                for v in msg['servicePrincipalName']:
                    res['values'] += 1
                    res['bytes'] += len(v)
                    if bytes(v[:5]).lower() in (b'http/', b'host/'):
                        res['bytes_http_host'] += len(v)
    elif op == 'pyaudit':
        start = time.perf_counter()
        r = pyaudit.audit(db, ncs, dns_domain, sample=mem.sample)
        took = time.perf_counter() - start
        res = {'wall': took, 'entries': r['entries'],
               'values': r['values'], 'counts': pyaudit.counts(r),
               'findings': len(r['findings'])}
    else:
        raise SystemExit('unknown op ' + op)
    res.update(mem.done())
    out[op] = res
    r = results = None
print(json.dumps(out))
'''

# The Python audit over the plain ldb: argv: url, naming context, DNS name.
PLAIN_PY = r'''
import json, sys, time
t0 = time.perf_counter()
import ldb
import pyaudit
url, nc, dns_domain = sys.argv[1:4]
db = ldb.Ldb()
db.connect(url, flags=ldb.FLG_RDONLY)
t1 = time.perf_counter()
r = pyaudit.audit(db, [nc], dns_domain)
t2 = time.perf_counter()
print(json.dumps({'open': t1 - t0, 'wall': t2 - t1, 'entries': r['entries'],
                  'values': r['values'], 'counts': pyaudit.counts(r),
                  'findings': len(r['findings'])}))
'''


def log(text=''):
    print(text, flush=True)


def loadavg():
    with open('/proc/loadavg') as f:
        return ' '.join(f.read().split()[:3])


class Stats:
    def __init__(self, samples):
        self.samples = list(samples)
        self.median = statistics.median(self.samples)
        self.min = min(self.samples)


def timed(argv, env, capture=False):
    """(wall seconds, peak RSS kB, CompletedProcess) of one command run
    under /usr/bin/time; stdout to /dev/null unless captured."""
    with tempfile.NamedTemporaryFile('r', prefix='bench-time-') as rss:
        start = time.perf_counter()
        proc = subprocess.run(
            [TIME, '-f', '%M', '-o', rss.name] + argv, env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
            stderr=subprocess.PIPE, universal_newlines=True)
        took = time.perf_counter() - start
        lines = rss.read().split()
    peak = int(lines[-1]) if lines and lines[-1].isdigit() else 0
    return took, peak, proc


def must(proc, what, ok=(0,)):
    if proc.returncode not in ok:
        raise RuntimeError('%s failed (exit %d):\n%s%s' % (
            what, proc.returncode, proc.stdout or '', proc.stderr))


def last_json(proc, what):
    for line in reversed((proc.stdout or '').splitlines()):
        if line.startswith('{'):
            return json.loads(line)
    raise RuntimeError('%s printed no JSON:\n%s%s' % (what, proc.stdout,
                                                      proc.stderr))


def ldbsearch_entries(text):
    for line in text.splitlines():
        if line.startswith('# ') and line.endswith(' entries'):
            return int(line.split()[1])
    return None


# ---------------------------------------------------------------------------
# sam.ldb


class DCBench:
    """Ours and the raw reads on one private copy of a cached DC."""

    def __init__(self, count):
        import auditdc
        self.count = count
        self.planted = auditdc.Population(count, 'dc').planted()
        start = time.perf_counter()
        self.dc = auditdc.AuditDC(count)
        self.dc.setup()
        self.copy_s = time.perf_counter() - start
        self.env = dict(os.environ, **self.dc.environ())
        self.env['PYTHONPATH'] = os.pathsep.join([BUILD_PYTHON, HERE])
        self.cli, self.cli_rss = [], []
        self.ldbsearch, self.ldbsearch_rss = [], []
        self.inproc = []
        self.ldbsearch_entries = None
        self.base = None

    def label(self):
        return '%d accounts' % self.count

    def inproc_run(self, ops):
        _, peak, proc = timed([PYTHON, '-c', INPROC, self.dc.sam_ldb,
                               self.dc.smb_conf, ','.join(ops)], self.env,
                              capture=True)
        must(proc, 'in-process %s' % (','.join(ops) or 'open'))
        out = last_json(proc, 'in-process')
        out['peak_kb'] = peak
        return out

    def ldbsearch_argv(self):
        return [LDBSEARCH, '-H', self.dc.sam_ldb,
                '--configfile=' + self.dc.smb_conf,
                '(servicePrincipalName=*)', 'servicePrincipalName']

    def warm_up(self):
        """Not counted: baselines of memory, counts to check."""
        self.base = self.inproc_run([])
        _, peak, proc = timed([LDBSEARCH, '-H', self.dc.sam_ldb,
                               '--configfile=' + self.dc.smb_conf, '-s',
                               'base', '-b', '', 'dn'], self.env)
        must(proc, 'ldbsearch of the rootDSE')
        self.ldbsearch_base_rss = peak
        _, _, proc = timed(self.ldbsearch_argv(), self.env, capture=True)
        must(proc, 'ldbsearch')
        self.ldbsearch_entries = ldbsearch_entries(proc.stdout)

    def jobs(self, rep):
        return [('cli', self, rep), ('ldbsearch', self, rep),
                ('inproc', self, rep)]

    def run(self, job, rep):
        if job == 'cli':
            took, peak, proc = timed(
                [OURS, 'spn', 'http-pool', 'audit', '-H', self.dc.sam_ldb,
                 '-s', self.dc.smb_conf, '--json'], self.env)
            # 8: the scan worked and found problems (they are planted)
            must(proc, 'samba-tool spn http-pool audit', ok=(8,))
            self.cli.append(took)
            self.cli_rss.append(peak)
        elif job == 'ldbsearch':
            took, peak, proc = timed(self.ldbsearch_argv(), self.env)
            must(proc, 'ldbsearch')
            self.ldbsearch.append(took)
            self.ldbsearch_rss.append(peak)
        else:
            ops = ['audit', 'raw', 'pyaudit']
            k = rep % len(ops)
            self.inproc.append(self.inproc_run(ops[k:] + ops[:k]))

    def close(self):
        self.dc.close()

    # -- results --
    def col(self, op, key='wall'):
        return Stats(run[op][key] for run in self.inproc)

    def startup(self):
        return Stats(run['imports'] + run['open'] for run in self.inproc)


# ---------------------------------------------------------------------------
# the plain ldb


class PlainBench:
    def __init__(self, entries):
        import auditdc
        self.entries = entries
        self.planted = auditdc.Population(entries, 'flat').planted()
        self.path, self.built = auditdc.ensure_plain(entries)
        self.url = 'tdb://' + self.path
        self.ncs = [auditdc.DOMAIN_NC, auditdc.CONFIG_NC]
        self.dns = auditdc.DNSNAME
        self.env = dict(os.environ, PYTHONPATH=HERE)
        self.audit, self.audit_op, self.audit_scan, self.audit_runs = \
            [], [], [], []
        self.raw_c, self.raw_c_op = [], []
        self.ldbsearch, self.ldbsearch_rss = [], []
        self.py = []

    def label(self):
        return '%d entries' % self.entries

    def bench(self, mode, nommap=False):
        argv = [BENCH_C] + (['--nommap'] if nommap else []) + \
            [mode, self.url] + self.ncs
        took, peak, proc = timed(argv, self.env, capture=True)
        must(proc, 'bench_audit %s' % mode)
        out = last_json(proc, 'bench_audit')
        out['process_wall'] = took
        out['peak_kb'] = peak
        return out

    def ldbsearch_argv(self):
        return [LDBSEARCH, '-H', self.url, '(servicePrincipalName=*)',
                'servicePrincipalName']

    def warm_up(self):
        self.open = self.bench('open')
        self.open_nommap = self.bench('open', nommap=True)
        self.audit_nommap = self.bench('audit', nommap=True)
        _, self.ldbsearch_base_rss, proc = timed(
            [LDBSEARCH, '-H', self.url, '-s', 'base', '-b', '@BASEINFO'],
            self.env)
        must(proc, 'ldbsearch of @BASEINFO')

    def jobs(self, rep, py_reps):
        out = [('audit', self, rep), ('raw', self, rep),
               ('ldbsearch', self, rep)]
        if rep < py_reps:
            out.append(('py', self, rep))
        return out

    def run(self, job, rep):
        if job == 'audit':
            out = self.bench('audit')
            self.audit.append(out['process_wall'])
            self.audit_op.append(out['wall'])
            self.audit_scan.append(out['scan_wall'])
            self.audit_runs.append(out)
        elif job == 'raw':
            out = self.bench('raw')
            self.raw_c.append(out['process_wall'])
            self.raw_c_op.append(out['wall'])
            self.raw = out
        elif job == 'ldbsearch':
            took, peak, proc = timed(self.ldbsearch_argv(), self.env)
            must(proc, 'ldbsearch')
            self.ldbsearch.append(took)
            self.ldbsearch_rss.append(peak)
        else:
            took, _, proc = timed([PYTHON, '-c', PLAIN_PY, self.url,
                                   self.ncs[0], self.dns], self.env,
                                  capture=True)
            must(proc, 'Python audit over the plain ldb')
            out = last_json(proc, 'Python audit')
            out['process_wall'] = took
            self.py.append(out)

    def close(self):
        pass


# ---------------------------------------------------------------------------
# printing


def sec(x):
    return '%8.2f' % x


def kb_mb(kb):
    return '%7.1f' % (kb / 1024.0) if kb >= 10240 else '%7.2f' % (kb / 1024.0)


def verdict(value, target):
    return 'PASS' if value <= target else 'MISS'


def print_dirs(sizes, plain_entries, built):
    import auditdc
    log('\nDirectories (built once, cached under build/selftest-cache/):')
    for count in sizes:
        path = auditdc.audit_dc_dir(count)
        info = auditdc.build_info(path)
        size_mb = sum(os.path.getsize(os.path.join(d, f))
                      for d, _, fs in os.walk(path) for f in fs) / 2 ** 20
        how = ('built now in %.1f s' % built[count]
               if built.get(count) is not None else 'cached')
        log('  %6d-account DC: %s; first build %.1f s = 2 prototypes via '
            'SamDB %.1f s + %d copies %.1f s + re-index %.1f s + SamDB '
            'checks %.1f s; %.0f MB' % (
                count, how, info.get('total_seconds', 0),
                info.get('prototype_seconds', 0), count - 2,
                info.get('copies_seconds', 0),
                info.get('reindex_seconds', 0),
                info.get('verify_seconds', 0), size_mb))
    if plain_entries:
        path = auditdc.plain_dir(plain_entries)
        info = auditdc.build_info(path)
        size_mb = os.path.getsize(auditdc.plain_ldb(plain_entries)) / 2 ** 20
        how = ('built now in %.1f s' % built['plain']
               if built.get('plain') is not None else 'cached')
        log('  plain ldb, %d entries: %s; first build %.1f s = entries '
            '%.1f s + index %.1f s; %.0f MB' % (
                plain_entries, how, info.get('total_seconds', 0),
                info.get('entries_seconds', 0),
                info.get('index_seconds', 0), size_mb))
    log('  (through SamDB, as benchdc.py builds, 10,000 accounts took '
        '333 s)')


def row(label, cells, width=46):
    log('  %-*s' % (width, label) + ''.join(cells))


def pair(st):
    return '  %s %s' % (sec(st.median), sec(st.min))


def ratio_pair(a, b):
    return '  %8.2f %8.2f' % (a.median / b.median, a.min / b.min)


def print_dc(benches, reps):
    log('\nLocal sam.ldb (server stopped), %d reps, interleaved; seconds'
        % reps)
    log('  (per-run copy of the cached folder: %s)' % ', '.join(
        '%s %.1f s' % (b.label(), b.copy_s) for b in benches))
    head = '  %-46s' % ''
    sub = '  %-46s' % ''
    for b in benches:
        head += '  %17s' % b.label()
        sub += '  %8s %8s' % ('median', 'min')
    log(head)
    log(sub)
    row('ours: samba-tool http-pool audit --json',
        [pair(Stats(b.cli)) for b in benches])
    row('raw:  ldbsearch servicePrincipalName',
        [pair(Stats(b.ldbsearch)) for b in benches])
    row('ratio ours / raw (processes)',
        [ratio_pair(Stats(b.cli), Stats(b.ldbsearch)) for b in benches])
    row('in-process: samba_spnpool.audit(samdb)',
        [pair(b.col('audit')) for b in benches])
    row('  of which the scan (to the last progress)',
        [pair(b.col('audit', 'scan')) for b in benches])
    row('  of which wording findings (DN look-ups)',
        [pair(Stats(r['audit']['wall'] - r['audit']['scan']
                    for r in b.inproc)) for b in benches])
    row('in-process: SamDB search, every NC (raw)',
        [pair(b.col('raw')) for b in benches])
    row('in-process: Python audit over SamDB',
        [pair(b.col('pyaudit')) for b in benches])
    row('ratio audit / raw search (in-process)',
        [ratio_pair(b.col('audit'), b.col('raw')) for b in benches])
    row('ratio Python audit / audit (in-process)',
        [ratio_pair(b.col('pyaudit'), b.col('audit')) for b in benches])
    row('start-up: python, imports, SamDB open',
        [pair(b.startup()) for b in benches])
    log('  samples (s, in run order):')
    for b in benches:
        log('    %s: ours %s | ldbsearch %s | audit() %s | raw %s | '
            'Python %s' % (
                b.label(), ' '.join('%.2f' % x for x in b.cli),
                ' '.join('%.2f' % x for x in b.ldbsearch),
                ' '.join('%.2f' % r['audit']['wall'] for r in b.inproc),
                ' '.join('%.2f' % r['raw']['wall'] for r in b.inproc),
                ' '.join('%.2f' % r['pyaudit']['wall'] for r in b.inproc)))

    log('\n  Memory (MB; medians)')
    head = '  %-46s' % ''
    for b in benches:
        head += '  %17s' % b.label()
    log(head)

    def mrow(label, values):
        row(label, ['  %17s' % v for v in values])

    mrow('SPN values: entries / values',
         ['%d / %d' % (b.inproc[0]['raw']['entries'],
                       b.inproc[0]['raw']['values']) for b in benches])
    mrow('  bytes, all values',
         [kb_mb(b.inproc[0]['raw']['bytes'] / 1024.0) for b in benches])
    mrow('  bytes, HTTP/ and HOST/ values (audit keeps)',
         [kb_mb(b.inproc[0]['raw']['bytes_http_host'] / 1024.0)
          for b in benches])
    mrow('peak RSS: samba-tool audit process',
         [kb_mb(statistics.median(b.cli_rss)) for b in benches])
    mrow('peak RSS: python + SamDB open only',
         [kb_mb(b.base['peak_kb']) for b in benches])
    mrow('peak RSS: ldbsearch (raw)',
         [kb_mb(statistics.median(b.ldbsearch_rss)) for b in benches])
    mrow('peak RSS: ldbsearch of the rootDSE only',
         [kb_mb(b.ldbsearch_base_rss) for b in benches])
    for op, label in (('audit', 'audit()'), ('raw', 'raw search'),
                      ('pyaudit', 'Python audit')):
        mrow('in-process %s: anon RSS growth' % label,
             [kb_mb(statistics.median(r[op]['anon_kb'] for r in b.inproc))
              for b in benches])
        mrow('  peak RSS growth (mapped files too)',
             [kb_mb(statistics.median(r[op]['hwm_kb'] for r in b.inproc))
              for b in benches])
    mrow('audit() anon growth / bytes of all SPN values',
         ['%.2f' % dc_memory_ratio(b) for b in benches])


def dc_memory_ratio(b):
    anon = statistics.median(r['audit']['anon_kb'] for r in b.inproc)
    return anon * 1024.0 / b.inproc[0]['raw']['bytes']


def plain_memory_ratio(p):
    return max(p.audit_nommap['maxrss_kb'] - p.open_nommap['maxrss_kb'],
               0) * 1024.0 / p.raw['spn_bytes']


def print_plain(p, reps):
    log('\nPlain tdb:// ldb, %s, %d values, no Samba modules; %d reps '
        '(Python: %d), interleaved with the above; seconds'
        % (p.label(), p.raw['values'], reps, len(p.py)))
    log('  %-46s  %8s %8s' % ('', 'median', 'min'))
    audit, ldbs = Stats(p.audit), Stats(p.ldbsearch)
    row('ours: bench_audit audit (process)', [pair(audit)])
    row('  the spnpool_op_audit() call', [pair(Stats(p.audit_op))])
    row('  of which the scan', [pair(Stats(p.audit_scan))])
    row('raw: ldbsearch servicePrincipalName', [pair(ldbs)])
    row('raw: bench_audit raw (same search in C)', [pair(Stats(p.raw_c))])
    if p.py:
        row('Python audit over plain ldb (process)',
            [pair(Stats(r['process_wall'] for r in p.py))])
    row('ratio ours / ldbsearch', [ratio_pair(audit, ldbs)])
    row('ratio ours / C raw read', [ratio_pair(audit, Stats(p.raw_c))])
    if p.py:
        row('ratio Python audit / ours',
            [ratio_pair(Stats(r['process_wall'] for r in p.py), audit)])
    log('  samples (s): ours %s | ldbsearch %s | C raw %s | Python %s' % (
        ' '.join('%.2f' % x for x in p.audit),
        ' '.join('%.2f' % x for x in p.ldbsearch),
        ' '.join('%.2f' % x for x in p.raw_c),
        ' '.join('%.2f' % r['process_wall'] for r in p.py)))
    a = p.audit_runs[0]
    log('\n  Memory (MB)')
    row('SPN values: bytes (%d values)' % p.raw['values'],
        ['  %8s' % kb_mb(p.raw['spn_bytes'] / 1024.0)])
    row('ours, mmap: peak RSS / over open-only run',
        ['  %8s %8s' % (kb_mb(statistics.median(
            r['maxrss_kb'] for r in p.audit_runs)), kb_mb(
                statistics.median(r['maxrss_kb'] for r in p.audit_runs) -
                p.open['maxrss_kb']))])
    row('  anon RSS growth (sampled while scanning)',
        ['  %8s' % kb_mb(statistics.median(
            r['peak_anon_kb'] - r['base_anon_kb'] for r in p.audit_runs))])
    row('  file pages mapped at the peak (tdb mmap)',
        ['  %8s' % kb_mb(a['peak_file_kb'])])
    row('ours, --nommap: peak RSS / over open-only',
        ['  %8s %8s' % (kb_mb(p.audit_nommap['maxrss_kb']), kb_mb(
            p.audit_nommap['maxrss_kb'] - p.open_nommap['maxrss_kb']))])
    row('raw: ldbsearch peak RSS / over @BASEINFO read',
        ['  %8s %8s' % (kb_mb(statistics.median(p.ldbsearch_rss)), kb_mb(
            statistics.median(p.ldbsearch_rss) - p.ldbsearch_base_rss))])
    row('C raw read, mmap: anon RSS growth',
        ['  %8s' % kb_mb(p.raw['peak_anon_kb'] - p.raw['base_anon_kb'])])
    row('ours (--nommap growth) / bytes of SPN values',
        ['  %8.2f' % plain_memory_ratio(p)])


def check_counts(benches, plain):
    """Every audit reports exactly the planted findings; entries agree."""
    problems = []
    for b in benches:
        planted = b.planted
        for i, r in enumerate(b.inproc):
            if r['audit']['counts'] != planted:
                problems.append('%s audit() run %d: %s, planted %s' % (
                    b.label(), i, r['audit']['counts'], planted))
            py = dict.fromkeys(planted, 0)
            py.update(r['pyaudit']['counts'])
            if py != planted:
                problems.append('%s Python audit run %d: %s, planted %s'
                                % (b.label(), i, py, planted))
            entries = {r['audit']['entries'], r['raw']['entries'],
                       r['pyaudit']['entries'], b.ldbsearch_entries}
            if len(entries) != 1:
                problems.append('%s entries differ: audit %d, raw %d, '
                                'Python %d, ldbsearch %s' % (
                                    b.label(), r['audit']['entries'],
                                    r['raw']['entries'],
                                    r['pyaudit']['entries'],
                                    b.ldbsearch_entries))
    if plain is not None:
        for i, r in enumerate(plain.audit_runs + [plain.audit_nommap]):
            if r['counts'] != plain.planted:
                problems.append('plain audit run %d: %s, planted %s' % (
                    i, r['counts'], plain.planted))
        for i, r in enumerate(plain.py):
            py = dict.fromkeys(plain.planted, 0)
            py.update(r['counts'])
            if py != plain.planted:
                problems.append('plain Python audit run %d: %s' % (i, py))
        entries = {plain.audit_runs[0]['entries'], plain.raw['entries'],
                   plain.entries}
        if len(entries) != 1:
            problems.append('plain entries differ: %s' % sorted(
                entries, key=str))
    return problems


def print_targets(benches, plain):
    log('\nTargets (medians)')
    for b in benches:
        value = Stats(b.cli).median / Stats(b.ldbsearch).median
        log('  %-50s %6.2fx  target <= %.1fx  %s' % (
            'time, %s: CLI / ldbsearch' % b.label(), value, TARGET_TIME,
            verdict(value, TARGET_TIME)))
        value = b.col('audit').median / b.col('raw').median
        log('  %-50s %6.2fx  target <= %.1fx  %s' % (
            '  in-process: audit() / SamDB search', value, TARGET_TIME,
            verdict(value, TARGET_TIME)))
    if plain is not None:
        value = Stats(plain.audit).median / Stats(plain.ldbsearch).median
        log('  %-50s %6.2fx  target <= %.1fx  %s' % (
            'time, %s: bench_audit / ldbsearch' % plain.label(), value,
            TARGET_TIME, verdict(value, TARGET_TIME)))
    for b in benches:
        value = dc_memory_ratio(b)
        log('  %-50s %6.2fx  target <= %.1fx  %s' % (
            'memory, %s: audit() anon growth / SPN bytes' % b.label(),
            value, TARGET_MEMORY, verdict(value, TARGET_MEMORY)))
    if plain is not None:
        value = plain_memory_ratio(plain)
        log('  %-50s %6.2fx  target <= %.1fx  %s' % (
            'memory, %s: audit RSS growth / SPN bytes' % plain.label(),
            value, TARGET_MEMORY, verdict(value, TARGET_MEMORY)))
    for b in benches:
        log('  %-50s %6.2fx  (reported, no target)' % (
            'Python audit / audit(), %s' % b.label(),
            b.col('pyaudit').median / b.col('audit').median))
    if plain is not None and plain.py:
        log('  %-50s %6.2fx  (reported, no target)' % (
            'Python audit / ours, %s' % plain.label(),
            statistics.median(r['process_wall'] for r in plain.py) /
            Stats(plain.audit).median))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--reps', type=int, default=3)
    parser.add_argument('--sizes', default='10000,50000',
                        help='DC account counts (default 10000,50000; '
                             'empty: none)')
    parser.add_argument('--plain', type=int, default=500000,
                        help='entries (x 2 SPNs) of the plain ldb '
                             '(default 500000; 0: skip)')
    parser.add_argument('--py-plain-reps', type=int, default=1,
                        help='runs of the Python audit over the plain '
                             'ldb (default 1: it is slow)')
    parser.add_argument('--check-build', action='store_true',
                        help='first build a small DC copy the same way and '
                             'have Samba check it (dbcheck, re-index)')
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(',') if s]

    import ldb
    import samba
    import auditdc

    t_start = time.monotonic()
    for path in (OURS, BENCH_C):
        if not os.access(path, os.X_OK):
            sys.exit('bench: %s missing: run ./waf build first' % path)
    log('samba-tool spn http-pool audit: benchmark  (Samba %s, ldb %s, '
        '%d CPUs, load avg %s)' % (samba.version, ldb.__version__,
                                   os.cpu_count(), loadavg()))
    log('ours: %s, %s   raw: %s' % (os.path.relpath(OURS, REPO),
                                    os.path.relpath(BENCH_C, REPO),
                                    LDBSEARCH))

    if args.check_build:
        log('\nChecking the build method on a small copy ...')
        for line in auditdc.selfcheck():
            log('  ' + line)

    built = {}
    for count in sizes:
        _, built[count] = auditdc.ensure_audit_dc(
            count, log=lambda text: log('  ' + text))
    if args.plain:
        _, built['plain'] = auditdc.ensure_plain(
            args.plain, log=lambda text: log('  ' + text))
    print_dirs(sizes, args.plain, built)
    t_bench = time.monotonic()

    benches, plain = [], None
    try:
        for count in sizes:
            benches.append(DCBench(count))
        if args.plain:
            plain = PlainBench(args.plain)
        log('\nwarm-up and baselines ...')
        for b in benches:
            b.warm_up()
        if plain is not None:
            plain.warm_up()
        for rep in range(args.reps):
            jobs = []
            for b in benches:
                jobs += b.jobs(rep)
            if plain is not None:
                jobs += plain.jobs(rep, args.py_plain_reps)
            k = rep % len(jobs)
            jobs = jobs[k:] + jobs[:k]
            if rep % 2:
                jobs.reverse()
            start = time.monotonic()
            for job, target, _ in jobs:
                target.run(job, rep)
            log('  rep %d: %.0f s' % (rep + 1, time.monotonic() - start))
    finally:
        for b in benches:
            b.close()

    if benches:
        print_dc(benches, args.reps)
    if plain is not None:
        print_plain(plain, args.reps)

    problems = check_counts(benches, plain)
    log('\nEntries read (servicePrincipalName=*), all equal: %s' % '; '.join(
        ['%s: audit() = SamDB search = Python = ldbsearch = %d' % (
            b.label(), b.inproc[0]['audit']['entries']) for b in benches] +
        (['%s: bench_audit audit = raw = %d' % (
            plain.label(), plain.audit_runs[0]['entries'])]
         if plain else [])))
    log('Findings: %s' % (
        'every audit (CLI exit 8; audit(), bench_audit, Python) reports '
        'exactly the planted ones: ' + '; '.join(
            '%s %s' % (x.label(), ', '.join(
                '%d %s' % (n, k) for k, n in x.planted.items()))
            for x in benches + ([plain] if plain else []))
        if not problems else 'MISMATCH'))
    for problem in problems:
        log('!! ' + problem)

    print_targets(benches, plain)
    log('\nbench: %.0f s (directories ready after %.0f s); load avg %s'
        % (time.monotonic() - t_start, t_bench - t_start, loadavg()))
    return 0


if __name__ == '__main__':
    if not dcmod.in_netns():
        os.execv(dcmod.NETNS_RUN, [dcmod.NETNS_RUN, sys.executable,
                                   os.path.abspath(__file__)] + sys.argv[1:])
    sys.exit(main())
