#!/usr/bin/python3
"""An LDAP proxy that answers like a Windows DC where Samba does not.

It listens on loopback, forwards every LDAP message to the real Samba DC
of the harness and rewrites the answers (or answers itself) in the ways
Microsoft's specifications say a Windows DC answers.  Each mode cites the
section it follows.  Nothing here was checked against a real Windows DC:
the modes reproduce documented behaviour, no more.

The proxy reads the traffic, so it only works when the LDAP stream is not
wrapped: the client must bind with ``client ldap sasl wrapping = plain``
(or a simple bind) and the DC must allow it (``ldap server require strong
auth = no``); see ProxiedDC below and docs/windows.md.

The proxy runs in a process of its own (Samba's Python bindings hold the
interpreter lock while they wait for an answer, so a proxy thread in the
test's process would never answer it).  ProxyProcess starts it; its modes
live in a JSON file the proxy rereads at every new connection, so a test
changes them between two commands with ProxyProcess.configure().

Modes (keys of that file):

  max_val_range   int or None: range the values of the attributes in
                  ``ranged_attrs`` ([MS-ADTS] 3.1.1.3.1.3.3)
  spn_not_unique  {spn (lower case): True}: an add of that SPN fails with
                  LDAP 19 and extended error 000021C7 ([MS-ADTS] 3.1.1.5.1.3)
  value_limit     int or None: a modify that would leave an object with more
                  servicePrincipalName values fails with LDAP 11 and
                  00002024 (see ADMIN_LIMIT below); the count is the one
                  the proxy saw in the last answer about that object
  deny_write      {dn (lower case): True}: writes to that DN fail with LDAP
                  50 and 00002098
  write_referral  host or None: every write is answered with LDAP 10 and a
                  referral to that host (what a read-only DC does)
  extra_nc        (nc dn, host) or None: the rootDSE lists one more naming
                  context, which the proxy answers with referrals
  delay_ms        every message is held back this long in each direction
                  (a round trip of twice that: the netem delay the
                  kernel here cannot add)
  refuse_phantom_root
                  true: a subtree search of the empty DN (what the
                  phantom-root search option asks for, [MS-ADTS]
                  3.1.1.3.4.1.12) fails with unavailableCriticalExtension,
                  as from a server without that control (RFC 4511 4.1.11)
  windows_rootdse true: the rootDSE loses vendorName, which Samba sends
                  and the rootDSE attributes of [MS-ADTS] 3.1.1.3.2 do
                  not include

The BER code below reads and writes only what these modes need
(RFC 4511 section 4 and X.690 definite lengths).
"""

import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time

# -- BER (X.690), just enough for LDAPMessage --------------------------------

SEQUENCE = 0x30
SET = 0x31
INTEGER = 0x02
OCTET_STRING = 0x04
ENUMERATED = 0x0a
BOOLEAN = 0x01

# RFC 4511 section 4.2-4.14: [APPLICATION n] tags of protocolOp
BIND_REQUEST = 0x60
SEARCH_REQUEST = 0x63
SEARCH_ENTRY = 0x64
SEARCH_DONE = 0x65
MODIFY_REQUEST = 0x66
MODIFY_RESPONSE = 0x67
ADD_REQUEST = 0x68
ADD_RESPONSE = 0x69
DEL_REQUEST = 0x4a
DEL_RESPONSE = 0x6b
MODDN_REQUEST = 0x6c
MODDN_RESPONSE = 0x6d
SEARCH_REFERENCE = 0x73
REFERRAL = 0xa3  # LDAPResult referral [3]

WRITES = {MODIFY_REQUEST: MODIFY_RESPONSE, ADD_REQUEST: ADD_RESPONSE,
          DEL_REQUEST: DEL_RESPONSE, MODDN_REQUEST: MODDN_RESPONSE}

LDAP_ADMIN_LIMIT_EXCEEDED = 11
LDAP_REFERRAL = 10
LDAP_UNAVAILABLE_CRITICAL_EXTENSION = 12
LDAP_CONSTRAINT_VIOLATION = 19
LDAP_INSUFFICIENT_ACCESS = 50


def ber_length(n):
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, 'big')
    return bytes([0x80 | len(raw)]) + raw


def tlv(tag, content):
    return bytes([tag]) + ber_length(len(content)) + content


def ber_int(n, tag=INTEGER):
    raw = n.to_bytes(max(1, (n.bit_length() + 8) // 8), 'big', signed=True)
    return tlv(tag, raw)


def ber_str(s, tag=OCTET_STRING):
    return tlv(tag, s.encode('utf-8') if isinstance(s, str) else s)


def read_tlv(buf, pos=0):
    """(tag, content start, end) of the element at ``pos``, or None if
    ``buf`` does not hold all of it yet."""
    if len(buf) < pos + 2:
        return None
    tag = buf[pos]
    first = buf[pos + 1]
    start = pos + 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7f
        if len(buf) < start + count:
            return None
        length = int.from_bytes(buf[start:start + count], 'big')
        start += count
    if len(buf) < start + length:
        return None
    return tag, start, start + length


def children(buf, start, end):
    """[(tag, bytes of content, whole element)] of a constructed value."""
    out = []
    pos = start
    while pos < end:
        tag, cstart, cend = read_tlv(buf, pos)
        out.append((tag, buf[cstart:cend], buf[pos:cend]))
        pos = cend
    return out


def parse_int(content):
    return int.from_bytes(content, 'big', signed=True)


class Message:
    """One LDAPMessage: messageID, protocolOp tag and content, controls."""

    def __init__(self, raw):
        tag, start, end = read_tlv(raw)
        parts = children(raw, start, end)
        self.msgid = parse_int(parts[0][1])
        self.op = parts[1][0]
        self.body = parts[1][1]
        self.rest = b''.join(p[2] for p in parts[2:])

    def fields(self):
        return children(self.body, 0, len(self.body))


def message(msgid, op, body, rest=b''):
    return tlv(SEQUENCE, ber_int(msgid) + tlv(op, body) + rest)


def ldap_result(code, text='', matched='', referrals=()):
    """LDAPResult (RFC 4511 4.1.9), with a referral (4.1.10) if given."""
    body = ber_int(code, ENUMERATED) + ber_str(matched) + ber_str(text)
    if referrals:
        body += tlv(REFERRAL, b''.join(ber_str(u) for u in referrals))
    return body


# -- Windows' error texts -----------------------------------------------------
#
# A Windows DC puts its own error (a Win32 code as 8 hex digits), the
# component, a DSID and a problem code in LDAPResult.errorMessage, ending
# in a newline and a NUL.  The formats below are those Windows DCs print;
# the DSIDs name the source line in a given build and vary between builds.

# ERROR_DS_SPN_VALUE_NOT_UNIQUE_IN_FOREST (8647): [MS-ADTS] 3.1.1.5.1.3
SPN_NOT_UNIQUE = ('000021C7: AtrErr: DSID-03200BBA, #1:\n'
                  '\t0: 000021C7: DSID-03200BBA, problem 1005 '
                  '(CONSTRAINT_ATT_TYPE), data 0, Att 90303 '
                  '(servicePrincipalName)\n\x00')
# ERROR_DS_ADMIN_LIMIT_EXCEEDED (8228): the record of an object lives on
# one 8 KB database page, which holds about 1,200 non-linked values
# ("Active Directory: Non-Linked Multi-Valued Attribute Size Limits",
# Microsoft TechNet wiki 31919); past it Windows answers adminLimitExceeded.
ADMIN_LIMIT = ('00002024: SvcErr: DSID-02050BBD, problem 5008 '
               '(ADMIN_LIMIT_EXCEEDED), data -1026\n\x00')
# ERROR_DS_INSUFF_ACCESS_RIGHTS (8344)
INSUFF_ACCESS = ('00002098: SecErr: DSID-03150F93, problem 4003 '
                 '(INSUFF_ACCESS_RIGHTS), data 0\n\x00')
# ERROR_DS_REFERRAL (8235): [MS-ADTS] "Referrals in LDAPv2 and LDAPv3"
# (Active Directory returns referrals as RFC 4511 4.1.10 says)
REFERRAL_TEXT = ('0000202B: RefErr: DSID-0310084A, data 0, 1 access points'
                 '\n\tref 1: \'%s\'\n\x00')


def dn_key(dn):
    return ','.join(p.strip() for p in dn.lower().split(','))


def ldap_url(host, dn):
    return 'ldap://%s/%s' % (host, dn.replace(' ', '%20'))


# -- the proxy ------------------------------------------------------------


MODES = {'max_val_range': None, 'ranged_attrs': ['serviceprincipalname'],
         'spn_not_unique': [], 'value_limit': None, 'deny_write': [],
         'write_referral': None, 'extra_nc': None, 'windows_rootdse': False,
         'delay_ms': 0, 'refuse_phantom_root': False}


class LdapProxy:
    """Listens on 127.0.0.1 (``port`` 0: any free port), forwards to
    ``upstream``; the modes come from the JSON file ``config`` (reread at
    each connection), every request is logged to ``log_path``."""

    def __init__(self, config, log_path, upstream=('127.0.0.1', 389),
                 port=0):
        self.config = config
        self.log_path = log_path
        self.upstream = upstream
        self.seen_counts = {}  # dn key -> servicePrincipalName values
        self._log_lock = threading.Lock()
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(('127.0.0.1', port))
        self._sock.listen(16)
        self.port = self._sock.getsockname()[1]

    def modes(self):
        modes = dict(MODES)
        try:
            with open(self.config) as f:
                modes.update(json.load(f))
        except FileNotFoundError:
            pass
        modes['spn_not_unique'] = {s.lower()
                                   for s in modes['spn_not_unique']}
        modes['deny_write'] = {dn_key(d) for d in modes['deny_write']}
        modes['ranged_attrs'] = {a.lower() for a in modes['ranged_attrs']}
        return modes

    def log(self, kind, what):
        with self._log_lock, open(self.log_path, 'a') as f:
            f.write(json.dumps([kind, what]) + '\n')

    def serve_forever(self):
        while True:
            client, _ = self._sock.accept()
            threading.Thread(target=self._serve, args=(client,),
                             daemon=True).start()

    def _serve(self, client):
        try:
            server = socket.create_connection(self.upstream)
        except OSError:
            client.close()
            return
        conn = _Connection(self, self.modes(), client, server)
        try:
            conn.run()
        except Exception as e:  # one broken connection, not the proxy
            self.log('error', repr(e))
        finally:
            client.close()
            server.close()


class ProxyProcess:
    """The proxy in a child process (the harness's side).  ``url`` is
    where to point -H; configure() sets modes for the next connections;
    requests() reads the log."""

    def __init__(self, folder, upstream_port=389):
        self.config = os.path.join(folder, 'ldapproxy.json')
        self.log_path = os.path.join(folder, 'ldapproxy.log')
        self.configure()
        self.proc = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), self.config,
             self.log_path, str(upstream_port)],
            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        self.port = int(self.proc.stdout.readline())
        self.url = 'ldap://127.0.0.1:%d' % self.port

    def configure(self, **modes):
        """Replace the modes (unnamed ones go back to their defaults)."""
        for key in modes:
            if key not in MODES:
                raise KeyError('no proxy mode %r' % key)
        tmp = self.config + '.tmp'
        with open(tmp, 'w') as f:
            json.dump(modes, f)
        os.rename(tmp, self.config)

    def requests(self):
        try:
            with open(self.log_path) as f:
                return [json.loads(line) for line in f]
        except FileNotFoundError:
            return []

    def clear_log(self):
        with open(self.log_path, 'w'):
            pass

    def stop(self):
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        self.proc = None


class _Delayed:
    """A socket's sending side, every message held back ``delay``
    seconds after it arrived, as a slow link would: in order, pipelined
    (a burst of entries is delayed once, not once per entry)."""

    def __init__(self, sock, delay):
        self.sock = sock
        self.delay = delay
        self.queue = []
        self.cond = threading.Condition()
        threading.Thread(target=self._send, daemon=True).start()

    def sendall(self, data):
        with self.cond:
            self.queue.append((time.monotonic() + self.delay, data))
            self.cond.notify()

    def _send(self):
        while True:
            with self.cond:
                while not self.queue:
                    self.cond.wait()
                due, data = self.queue.pop(0)
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            try:
                self.sock.sendall(data)
            except OSError:
                return


class _Connection:
    """One client connection: requests in, answers out, per message."""

    def __init__(self, proxy, modes, client, server):
        self.proxy = proxy
        self.m = modes
        self.client = client
        self.server = server
        self.pending = {}  # msgid -> SearchRequest facts
        self.wrapped = False
        delay = (modes['delay_ms'] or 0) / 1000.0
        self.to_client = _Delayed(client, delay) if delay else client
        self.to_server = _Delayed(server, delay) if delay else server

    def run(self):
        bufs = {self.client: b'', self.server: b''}
        while True:
            ready, _, _ = select.select([self.client, self.server],
                                        [], [])
            for sock in ready:
                data = sock.recv(65536)
                if not data:
                    return
                if self.wrapped:
                    # A signed or sealed SASL stream: nothing to read.
                    other = self.to_server if sock is self.client \
                        else self.to_client
                    other.sendall(data)
                    continue
                bufs[sock] += data
                while True:
                    if bufs[sock][:1] != bytes([SEQUENCE]):
                        if bufs[sock]:
                            self.wrapped = True
                            self.proxy.log('wrapped', 'SASL-wrapped stream: '
                                           'passed through unread')
                            other = self.to_server \
                                if sock is self.client else self.to_client
                            other.sendall(bufs[sock])
                            bufs[sock] = b''
                        break
                    found = read_tlv(bufs[sock])
                    if found is None:
                        break
                    raw = bufs[sock][:found[2]]
                    bufs[sock] = bufs[sock][found[2]:]
                    if sock is self.client:
                        self.request(raw)
                    else:
                        for out in self.answer(raw):
                            self.to_client.sendall(out)

    # -- requests --

    def request(self, raw):
        msg = Message(raw)
        if msg.op == SEARCH_REQUEST:
            f = msg.fields()
            attrs = [a[1].decode('utf-8', 'replace').lower()
                     for a in children(f[7][2], *read_tlv(f[7][2])[1:])]
            self.pending[msg.msgid] = {
                'base': f[0][1].decode('utf-8', 'replace'),
                'scope': parse_int(f[1][1]), 'attrs': attrs}
            self.proxy.log('search', [self.pending[msg.msgid]['base'],
                                      attrs,
                                      self.pending[msg.msgid]['scope']])
            refused = self.search_referral(msg) or \
                self.refuse_phantom_root(msg)
            if refused is not None:
                self.to_client.sendall(refused)
                return
        elif msg.op in WRITES:
            self.proxy.log('write', Message_dn(msg))
            refused = self.refuse_write(msg)
            if refused is not None:
                self.to_client.sendall(refused)
                return
        self.to_server.sendall(raw)

    def search_referral(self, msg):
        """A search under the extra naming context: Windows answers with
        a referral to a DC holding it (RFC 4511 4.1.10; [MS-ADTS]
        "Referrals in LDAPv2 and LDAPv3")."""
        if not self.m['extra_nc']:
            return None
        nc, host = self.m['extra_nc']
        base = dn_key(self.pending[msg.msgid]['base'])
        key = dn_key(nc)
        if base != key and not base.endswith(',' + key):
            return None
        del self.pending[msg.msgid]
        return message(msg.msgid, SEARCH_DONE, ldap_result(
            LDAP_REFERRAL, REFERRAL_TEXT % host,
            referrals=[ldap_url(host, self.pending_base(msg))]))

    def refuse_phantom_root(self, msg):
        facts = self.pending[msg.msgid]
        if not self.m['refuse_phantom_root'] or facts['base'] or \
                facts['scope'] != 2:
            return None
        del self.pending[msg.msgid]
        return message(msg.msgid, SEARCH_DONE, ldap_result(
            LDAP_UNAVAILABLE_CRITICAL_EXTENSION,
            'unsupported critical extension'))

    def pending_base(self, msg):
        return msg.fields()[0][1].decode('utf-8', 'replace')

    def refuse_write(self, msg):
        m = self.m
        reply = WRITES[msg.op]
        dn = Message_dn(msg)
        if m['write_referral']:
            # A read-only DC refers every write to a writable DC
            # ([MS-ADTS] 3.1.1.1.9 "Read-Only Domain Controllers"; the
            # referral as RFC 4511 4.1.10).
            host = m['write_referral']
            return message(msg.msgid, reply, ldap_result(
                LDAP_REFERRAL, REFERRAL_TEXT % host,
                referrals=[ldap_url(host, dn)]))
        if dn_key(dn) in m['deny_write']:
            return message(msg.msgid, reply, ldap_result(
                LDAP_INSUFFICIENT_ACCESS, INSUFF_ACCESS))
        if msg.op not in (MODIFY_REQUEST, ADD_REQUEST):
            return None
        added = spns_added(msg)
        for spn in added:
            if spn.lower() in m['spn_not_unique']:
                # [MS-ADTS] 3.1.1.5.1.3: a DC of Windows Server 2012 R2
                # or later refuses an SPN another object of the forest
                # holds.
                return message(msg.msgid, reply, ldap_result(
                    LDAP_CONSTRAINT_VIOLATION, SPN_NOT_UNIQUE))
        if m['value_limit'] is not None and added:
            held = self.proxy.seen_counts.get(dn_key(dn), 0)
            if held + len(added) > m['value_limit']:
                return message(msg.msgid, reply, ldap_result(
                    LDAP_ADMIN_LIMIT_EXCEEDED, ADMIN_LIMIT))
        return None

    # -- answers --

    def answer(self, raw):
        msg = Message(raw)
        if msg.op == SEARCH_ENTRY:
            return [self.rewrite_entry(msg, raw)]
        if msg.op == SEARCH_DONE:
            facts = self.pending.pop(msg.msgid, None)
            out = []
            ref = self.continuation(facts)
            if ref is not None:
                out.append(message(msg.msgid, SEARCH_REFERENCE, ref))
            out.append(raw)
            return out
        return [raw]

    def continuation(self, facts):
        """A subtree search above the extra naming context: Windows sends
        a continuation reference to it (RFC 4511 4.5.3, which [MS-ADTS]
        "Referrals in LDAPv2 and LDAPv3" says Active Directory follows)."""
        if not facts or not self.m['extra_nc'] or facts['scope'] != 2:
            return None
        nc, host = self.m['extra_nc']
        base = dn_key(facts['base'])
        # The empty base: a phantom-root search ([MS-ADTS] 3.1.1.3.4.1.12,
        # SERVER_SEARCH_FLAG_PHANTOM_ROOT), which covers the NCs this DC
        # holds and refers to the others.
        if base and not dn_key(nc).endswith(',' + base):
            return None
        return ber_str(ldap_url(host, nc))

    def rewrite_entry(self, msg, raw):
        m = self.m
        f = msg.fields()
        dn = f[0][1].decode('utf-8', 'replace')
        facts = self.pending.get(msg.msgid)
        attrs = children(f[1][1], 0, len(f[1][1]))
        changed = False
        out = []
        for _tag, content, whole in attrs:
            parts = children(content, 0, len(content))
            name = parts[0][1].decode('utf-8', 'replace')
            values = [v[1] for v in children(parts[1][1], 0,
                                             len(parts[1][1]))]
            rootdse = facts is not None and facts['base'] == '' and \
                facts['scope'] == 0
            if rootdse and m['windows_rootdse'] and \
                    name.lower() == 'vendorname':
                changed = True
                continue
            if rootdse and m['extra_nc'] and \
                    name.lower() == 'namingcontexts':
                values.append(m['extra_nc'][0].encode())
                changed = True
            self.count(dn, name, values)
            new = self.ranged(name, values)
            if new is not None:
                name, values = new
                changed = True
            out.append(tlv(SEQUENCE, ber_str(name) + tlv(
                SET, b''.join(ber_str(v) for v in values))))
        if not changed:
            return raw
        body = ber_str(dn) + tlv(SEQUENCE, b''.join(out))
        return message(msg.msgid, SEARCH_ENTRY, body, msg.rest)

    def count(self, dn, name, values):
        """Remember how many SPNs the DC said ``dn`` holds."""
        base, _, opt = name.partition(';')
        if base.lower() != 'serviceprincipalname':
            return
        first = 0
        if opt.lower().startswith('range='):
            first = int(opt[6:].split('-')[0])
        self.proxy.seen_counts[dn_key(dn)] = first + len(values)

    def ranged(self, name, values):
        """[MS-ADTS] 3.1.1.3.1.3.3 (Range Retrieval of Attribute Values):
        an attribute with more values than MaxValRange comes back as
        ``name;range=0-(MaxValRange-1)``; a request for ``name;range=N-*``
        gets ``name;range=N-M`` while more remain and ``name;range=N-*``
        with the last ones.  Samba answers ``;range=`` requests itself
        but never limits a plain one: this cuts both to MaxValRange."""
        limit = self.m['max_val_range']
        if limit is None or len(values) <= limit:
            return None
        base, _, opt = name.partition(';')
        if base.lower() not in self.m['ranged_attrs']:
            return None
        first = 0
        if opt.lower().startswith('range='):
            first = int(opt[6:].split('-')[0])
        elif opt:
            return None
        return ('%s;range=%d-%d' % (base, first, first + limit - 1),
                values[:limit])


def Message_dn(msg):
    """The entry a write request names (its first field)."""
    return msg.fields()[0][1].decode('utf-8', 'replace')


def spns_added(msg):
    """servicePrincipalName values a Modify (add or replace) or an Add
    request carries."""
    f = msg.fields()
    out = []
    if msg.op == MODIFY_REQUEST:
        for _t, change, _w in children(f[1][1], 0, len(f[1][1])):
            op, mod = children(change, 0, len(change))
            if parse_int(op[1]) not in (0, 2):  # add, replace
                continue
            name, vals = children(mod[1], 0, len(mod[1]))
            if name[1].decode().lower() == 'serviceprincipalname':
                out += [v[1].decode('utf-8', 'replace')
                        for v in children(vals[1], 0, len(vals[1]))]
    else:
        for _t, attr, _w in children(f[1][1], 0, len(f[1][1])):
            name, vals = children(attr, 0, len(attr))
            if name[1].decode().lower() == 'serviceprincipalname':
                out += [v[1].decode('utf-8', 'replace')
                        for v in children(vals[1], 0, len(vals[1]))]
    return out


def main(argv):
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    proxy = LdapProxy(argv[1], argv[2], upstream=('127.0.0.1', int(argv[3])))
    print(proxy.port, flush=True)
    proxy.serve_forever()


if __name__ == '__main__':
    main(sys.argv)
