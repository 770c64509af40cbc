#!/usr/bin/python3
"""A minimal SPNEGO (HTTP Negotiate) web server for the Kerberos tests.

    spnego_acceptor.py --keytab K --host 127.0.0.11 --port 80 --events F

It accepts with every key of the keytab (no acceptor name, as
mod_auth_gssapi and IIS with useAppPoolCredentials do), answers 200 when
the GSS context completes and 401 + `WWW-Authenticate: Negotiate`
otherwise.  Every request appends one JSON line to the events file: the
HTTP status and, for a Negotiate token, either who authenticated and for
which principal's key, or the exact failure: GSS major and minor code,
MIT's message, and the krb5 error code with its RFC 4120 number
(krb5_error: 35 = KRB_AP_ERR_NOT_US, 31 = KRB_AP_ERR_BAD_INTEGRITY...).
Under SPNEGO the minor code is a mapped number (100001...), so the krb5
code comes from the library's own trace (KRB5_TRACE, set by the caller).
krb.SpnegoServer starts and stops it; run by hand only
inside selftest/netns-run.
"""

import argparse
import base64
import http.server
import json
import os
import re
import sys
import threading

import gssapi

# MIT's com_err table "krb5" starts here; KRB5KRB_AP_ERR_* = base + the
# protocol's error number (RFC 4120 7.5.9).
KRB5_ERROR_BASE = 0x96C73A00


def krb5_error_number(code):
    """RFC 4120 error number of an MIT krb5 error code, or None."""
    if code is None:
        return None
    offset = (code & 0xffffffff) - KRB5_ERROR_BASE
    return offset if 0 <= offset < 128 else None


def trace_size():
    path = os.environ.get('KRB5_TRACE')
    try:
        return os.path.getsize(path) if path else 0
    except OSError:
        return 0


_TRACE_FAILURE = re.compile(r'Failed to decrypt AP-REQ ticket: (-?\d+)/(.*)')


def krb5_failure(offset):
    """(MIT error code, text) of the last AP-REQ failure the library
    traced after ``offset`` (our KRB5_TRACE), or (None, None)."""
    path = os.environ.get('KRB5_TRACE')
    if not path:
        return None, None
    try:
        with open(path, errors='replace') as f:
            f.seek(offset)
            found = _TRACE_FAILURE.findall(f.read())
    except OSError:
        return None, None
    if not found:
        return None, None
    return int(found[-1][0]), found[-1][1].strip()


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = 'spnpool-spnego/1'

    def log_message(self, fmt, *args):
        pass

    def _event(self, **event):
        event.setdefault('path', self.path)
        line = json.dumps(event, sort_keys=True) + '\n'
        with self.server.events_lock:
            with open(self.server.events, 'a') as f:
                f.write(line)

    def _reply(self, status, body, token=None, challenge=True):
        data = body.encode()
        self.send_response(status)
        if token is not None:
            self.send_header('WWW-Authenticate', 'Negotiate ' +
                             base64.b64encode(token).decode())
        elif challenge:
            self.send_header('WWW-Authenticate', 'Negotiate')
        self.send_header('Content-Type', 'text/plain')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        header = self.headers.get('Authorization', '')
        scheme, _, blob = header.partition(' ')
        if scheme.lower() != 'negotiate' or not blob.strip():
            self._event(status=401, auth=scheme or None)
            self._reply(401, 'Negotiate required\n')
            return
        try:
            token = base64.b64decode(blob.strip())
        except ValueError as e:
            self._event(status=400, auth='Negotiate', error=str(e))
            self._reply(400, 'bad token\n', challenge=False)
            return
        with self.server.gss_lock:
            mark = trace_size()
            ctx = gssapi.SecurityContext(creds=self.server.creds,
                                         usage='accept')
            try:
                out = ctx.step(token)
                # python-gssapi defers an SPNEGO failure to the next
                # access of the context.
                complete = ctx.complete
            except gssapi.exceptions.GSSError as e:
                # Under SPNEGO the minor code is a mapped number
                # (100001...), not krb5's: the real one is in the trace.
                code, text = krb5_failure(mark)
                self._event(status=401, auth='Negotiate',
                            major=getattr(e, 'maj_code', None),
                            minor=getattr(e, 'min_code', None),
                            krb5_code=code, krb5_error=krb5_error_number(code),
                            krb5_text=text, error=e.gen_message())
                self._reply(401, 'Kerberos failed\n')
                return
        if not complete:
            # Kerberos through SPNEGO completes in one round trip; a
            # continuation would be a mechanism we do not offer.
            self._event(status=401, auth='Negotiate',
                        error='context not complete after one token')
            self._reply(401, 'continue\n', token=out)
            return
        user = str(ctx.initiator_name)
        self._event(status=200, auth='Negotiate', user=user,
                    service=str(ctx.target_name), mech=str(ctx.mech))
        self._reply(200, 'OK %s\n' % user, token=out or None,
                    challenge=False)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--keytab', required=True)
    parser.add_argument('--host', required=True)
    parser.add_argument('--port', type=int, default=80)
    parser.add_argument('--events', required=True)
    args = parser.parse_args()
    # No acceptor name: any key in the keytab may decrypt the ticket, as
    # in mod_auth_gssapi without GssapiAcceptorName.  Acquiring up front
    # makes a missing or unreadable keytab fail the start, not a request.
    creds = gssapi.Credentials(usage='accept',
                               store={'keytab': args.keytab})
    server = http.server.ThreadingHTTPServer((args.host, args.port),
                                             Handler)
    server.daemon_threads = True
    server.creds = creds
    server.events = args.events
    server.events_lock = threading.Lock()
    server.gss_lock = threading.Lock()
    sys.stdout.write('listening %s:%d\n' % (args.host, args.port))
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == '__main__':
    sys.exit(main())
