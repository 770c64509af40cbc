"""Cached DC folders with many SPN-holding accounts, for the benchmarks.

dc.py caches one template (a freshly provisioned DC).  The benchmarks need
the same DC plus N accounts; creating 10,000 accounts costs minutes, so
each size is built once, straight into the local sam.ldb with the server
stopped (one SamDB, one transaction), and cached next to dc.py's template
under build/selftest-cache/, keyed by Samba version, dc.py's RECIPE and
our own BENCH_RECIPE.

dc.py has no hook for "copy some other template", so PopulatedDC wraps
ThrowawayDC by overriding setup() (the only place that names the
template); everything else (start/stop, environ, close) is inherited.

Everything here must run inside selftest/netns-run (checked).
"""

import fcntl
import json
import os
import shutil
import sys
import tempfile
import time

import samba
from samba import dsdb

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import dc as dcmod  # noqa: E402

BENCH_RECIPE = 1  # bump whenever populate() below changes
BUILD_INFO = 'bench-build.json'  # in the cached folder: how it was built

# Accounts every bench run uses; created in the cached folder, no SPNs.
POOL_USERS = ('svc-ours', 'svc-base', 'svc-conc-ours', 'svc-conc-base')


def populated_dir(count):
    return os.path.join(dcmod.CACHE, 'dc-bench-%d-%s-r%d.%d' % (
        count, samba.version, dcmod.RECIPE, BENCH_RECIPE))


def _accounts(count):
    """Half computers (HOST/ SPNs, as a join makes them), half service
    accounts holding HTTP SPNs (as web pools have them): two SPNs each."""
    dnsname = dcmod.DNSNAME
    for i in range(count):
        if i % 2 == 0:
            name = 'srv%05d' % i
            yield ('CN=%s,CN=Computers' % name.upper(), {
                'objectClass': 'computer',
                'sAMAccountName': name.upper() + '$',
                'dNSHostName': '%s.%s' % (name, dnsname),
                'userAccountControl':
                    str(dsdb.UF_WORKSTATION_TRUST_ACCOUNT),
                'servicePrincipalName': ['HOST/%s' % name.upper(),
                                         'HOST/%s.%s' % (name, dnsname)],
            })
        else:
            name = 'svc%05d' % i
            web = 'web%05d' % i
            yield ('CN=%s,CN=Users' % name, {
                'objectClass': 'user',
                'sAMAccountName': name,
                'userPrincipalName': '%s@%s' % (name, dcmod.REALM),
                'userAccountControl': str(dsdb.UF_NORMAL_ACCOUNT |
                                          dsdb.UF_ACCOUNTDISABLE),
                'servicePrincipalName': ['http/%s' % web.upper(),
                                         'http/%s.%s' % (web, dnsname)],
            })
    for name in POOL_USERS:
        yield ('CN=%s,CN=Users' % name, {
            'objectClass': 'user',
            'sAMAccountName': name,
            'userPrincipalName': '%s@%s' % (name, dcmod.REALM),
            'userAccountControl': str(dsdb.UF_NORMAL_ACCOUNT |
                                      dsdb.UF_ACCOUNTDISABLE),
        })


def populate(root, count):
    """Add ``count`` accounts to the (stopped) DC in ``root`` in one
    transaction on its local sam.ldb; seconds taken."""
    start = time.monotonic()
    db = dcmod.open_samdb(os.path.join(root, 'etc', 'smb.conf'))
    base = db.domain_dn()
    db.transaction_start()
    try:
        for rdn, msg in _accounts(count):
            msg['dn'] = '%s,%s' % (rdn, base)
            db.add(msg)
    except BaseException:
        db.transaction_cancel()
        raise
    db.transaction_commit()
    del db
    return time.monotonic() - start


def build_info(path):
    """What the first build of a cached folder recorded (or {})."""
    try:
        with open(os.path.join(path, BUILD_INFO)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def build_cached_dc(final, kind, build, log=print):
    """The cached DC folder ``final``, made once from dc.py's template:
    under the bench lock a private copy of the template is handed to
    ``build(root, smb_conf)``, which fills it and returns what to record
    in BUILD_INFO; the result is copied into the cache and renamed into
    place.  Returns (path, seconds this call spent building, or None if
    it was cached already)."""
    if not dcmod.in_netns():
        raise RuntimeError('not inside selftest/netns-run')
    if os.path.isdir(final):
        return final, None
    template = dcmod.ensure_template()  # takes dc.py's own lock
    # Our own lock: flock on dc.py's .lock again would block on ourselves.
    with open(os.path.join(dcmod.CACHE, '.bench-lock'), 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.isdir(final):
            return final, None
        start = time.monotonic()
        workdir = tempfile.mkdtemp(prefix='spnpool-%s-build-' % kind)
        incoming = os.path.join(dcmod.CACHE, '.incoming-%s-%d' %
                                (kind, os.getpid()))
        try:
            root = os.path.join(workdir, 'dc')
            shutil.copytree(template, root, symlinks=True,
                            ignore=dcmod._ignore_runtime)
            conf = os.path.join(root, 'etc', 'smb.conf')
            dcmod.rewrite_paths(conf, template, root)
            info = build(root, conf)
            shutil.copytree(root, incoming, symlinks=True,
                            ignore=dcmod._ignore_runtime)
            info.update(total_seconds=time.monotonic() - start,
                        built=time.strftime('%Y-%m-%d %H:%M:%S'))
            with open(os.path.join(incoming, BUILD_INFO), 'w') as f:
                json.dump(info, f)
            dcmod.rewrite_paths(os.path.join(incoming, 'etc', 'smb.conf'),
                                root, final)
            os.rename(incoming, final)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
            shutil.rmtree(incoming, ignore_errors=True)
        return final, time.monotonic() - start


def ensure_populated(count, log=print):
    """The cached folder of the template DC plus ``count`` accounts,
    built once.  Returns (path, seconds this call spent building, or None
    if it was cached already)."""
    def build(root, conf):
        log('building %d-account DC (one transaction) ...' % count)
        took = populate(root, count)
        log('  %d accounts added in %.1f s (%.0f accounts/s)' %
            (count, took, count / took))
        return {'accounts': count, 'populate_seconds': took}

    return build_cached_dc(populated_dir(count), 'bench', build, log)


class PopulatedDC(dcmod.ThrowawayDC):
    """ThrowawayDC on a private copy of a populated cached folder."""

    def __init__(self, count, start=True, model='single'):
        super().__init__(start=start, model=model)
        self.count = count
        self.build_seconds = None

    def setup(self):
        template, self.build_seconds = ensure_populated(self.count)
        self.run_dir = tempfile.mkdtemp(prefix='spnpool-bench-')
        dcmod.atexit.register(self.close)
        shutil.copytree(template, self.path, symlinks=True,
                        ignore=dcmod._ignore_runtime)
        dcmod.rewrite_paths(self.smb_conf, template, self.path)
        shutil.copyfile('/etc/krb5.conf', self._in_run('krb5.conf'))
