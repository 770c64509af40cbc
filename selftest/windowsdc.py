"""A throwaway Samba DC behind selftest/ldapproxy.py: a DC that answers
like Windows in the documented ways the proxy emulates.

The proxy must read the LDAP stream, so the stream must not be signed or
sealed: the DC's smb.conf (which the commands under test read as well,
through -s) gets ``ldap server require strong auth = no`` and
``client ldap sasl wrapping = plain``.  With those two, Samba 4.17's
NTLMSSP (SPNEGO) bind over ldap:// carries no signing or sealing (checked
by the proxy: it logs "wrapped" when a bind leaves the stream wrapped
and passes such a stream through unread).  The
other suites keep the DC's default (sealed) configuration.
"""

import os

from samba.param import LoadParm
from samba.samdb import SamDB

import dc as dcmod
from ldapproxy import ProxyProcess

PLAIN_GLOBALS = ('\tldap server require strong auth = no\n'
                 '\tclient ldap sasl wrapping = plain\n')


def allow_plain(conf):
    """Add PLAIN_GLOBALS to [global] of the smb.conf at ``conf``."""
    with open(conf) as f:
        lines = f.readlines()
    out = []
    for line in lines:
        out.append(line)
        if line.strip().lower() == '[global]':
            out.append(PLAIN_GLOBALS)
    with open(conf, 'w') as f:
        f.writelines(out)


class ProxiedDC(dcmod.ThrowawayDC):
    """ThrowawayDC with plain LDAP allowed and a proxy in front of it
    (``self.proxy``, its URL ``self.proxy.url``)."""

    def __init__(self):
        super().__init__(start=True)
        self.proxy = None

    def setup(self):
        super().setup()
        allow_plain(self.smb_conf)

    def _db(self):
        """The harness's own admin connection (account creation) stays
        sealed: from Samba 4.22 on, the DC refuses to set a password over
        a plain stream ("Password modification over LDAP must be over an
        encrypted connection").  Only the commands under test and the
        proxy see plain LDAP."""
        key = ('sealed', self.running)
        if key not in self._dbs:
            if not self.running:
                self._dbs[key] = self.samdb()
            else:
                # Samba's LoadParm objects share one global context, so
                # the setting is put back once this connection is bound.
                lp = LoadParm()
                lp.load(self.smb_conf)
                before = lp.get('client ldap sasl wrapping')
                lp.set('client ldap sasl wrapping', 'seal')
                try:
                    self._dbs[key] = SamDB(
                        url=dcmod.LDAP_URL,
                        credentials=dcmod.admin_creds(lp), lp=lp)
                finally:
                    lp.set('client ldap sasl wrapping', before)
        return self._dbs[key]

    def start(self, timeout=30.0):
        super().start(timeout)
        if self.proxy is None:
            self.proxy = ProxyProcess(self.run_dir)

    def stop(self, timeout=10.0):
        if self.proxy is not None:
            self.proxy.stop()
            self.proxy = None
        super().stop(timeout)


def _selfcheck():
    """python3 selftest/windowsdc.py (inside netns-run): a search through
    the proxy, its ranged answer and whether the stream was plain."""
    import ldb
    with ProxiedDC() as dc:
        dc.proxy.configure(max_val_range=3)
        acct = dc.create_user('rangeprobe',
                              spns=['http/p%d.x' % i for i in range(8)])
        db = dc.samdb(url=dc.proxy.url)
        res = db.search(acct.dn, scope=ldb.SCOPE_BASE,
                        attrs=['servicePrincipalName'])
        print({k: [str(v) for v in res[0][k]] for k in res[0].keys() if k != "dn"})
        res = db.search(acct.dn, scope=ldb.SCOPE_BASE,
                        attrs=['servicePrincipalName;range=3-*'])
        print({k: [str(v) for v in res[0][k]] for k in res[0].keys() if k != "dn"})
        print(dc.proxy.requests())
        print(os.environ.get('SPNPOOL_NETNS'))


if __name__ == '__main__':
    _selfcheck()
