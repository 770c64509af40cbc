"""Cached directories for the audit benchmark (selftest/bench/bench_audit.py).

Two kinds, each built once and cached under build/selftest-cache/:

* DC folders (dc.py's template) holding N SPN-bearing accounts shaped
  like a real domain's, for N = 10,000 and 50,000.  Going through SamDB
  costs ~30 accounts/s (benchdc.py), far too slow for 50,000, so:
    1. two prototype accounts (a computer and a service user, each with a
       password, hence keys) are added through SamDB, the full module
       stack: their stored records are what Samba really writes;
    2. the server stopped, the domain partition file
       (private/sam.ldb.d/DC=EXAMPLE,DC=TEST.ldb, which has its own
       @INDEXLIST with @IDXGUID) is opened with samba.Ldb -- plain
       ldb_tdb, with Samba's attribute handlers and UTF-8 casefold -- and
       every other account is written as a copy of a prototype record
       with its own DN, cn/name, objectGUID, objectSid (RID 1,000,000+),
       sAMAccountName, userPrincipalName/dNSHostName, userAccountControl,
       uSNCreated/uSNChanged and servicePrincipalName, in ONE transaction
       with the attribute indexes switched off (adding with them on is
       quadratic in ldb_kv), and @REPLCHANGED's uSNHighest moved past
       them; then a second transaction restores @INDEXLIST on a
       connection holding the DC's schema, so ldb_kv re-indexes the
       partition in one pass with Samba's own index keys (as
       `samba-tool dbcheck --reindex` does);
    3. verify() checks through SamDB that indexed look-ups (by
       sAMAccountName, servicePrincipalName, objectGUID, objectSid,
       objectCategory, userAccountControl, one-level) find the copies.
  selfcheck() (bench_audit.py --check-build) builds a 3,000-account copy
  the same way and lets Samba judge it: `samba-tool dbcheck --cross-ncs`
  reports no error, and after `samba-tool dbcheck --reindex` every index
  record of the partition is byte for byte the one the build wrote.
  The copies share the prototypes' nTSecurityDescriptor (inherited from
  the same container anyway), replPropertyMetaData and password blobs.

* A plain tdb:// ldb (no Samba modules or handlers) with 500,000
  accounts x 2 SPNs (~1,000,000 values), @ATTRIBUTES servicePrincipalName
  CASE_INSENSITIVE, @INDEXLIST servicePrincipalName, objectClass,
  objectGUID (audit looks holders up by objectGUID when it words a
  finding; AD indexes it too) and one-level, plain ldb's DN-keyed index;
  a crossRef and sPNMappings in a configuration NC below the domain NC,
  for bench_audit.c (spnpool_dir_init, no rootDSE).  The entries go in
  first (transactions of 50,000), then one transaction adds @INDEXLIST,
  which indexes them in one pass; the tdb file is created beforehand
  with 2 hash chains per entry and the re-index gets an index cache of 4
  chains per entry (ldb's defaults make the build quadratic).

Both populations carry planted findings (duplicates, half registrations,
HTTP SPNs shadowing another account's HOST/, disabled holders) whose
numbers are known in advance (Population.planted), so the benchmark can
check that audit and the Python baseline report exactly those.

The DC kind must be built inside selftest/netns-run (checked).
"""

import fcntl
import gc
import json
import os
import shutil
import subprocess
import tempfile
import time
import uuid

import ldb
import samba
import tdb
from samba import dsdb

import benchdc
import dc as dcmod

AUDIT_RECIPE = 1   # bump whenever the DC population or build changes
PLAIN_RECIPE = 1   # bump whenever the plain-ldb population changes
BUILD_INFO = benchdc.BUILD_INFO

DNSNAME = dcmod.DNSNAME
DOMAIN_NC = 'DC=example,DC=test'
CONFIG_NC = 'CN=Configuration,' + DOMAIN_NC
RID_BASE = 1000000
PASSWORD = 'Audit-Bench-Pw-9!'

UF_ACCOUNTDISABLE = 0x2
UF_NORMAL_ACCOUNT = 0x200
UF_WORKSTATION_TRUST_ACCOUNT = 0x1000

SPN_MAPPINGS = (
    'host=alerter,appmgmt,cisvc,clipsrv,browser,dhcp,dnscache,replicator,'
    'eventlog,eventsystem,policyagent,oakley,dmserver,dns,mcsvc,fax,'
    'msiserver,ias,messenger,netlogon,netman,netdde,netddedsm,nmagent,'
    'plugplay,protectedstorage,rasman,rpclocator,rpc,rpcss,remoteaccess,'
    'rsvp,samss,scardsvr,scesrv,seclogon,scm,dcom,cifs,spooler,snmp,'
    'schedule,tapisrv,trksvr,trkwks,ups,time,wins,www,http,w3svc,'
    'iisadmin,msdtc')

FINDING_KINDS = ('duplicate', 'shadows-host', 'missing-form', 'disabled')


# ---------------------------------------------------------------------------
# populations


class Account:
    __slots__ = ('index', 'kind', 'cn', 'sam', 'container', 'uac', 'spns',
                 'dns_host_name')

    def __init__(self, index, kind, cn, sam, container, uac, spns,
                 dns_host_name=None):
        self.index = index
        self.kind = kind            # 'computer' or 'user'
        self.cn = cn
        self.sam = sam
        self.container = container  # 'CN=Computers' or 'CN=Users'
        self.uac = uac
        self.spns = spns
        self.dns_host_name = dns_host_name

    @property
    def rdn(self):
        return 'CN=%s,%s' % (self.cn, self.container)


class Population:
    """Accounts 0..count-1, generated on demand (never all in memory).

    shape 'dc' (the sam.ldb copies), in every 20 accounts:
      9 computers: HOST/ and RestrictedKrbHost/ in NetBIOS and FQDN form
        (in every 5th group of 20, servers: also TERMSRV/ and WSMAN/);
      7 web pool accounts: http/WEBn and http/webn.example.test (every
        8th also both forms with :8443);
      4 SQL service accounts: two MSSQLSvc/ values.
    shape 'flat' (the plain ldb): alternately a computer (HOST/ pair) and
      a web pool account (http/ pair): 2 values each.

    Planted in the web pool accounts, by their own counter w:
      w % 100 == 10  only the FQDN form        -> 1 missing-form
      w % 100 == 20  disabled                  -> 1 disabled
      w % 100 == 30  also both http/ SPNs of the previous web account
                                               -> 2 duplicate
      w % 100 == 40  also http/ for both names of a computer (which holds
                     HOST/ for them)           -> 2 shadows-host
    """

    def __init__(self, count, shape):
        assert shape in ('dc', 'flat')
        self.count = count
        self.shape = shape

    # -- layout --
    def _kind(self, i):
        if self.shape == 'flat':
            return 'computer' if i % 2 == 0 else 'web'
        r = i % 20
        return 'computer' if r < 9 else 'web' if r < 16 else 'sql'

    def _web_counter(self, i):
        """How many web accounts come before account i (i is one)."""
        if self.shape == 'flat':
            return i // 2
        return (i // 20) * 7 + (i % 20 - 9)

    def _prev_web(self, i):
        if self.shape == 'flat':
            return i - 2
        return i - 1 if i % 20 > 9 else i - 14

    def _computer_near(self, i):
        """A computer account index close to web account i."""
        return i - 1 if self.shape == 'flat' else (i // 20) * 20

    @staticmethod
    def computer_name(i):
        return 'SRV%06d' % i

    @staticmethod
    def web_name(i):
        return 'web%06d' % i

    @staticmethod
    def _http_pair(name):
        return ['http/%s' % name.upper(), 'http/%s.%s' % (name, DNSNAME)]

    def _web_spns(self, i):
        return self._http_pair(self.web_name(i))

    def account(self, i):
        kind = self._kind(i)
        if kind == 'computer':
            name = self.computer_name(i)
            fqdn = '%s.%s' % (name.lower(), DNSNAME)
            classes = ['HOST'] if self.shape == 'flat' else \
                ['HOST', 'RestrictedKrbHost']
            if self.shape == 'dc' and (i // 20) % 5 == 0:
                classes += ['TERMSRV', 'WSMAN']
            spns = []
            for cls in classes:
                spns += ['%s/%s' % (cls, name), '%s/%s' % (cls, fqdn)]
            return Account(i, 'computer', name, name + '$', 'CN=Computers',
                           UF_WORKSTATION_TRUST_ACCOUNT, spns, fqdn)
        if kind == 'sql':
            name = 'sql%06d' % i
            fqdn = '%s.%s' % (name, DNSNAME)
            return Account(i, 'user', 'svc-' + name, 'svc-' + name,
                           'CN=Users', UF_NORMAL_ACCOUNT,
                           ['MSSQLSvc/%s:1433' % fqdn, 'MSSQLSvc/%s' % fqdn])
        name = self.web_name(i)
        w = self._web_counter(i)
        uac = UF_NORMAL_ACCOUNT
        spns = self._web_spns(i)
        if self.shape == 'dc' and w % 8 == 0:
            spns += ['http/%s:8443' % name.upper(),
                     'http/%s.%s:8443' % (name, DNSNAME)]
        plant = w % 100
        if plant == 10:
            spns = [s for s in spns if '.' in s]
        elif plant == 20:
            uac |= UF_ACCOUNTDISABLE
        elif plant == 30:
            spns += self._web_spns(self._prev_web(i))
        elif plant == 40:
            spns += self._http_pair(
                self.computer_name(self._computer_near(i)).lower())
        return Account(i, 'user', 'svc-' + name, 'svc-' + name, 'CN=Users',
                       uac, spns)

    def __iter__(self):
        for i in range(self.count):
            yield self.account(i)

    def planted(self):
        """Findings audit must report, by kind (HTTP only)."""
        out = dict.fromkeys(FINDING_KINDS, 0)
        for i in range(self.count):
            if self._kind(i) != 'web':
                continue
            w = self._web_counter(i)
            plant = w % 100
            if plant == 10:
                out['missing-form'] += 1
            elif plant == 20:
                out['disabled'] += 1
            elif plant == 30:
                out['duplicate'] += 2
            elif plant == 40:
                out['shadows-host'] += 2
        return out

    def spn_stats(self):
        """(entries, values, bytes of all values)."""
        values = size = 0
        for acct in self:
            values += len(acct.spns)
            size += sum(len(s) for s in acct.spns)
        return self.count, values, size


# ---------------------------------------------------------------------------
# DC copies


def audit_dc_dir(count):
    return os.path.join(dcmod.CACHE, 'dc-audit-%d-%s-r%d.%d' % (
        count, samba.version, dcmod.RECIPE, AUDIT_RECIPE))


def partition_file(root):
    return os.path.join(root, 'private', 'sam.ldb.d',
                        DOMAIN_NC.upper() + '.ldb')


def _add_prototype(db, acct):
    msg = {
        'dn': '%s,%s' % (acct.rdn, db.domain_dn()),
        'objectClass': acct.kind,
        'sAMAccountName': acct.sam,
        'userAccountControl': str(acct.uac),
        'servicePrincipalName': list(acct.spns),
        'unicodePwd': ('"%s"' % PASSWORD).encode('utf-16-le'),
    }
    if acct.kind == 'computer':
        msg['dNSHostName'] = acct.dns_host_name
    else:
        msg['userPrincipalName'] = '%s@%s' % (acct.sam, dcmod.REALM)
    db.add(msg)


def _clone(part, proto, acct, sid_prefix, usn):
    """A new ldb.Message for acct: proto's stored attributes with the
    per-account ones replaced."""
    msg = ldb.Message(ldb.Dn(part, '%s,%s' % (acct.rdn, DOMAIN_NC)))
    replace = {
        'cn': [acct.cn], 'name': [acct.cn],
        'sAMAccountName': [acct.sam],
        'objectGUID': [uuid.uuid4().bytes_le],
        'objectSid': [sid_prefix + (RID_BASE + acct.index).to_bytes(
            4, 'little')],
        'userAccountControl': [str(acct.uac)],
        'uSNCreated': [str(usn)], 'uSNChanged': [str(usn)],
        'servicePrincipalName': list(acct.spns),
    }
    if acct.kind == 'computer':
        replace['dNSHostName'] = [acct.dns_host_name]
    else:
        replace['userPrincipalName'] = ['%s@%s' % (acct.sam, dcmod.REALM)]
    for name, values in proto.items():
        if name in replace:
            values = replace.pop(name)
        msg[name] = ldb.MessageElement(
            [v if isinstance(v, bytes) else v.encode() for v in values],
            ldb.FLAG_MOD_ADD, name)
    if replace:
        raise RuntimeError('prototype lacks %s' % sorted(replace))
    return msg


def _raw_record(part, sam):
    res = part.search(DOMAIN_NC, scope=ldb.SCOPE_SUBTREE,
                      expression='(sAMAccountName=%s)' % sam)
    if len(res) != 1:
        raise RuntimeError('prototype %s: %d records' % (sam, len(res)))
    return {name: [bytes(v) for v in res[0][name]]
            for name in res[0].keys()
            if name not in ('dn', 'distinguishedName')}


INDEX_ATTRS = ('@IDXATTR', '@IDXONE')


def _set_indexlist(part, original, attrs):
    """@INDEXLIST as ``original``, or without the attribute and one-level
    indexes (the GUID index stays).  Either change re-indexes."""
    msg = ldb.Message(ldb.Dn(part, '@INDEXLIST'))
    for name in INDEX_ATTRS:
        if attrs:
            values = [bytes(v) for v in original[name]]
            msg[name] = ldb.MessageElement(values, ldb.FLAG_MOD_REPLACE,
                                           name)
        else:
            msg[name] = ldb.MessageElement([], ldb.FLAG_MOD_DELETE, name)
    part.modify(msg)


def _schema_ldb(conf):
    """A samba.Ldb, not yet connected, holding the DC's loaded schema.

    Samba computes index keys through the schema (int32 attributes as
    "p0000000512", objectCategory as a case-folded DN, ...) and, with a
    schema, takes the indexed attributes from it rather than from
    @INDEXLIST.  A tdb cannot be open twice in one process, so the SamDB
    that loads the schema is closed before the caller connects."""
    db = dcmod.open_samdb(conf)
    db.search(db.domain_dn(), scope=ldb.SCOPE_BASE, attrs=['objectGUID'])
    part = samba.Ldb()
    dsdb._dsdb_set_schema_from_ldb(part, db, False)
    del db
    gc.collect()
    return part


def populate_dc(root, count, log=print):
    """Fill the stopped DC in ``root`` with Population(count, 'dc');
    seconds for (prototypes through SamDB, copies, re-index)."""
    pop = Population(count, 'dc')
    conf = os.path.join(root, 'etc', 'smb.conf')
    url = 'tdb://' + partition_file(root)
    start = time.monotonic()
    protos = {'computer': pop.account(0), 'user': pop.account(9)}
    db = dcmod.open_samdb(conf)
    for acct in protos.values():
        _add_prototype(db, acct)
    del db
    gc.collect()
    took_protos = time.monotonic() - start

    # Pass 1: the copies, with only the DN->GUID index.  Every add runs
    # in an index sub-transaction that copies each index list it touches
    # (ldb_kv_dn_list_load): O(n) per add on objectClass=user & co.,
    # quadratic in all (2,000 copies/s at 300, 300/s at 3,000).  So
    # @INDEXLIST loses its @IDXATTR and @IDXONE values first (samba.Ldb:
    # Samba's attribute handlers and casefold, no schema, so @INDEXLIST
    # is what counts).
    start = time.monotonic()
    part = samba.Ldb(url, flags=ldb.FLG_NOSYNC)
    records = {kind: _raw_record(part, acct.sam)
               for kind, acct in protos.items()}
    sid_prefix = records['user']['objectSid'][0][:-4]
    info = part.search('@REPLCHANGED', scope=ldb.SCOPE_BASE)[0]
    usn = int(str(info['uSNHighest'][0]))
    skip = {acct.index for acct in protos.values()}
    indexlist = part.search('@INDEXLIST', scope=ldb.SCOPE_BASE)[0]
    part.transaction_start()
    try:
        _set_indexlist(part, indexlist, attrs=False)
        done = 0
        for acct in pop:
            if acct.index in skip:
                continue
            usn += 1
            part.add(_clone(part, records[acct.kind], acct, sid_prefix, usn))
            done += 1
            if done % 10000 == 0:
                log('    %d copies ...' % done)
        msg = ldb.Message(ldb.Dn(part, '@REPLCHANGED'))
        msg['uSNHighest'] = ldb.MessageElement(str(usn),
                                               ldb.FLAG_MOD_REPLACE,
                                               'uSNHighest')
        part.modify(msg)
    except BaseException:
        part.transaction_cancel()
        raise
    part.transaction_commit()
    del part
    gc.collect()
    took_copies = time.monotonic() - start

    # Pass 2: @INDEXLIST restored on a connection that has the schema:
    # ldb_kv re-indexes the whole partition in one pass, without
    # sub-transactions, with Samba's keys -- what `samba-tool dbcheck
    # --reindex` does.
    start = time.monotonic()
    part = _schema_ldb(conf)
    part.connect(url, flags=ldb.FLG_NOSYNC)
    part.transaction_start()
    try:
        _set_indexlist(part, indexlist, attrs=True)
    except BaseException:
        part.transaction_cancel()
        raise
    part.transaction_commit()
    del part
    gc.collect()
    return took_protos, took_copies, time.monotonic() - start


def _samdb_count(db, expression, base=None, scope=ldb.SCOPE_SUBTREE):
    return len(db.search(base or db.domain_dn(), scope=scope,
                         expression=expression, attrs=['cn']))


def verify(root, count, base_spn_entries):
    """Through SamDB (all of Samba's modules): indexed look-ups find the
    copies.  Returns a list of problems (empty: fine)."""
    pop = Population(count, 'dc')
    conf = os.path.join(root, 'etc', 'smb.conf')
    db = dcmod.open_samdb(conf)
    problems = []
    want_computers = sum(1 for i in range(count) if pop._kind(i) ==
                         'computer')

    def expect(what, have, want):
        if have != want:
            problems.append('%s: %d, expected %d' % (what, have, want))

    expect('(servicePrincipalName=*)', _samdb_count(
        db, '(servicePrincipalName=*)'), count + base_spn_entries)
    expect('one-level CN=Computers with SRV* names', len(db.search(
        'CN=Computers,' + db.domain_dn(), scope=ldb.SCOPE_ONELEVEL,
        expression='(cn=SRV*)', attrs=['cn'])), want_computers)
    for flt in ('(&(objectCategory=computer)(cn=SRV*))',
                '(&(primaryGroupID=515)(cn=SRV*))',
                '(&(sAMAccountType=805306369)(cn=SRV*))',
                '(&(userAccountControl=4096)(cn=SRV*))',
                '(&(objectClass=computer)(cn=SRV*))'):
        expect(flt, _samdb_count(db, flt), want_computers)
    want_users = count - want_computers
    for flt in ('(&(objectCategory=person)(cn=svc-*))',
                '(&(primaryGroupID=513)(cn=svc-*))',
                '(&(sAMAccountType=805306368)(cn=svc-*))',
                '(&(|(userAccountControl=512)(userAccountControl=514))'
                '(cn=svc-*))',
                '(&(userPrincipalName=*)(cn=svc-*))'):
        expect(flt, _samdb_count(db, flt), want_users)
    step = max(1, count // 97)
    for i in list(range(0, count, step)) + [count - 1]:
        acct = pop.account(i)
        res = db.search(db.domain_dn(), expression='(sAMAccountName=%s)'
                        % acct.sam, attrs=['objectGUID', 'objectSid',
                                           'servicePrincipalName',
                                           'userAccountControl'])
        if len(res) != 1:
            problems.append('sAMAccountName=%s: %d' % (acct.sam, len(res)))
            continue
        msg = res[0]
        guid = db.schema_format_value('objectGUID',
                                      msg['objectGUID'][0]).decode()
        sid = db.schema_format_value('objectSid',
                                     msg['objectSid'][0]).decode()
        for flt in ('(objectGUID=%s)' % guid, '(objectSid=%s)' % sid,
                    '(&(servicePrincipalName=%s)(userAccountControl=%d))'
                    % (acct.spns[-1], acct.uac)):
            found = db.search(db.domain_dn(), expression=flt, attrs=['cn'])
            if str(msg.dn) not in [str(m.dn) for m in found]:
                problems.append('%s: not found by %s' % (acct.sam, flt))
        have = sorted(str(v) for v in msg['servicePrincipalName'])
        if have != sorted(acct.spns):
            problems.append('%s: SPNs %s' % (acct.sam, have))
    del db
    return problems


def ensure_audit_dc(count, log=print):
    """The cached DC folder with Population(count, 'dc'), built once.
    Returns (path, seconds this call spent building or None)."""
    def build(root, conf):
        db = dcmod.open_samdb(conf)
        base = _samdb_count(db, '(servicePrincipalName=*)')
        del db
        log('building %d-account DC: 2 prototypes through SamDB, '
            'then copies into %s in one transaction ...'
            % (count, os.path.basename(partition_file(root))))
        protos_s, copies_s, reindex_s = populate_dc(root, count, log)
        bulk_s = copies_s + reindex_s
        log('  prototypes %.1f s; %d copies %.1f s + re-index %.1f s '
            '(%.0f accounts/s)' % (protos_s, count - 2, copies_s,
                                   reindex_s, (count - 2) / bulk_s))
        vstart = time.monotonic()
        problems = verify(root, count, base)
        verify_s = time.monotonic() - vstart
        if problems:
            raise RuntimeError('the built DC fails verification:\n  ' +
                               '\n  '.join(problems[:20]))
        log('  verified through SamDB in %.1f s' % verify_s)
        return {'accounts': count, 'shape': 'dc',
                'template_spn_entries': base,
                'prototype_seconds': protos_s,
                'copies_seconds': copies_s,
                'reindex_seconds': reindex_s,
                'bulk_seconds': bulk_s,
                'verify_seconds': verify_s}

    return benchdc.build_cached_dc(audit_dc_dir(count), 'audit', build, log)


# ---------------------------------------------------------------------------
# the plain ldb


def plain_dir(entries):
    return os.path.join(dcmod.CACHE, 'plain-audit-%d-ldb%s-r%d' % (
        entries, ldb.__version__, PLAIN_RECIPE))


def plain_ldb(entries):
    return os.path.join(plain_dir(entries), 'spn.ldb')


PLAIN_HEADER = """\
dn: @ATTRIBUTES
servicePrincipalName: CASE_INSENSITIVE
sAMAccountName: CASE_INSENSITIVE
objectClass: CASE_INSENSITIVE
nCName: CASE_INSENSITIVE

"""

# Added once every entry is in (see populate_dc() on why): one re-index.
# Plain ldb's own DN-keyed index (no @IDXGUID): its re-index appends to
# each list, where the GUID index keeps lists sorted and moves half of a
# 500,000-entry list per insertion.
PLAIN_INDEXLIST = {'@IDXATTR': ['servicePrincipalName', 'objectClass',
                                'objectGUID'],
                   '@IDXONE': ['1']}


def _plain_fixed(db):
    """The NC heads, containers and configuration objects audit reads."""
    guid = 0

    def add(dn, **attrs):
        nonlocal guid
        guid += 1
        msg = ldb.Message(ldb.Dn(db, dn))
        msg['objectGUID'] = ldb.MessageElement(
            uuid.UUID(int=guid).bytes_le, ldb.FLAG_MOD_ADD, 'objectGUID')
        for name, value in attrs.items():
            msg[name] = value
        db.add(msg)

    add(DOMAIN_NC, objectClass=['top', 'domain', 'domainDNS'])
    add('CN=Users,' + DOMAIN_NC, objectClass=['top', 'container'])
    add('CN=Computers,' + DOMAIN_NC, objectClass=['top', 'container'])
    add(CONFIG_NC, objectClass=['top', 'configuration'])
    add('CN=Partitions,' + CONFIG_NC,
        objectClass=['top', 'crossRefContainer'])
    add('CN=EXAMPLE,CN=Partitions,' + CONFIG_NC,
        objectClass=['top', 'crossRef'], nCName=DOMAIN_NC,
        nETBIOSName='EXAMPLE', dnsRoot=DNSNAME)
    for dn in ('CN=Services,', 'CN=Windows NT,CN=Services,'):
        add(dn + CONFIG_NC, objectClass=['top', 'container'])
    add('CN=Directory Service,CN=Windows NT,CN=Services,' + CONFIG_NC,
        objectClass=['top', 'nTDSService'], sPNMappings=SPN_MAPPINGS)


PLAIN_CHUNK = 50000  # entries per transaction


def populate_plain(path, entries, log=print):
    """Write Population(entries, 'flat') into a new tdb:// ldb at path:
    the entries in transactions of PLAIN_CHUNK, then the index in one;
    seconds for (entries, index)."""
    start = time.monotonic()
    # ldb creates tdb files with 10,000 hash chains; at ~4 records per
    # entry (the entry, its SPN and objectGUID index records) every store
    # would walk chains of hundreds of records.  An existing file keeps
    # its hash size, so create it first with ~2 chains per entry.
    tdb.Tdb(path, 2 * entries + 1, tdb.DEFAULT, os.O_CREAT | os.O_RDWR,
            0o600).close()
    # The re-index caches index lists in an in-memory tdb sized, unless
    # told, by the file size / 500: too few chains for ~4 index keys per
    # entry (3x slower at 100,000 entries, and growing).
    db = ldb.Ldb()
    db.connect('tdb://' + path, flags=ldb.FLG_NOSYNC, options=[
        'transaction_index_cache_size:%d' % (4 * entries + 1)])
    db.transaction_start()
    try:
        for _, msg in db.parse_ldif(PLAIN_HEADER):
            db.add(msg)
        _plain_fixed(db)
        classes = {
            'computer': ['top', 'person', 'organizationalPerson', 'user',
                         'computer'],
            'user': ['top', 'person', 'organizationalPerson', 'user'],
        }
        for acct in Population(entries, 'flat'):
            msg = ldb.Message(ldb.Dn(db, '%s,%s' % (acct.rdn, DOMAIN_NC)))
            msg['objectClass'] = ldb.MessageElement(
                classes[acct.kind], ldb.FLAG_MOD_ADD, 'objectClass')
            msg['objectGUID'] = ldb.MessageElement(
                uuid.UUID(int=(1 << 64) + acct.index).bytes_le,
                ldb.FLAG_MOD_ADD, 'objectGUID')
            msg['sAMAccountName'] = acct.sam
            msg['userAccountControl'] = str(acct.uac)
            msg['servicePrincipalName'] = ldb.MessageElement(
                acct.spns, ldb.FLAG_MOD_ADD, 'servicePrincipalName')
            db.add(msg)
            if (acct.index + 1) % PLAIN_CHUNK == 0:
                # a tdb transaction slows down as it grows
                db.transaction_commit()
                db.transaction_start()
                log('    %d entries ...' % (acct.index + 1))
    except BaseException:
        db.transaction_cancel()
        raise
    db.transaction_commit()
    took_entries = time.monotonic() - start

    start = time.monotonic()
    log('    indexing ...')
    db.transaction_start()
    try:
        msg = ldb.Message(ldb.Dn(db, '@INDEXLIST'))
        for name, values in PLAIN_INDEXLIST.items():
            msg[name] = ldb.MessageElement(values, ldb.FLAG_MOD_ADD, name)
        db.add(msg)
    except BaseException:
        db.transaction_cancel()
        raise
    db.transaction_commit()
    del db
    return took_entries, time.monotonic() - start


def verify_plain(path, entries):
    """Indexed look-ups find a sample of the entries.  Problems, or []."""
    db = ldb.Ldb()
    db.connect('tdb://' + path, flags=ldb.FLG_RDONLY)
    pop = Population(entries, 'flat')
    problems = []
    for i in list(range(0, entries, max(1, entries // 50))) + [entries - 1]:
        acct = pop.account(i)
        dn = '%s,%s' % (acct.rdn, DOMAIN_NC)
        for spn in acct.spns:
            key = '@INDEX:SERVICEPRINCIPALNAME:' + spn.upper()
            if len(db.search(key, scope=ldb.SCOPE_BASE)) != 1:
                problems.append('no index record %s' % key)
            found = [str(m.dn).lower() for m in db.search(
                DOMAIN_NC, expression='(servicePrincipalName=%s)' % spn,
                attrs=['cn'])]
            if dn.lower() not in found:
                problems.append('%s: not found by %s' % (dn, spn))
        guid = uuid.UUID(int=(1 << 64) + i).bytes_le
        found = db.search(DOMAIN_NC, expression='(objectGUID=%s)' %
                          ldb.binary_encode(guid), attrs=['cn'])
        if [str(m.dn).lower() for m in found] != [dn.lower()]:
            problems.append('%s: not found by objectGUID' % dn)
    return problems


def ensure_plain(entries, log=print):
    """(path of the cached plain ldb, seconds this call spent building or
    None)."""
    final = plain_dir(entries)
    if os.path.isdir(final):
        return plain_ldb(entries), None
    os.makedirs(dcmod.CACHE, exist_ok=True)
    with open(os.path.join(dcmod.CACHE, '.bench-lock'), 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.isdir(final):
            return plain_ldb(entries), None
        start = time.monotonic()
        incoming = os.path.join(dcmod.CACHE, '.incoming-plain-%d' %
                                os.getpid())
        shutil.rmtree(incoming, ignore_errors=True)
        os.makedirs(incoming)
        try:
            log('building plain ldb with %d entries (one transaction) ...'
                % entries)
            entries_s, index_s = populate_plain(
                os.path.join(incoming, 'spn.ldb'), entries, log)
            took = entries_s + index_s
            log('  %d entries %.1f s + index %.1f s (%.0f entries/s)'
                % (entries, entries_s, index_s, entries / took))
            problems = verify_plain(os.path.join(incoming, 'spn.ldb'),
                                    entries)
            if problems:
                raise RuntimeError('the plain ldb fails verification:\n  '
                                   + '\n  '.join(problems[:20]))
            with open(os.path.join(incoming, BUILD_INFO), 'w') as f:
                json.dump({'entries': entries, 'shape': 'flat',
                           'entries_seconds': entries_s,
                           'index_seconds': index_s,
                           'populate_seconds': took,
                           'total_seconds': time.monotonic() - start,
                           'built': time.strftime('%Y-%m-%d %H:%M:%S')}, f)
            os.rename(incoming, final)
        finally:
            shutil.rmtree(incoming, ignore_errors=True)
        return plain_ldb(entries), time.monotonic() - start


def build_info(path):
    return benchdc.build_info(path)


class AuditDC(dcmod.ThrowawayDC):
    """ThrowawayDC on a private copy of a cached audit DC folder (as
    benchdc.PopulatedDC does for its own folders)."""

    def __init__(self, count, start=False):
        super().__init__(start=start)
        self.count = count
        self.build_seconds = None

    def setup(self):
        template, self.build_seconds = ensure_audit_dc(self.count)
        self.run_dir = tempfile.mkdtemp(prefix='spnpool-audit-')
        dcmod.atexit.register(self.close)
        shutil.copytree(template, self.path, symlinks=True,
                        ignore=dcmod._ignore_runtime)
        dcmod.rewrite_paths(self.smb_conf, template, self.path)
        shutil.copyfile('/etc/krb5.conf', self._in_run('krb5.conf'))


def _index_records(path):
    """{key: value} of every @INDEX record of a tdb file."""
    db = tdb.Tdb(path, 0, tdb.DEFAULT, os.O_RDONLY)
    try:
        return {bytes(k): bytes(db[k]) for k in db.keys()
                if bytes(k).startswith(b'DN=@INDEX')}
    finally:
        db.close()


def selfcheck(count=3000):
    """Build a small DC copy the way ensure_audit_dc() does, in a temp
    folder, and let Samba judge it: `samba-tool dbcheck --cross-ncs`
    finds no error, and after `samba-tool dbcheck --reindex` (Samba
    rebuilding every index itself) the index records are byte for byte
    the ones the build wrote.  Lines to print; raises on failure."""
    if not dcmod.in_netns():
        raise RuntimeError('not inside selftest/netns-run')
    template = dcmod.ensure_template()
    build = tempfile.mkdtemp(prefix='spnpool-audit-check-')
    out = []
    try:
        root = os.path.join(build, 'dc')
        shutil.copytree(template, root, symlinks=True,
                        ignore=dcmod._ignore_runtime)
        conf = os.path.join(root, 'etc', 'smb.conf')
        dcmod.rewrite_paths(conf, template, root)
        db = dcmod.open_samdb(conf)
        base = _samdb_count(db, '(servicePrincipalName=*)')
        del db
        gc.collect()
        took = populate_dc(root, count, log=lambda text: None)
        out.append('%d accounts built in %.1f s' % (count, sum(took)))
        problems = verify(root, count, base)
        if problems:
            raise RuntimeError('verification: ' + '; '.join(problems[:5]))
        out.append('SamDB look-ups (sAMAccountName, SPN, objectGUID, '
                   'objectSid, objectCategory, ...): all found')
        for argv in (['samba-tool', 'dbcheck', '--cross-ncs', '-s', conf],):
            res = subprocess.run(argv, stdin=subprocess.DEVNULL,
                                 stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT,
                                 universal_newlines=True)
            last = res.stdout.strip().splitlines()[-1:]
            if res.returncode != 0 or not last or '(0 errors)' not in \
                    last[0]:
                raise RuntimeError('dbcheck: %s' % res.stdout[-2000:])
            out.append('samba-tool dbcheck --cross-ncs: %s' % last[0])
        part = partition_file(root)
        ours = _index_records(part)
        res = subprocess.run(['samba-tool', 'dbcheck', '--reindex', '-s',
                              conf], stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT,
                             universal_newlines=True)
        if res.returncode != 0:
            raise RuntimeError('dbcheck --reindex: %s' % res.stdout[-2000:])
        samba_own = _index_records(part)
        differ = [k for k in set(ours) | set(samba_own)
                  if ours.get(k) != samba_own.get(k)]
        if differ:
            raise RuntimeError('%d of %d index records differ after '
                               'Samba re-indexed, e.g. %r' % (
                                   len(differ), len(samba_own),
                                   sorted(differ)[:3]))
        out.append('samba-tool dbcheck --reindex: all %d index records of '
                   'the domain partition identical to ours'
                   % len(samba_own))
    finally:
        shutil.rmtree(build, ignore_errors=True)
    return out
