"""The Python baseline of bench_audit.py: a straightforward audit of HTTP
SPNs, written the way an administrator would with SamDB (or any ldb
connection): one search per naming context asking for the SPNs and
userAccountControl, a dict from lower-cased SPN to its holders, then the
same four kinds of finding that `samba-tool spn http-pool audit` reports
(duplicate HTTP/HOST SPNs, http/X on another account than host/X, only
one of the NetBIOS/FQDN forms, HTTP SPNs on a disabled account).
"""

import re

import ldb

UF_ACCOUNTDISABLE = 0x2


def audit(db, naming_contexts, dns_domain, sample=None):
    """Findings as (kind, spn, [dn, ...]), plus counters.  ``sample`` is
    called when memory use is likely at its peak (for the benchmark)."""
    holders = {}      # lower-cased SPN -> [(dn, SPN as stored), ...]
    disabled = set()
    entries = values = 0
    for nc in naming_contexts:
        res = db.search(nc, scope=ldb.SCOPE_SUBTREE,
                        expression='(servicePrincipalName=*)',
                        attrs=['servicePrincipalName', 'userAccountControl'])
        if sample:
            sample()
        for msg in res:
            dn = str(msg.dn)
            entries += 1
            uac = msg.get('userAccountControl', idx=0)
            if uac is not None and int(uac) & UF_ACCOUNTDISABLE:
                disabled.add(dn)
            for value in msg['servicePrincipalName']:
                spn = str(value)
                values += 1
                holders.setdefault(spn.lower(), []).append((dn, spn))
        del res
    if sample:
        sample()

    suffix = '.' + dns_domain.lower()
    findings = []
    reported = set()
    for key, held in holders.items():
        cls, _, tail = key.partition('/')
        if cls not in ('http', 'host'):
            continue
        spn = held[0][1]
        accounts = sorted({dn for dn, _ in held})
        if len(accounts) > 1:
            findings.append(('duplicate', spn, accounts))
        if cls != 'http':
            continue
        host_accounts = {dn for dn, _ in holders.get('host/' + tail, ())}
        if host_accounts and not host_accounts.issuperset(accounts):
            findings.append(('shadows-host', spn,
                             accounts + sorted(host_accounts)))
        host = re.split('[:/]', tail, maxsplit=1)[0]
        rest = tail[len(host):]
        if '.' not in host:
            other = host + suffix
        elif host.endswith(suffix) and '.' not in host[:-len(suffix)]:
            other = host[:-len(suffix)]
        else:
            other = None  # outside the domain: no second form
        if other is not None:
            have = {dn for dn, _ in holders.get('http/' + other + rest, ())}
            for dn in accounts:
                if dn not in have:
                    findings.append(('missing-form', spn, [dn]))
        for dn in accounts:
            if dn in disabled and dn not in reported:
                reported.add(dn)
                findings.append(('disabled', spn, [dn]))
    findings.sort()
    if sample:
        sample()
    return {'entries': entries, 'values': values, 'distinct': len(holders),
            'findings': findings}


def counts(result):
    out = {}
    for kind, _, _ in result['findings']:
        out[kind] = out.get(kind, 0) + 1
    return out
