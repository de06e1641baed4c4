# t/apiw-walk.py URL: many HTTP requests in one process (for the test
# matrices, where a CGI run per request would cost seconds).
#
# stdin: one request per line, tab-separated:
#	METHOD  PATH  AUTHORIZATION-or-"-"  CONTENT-TYPE-or-"-"  BODY (rest)
# BODY is taken as given, except that "\xNN" is one byte.  stdout: one line per request, tab-separated:
#	STATUS  METHOD  PATH  BODY-OF-THE-REQUEST  RESPONSE (JSON-escaped)
import http.client
import json
import sys
import urllib.parse

url = urllib.parse.urlsplit(sys.argv[1])


def unescape(s):
    out = bytearray()
    i = 0
    while i < len(s):
        if s.startswith('\\x', i) and len(s) >= i + 4:
            out.append(int(s[i + 2:i + 4], 16))
            i += 4
            continue
        out += s[i].encode()
        i += 1
    return bytes(out)


conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
for line in sys.stdin:
    line = line.rstrip('\n')
    if not line:
        continue
    method, path, auth, ctype, body = (line.split('\t', 4) + [''] * 5)[:5]
    headers = {}
    if auth != '-':
        headers['Authorization'] = auth
    if ctype != '-':
        headers['Content-Type'] = ctype
    data = unescape(body) if body or method in ('POST', 'PUT', 'PATCH') \
        else None
    for attempt in (0, 1):
        try:
            conn.request(method, path, body=data, headers=headers)
            r = conn.getresponse()
            out = r.read()
            break
        except (http.client.HTTPException, OSError):
            conn.close()
            conn = http.client.HTTPConnection(url.hostname, url.port,
                                              timeout=30)
            if attempt:
                raise
    print('%d\t%s\t%s\t%s\t%s' % (r.status, method, path, body,
                                  json.dumps(out.decode('utf-8',
                                                        'replace'))))
