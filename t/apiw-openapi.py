# t/apiw-openapi.py URL TOKEN: walk the served OpenAPI document and
# request every operation it lists (t/4107).  Path parameters come from
# the fixture of t/lib-apiw.sh; writes send an empty JSON object.  Each
# answer must be one of the statuses the document lists, and a JSON
# answer must match the documented schema: required properties present,
# types right, null only where nullable, no property the schema lacks.
# Prints one line per request; exits 1 on the first mismatch.
import http.client
import json
import re
import sys
import urllib.parse

base, token = sys.argv[1], sys.argv[2]
u = urllib.parse.urlsplit(base)
conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)


def req(method, path, body=None, headers=None):
    h = {'Authorization': 'Token ' + token}
    h.update(headers or {})
    if body is not None:
        h['Content-Type'] = 'application/json'
    conn.request(method.upper(), path, body=body, headers=h)
    r = conn.getresponse()
    return r, r.read()


def fail(msg):
    print('FAIL: ' + msg)
    sys.exit(1)


r, raw = req('GET', '/api/openapi.json')
if r.status != 200 or r.getheader('Content-Type') != 'application/json':
    fail('openapi.json: %d' % r.status)
doc = json.loads(raw)
if not doc.get('openapi', '').startswith('3.0'):
    fail('not OpenAPI 3.0')
comp = doc['components']

# Every $ref points somewhere.
def refs(o):
    if isinstance(o, dict):
        for k, v in o.items():
            if k == '$ref':
                yield v
            else:
                yield from refs(v)
    elif isinstance(o, list):
        for v in o:
            yield from refs(v)


for ref in refs(doc):
    parts = ref.lstrip('#/').split('/')
    node = doc
    for p in parts:
        if p not in node:
            fail('dangling $ref ' + ref)
        node = node[p]

DATE = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?$')


def resolve(s):
    while '$ref' in s:
        s = comp['schemas'][s['$ref'].split('/')[-1]]
    return s


def check(v, s, where):
    if 'allOf' in s:
        if v is None and s.get('nullable'):
            return
        for sub in s['allOf']:
            check(v, sub, where)
        return
    nullable = s.get('nullable', False)
    s = resolve(s)
    if v is None:
        if nullable or s.get('nullable'):
            return
        fail('%s: null where not nullable' % where)
    t = s.get('type')
    if t == 'integer' and not (isinstance(v, int) and
                               not isinstance(v, bool)):
        fail('%s: %r is not an integer' % (where, v))
    if t == 'boolean' and not isinstance(v, bool):
        fail('%s: %r is not a boolean' % (where, v))
    if t == 'string':
        if not isinstance(v, str):
            fail('%s: %r is not a string' % (where, v))
        if s.get('format') == 'date-time' and not DATE.match(v):
            fail('%s: %r is not a Django date-time' % (where, v))
        if s.get('format') == 'uri' and not v.startswith('http'):
            fail('%s: %r is not an absolute URL' % (where, v))
    if t == 'array':
        if not isinstance(v, list):
            fail('%s: not an array' % where)
        for i, x in enumerate(v):
            check(x, s['items'], '%s[%d]' % (where, i))
    if t == 'object':
        if not isinstance(v, dict):
            fail('%s: not an object' % where)
        props = s.get('properties')
        if props is None:
            return
        for k in s.get('required', []):
            if k not in v:
                fail('%s: %s is missing' % (where, k))
        for k, x in v.items():
            if k in props:
                check(x, props[k], where + '.' + k)
            elif 'additionalProperties' not in s:
                fail('%s: %s is not documented' % (where, k))


# Fixture values for path parameters, by the path's first segments.
def fill(path):
    vals = {
        'project_id': '1', 'linkname': 'net', 'username': 'maint',
        'bundlename': 'b',
    }
    if path.startswith('/api/users/'):
        vals['id'] = '1'
    elif path.startswith('/api/patches/'):
        vals['id'] = '2'
    else:
        vals['id'] = '1'
    vals['cid'] = '1'
    vals['msgid'] = '0-a@example.com' if '/cover/' in path \
        else '2-a@example.com'
    return re.sub(r'\{(\w+)\}', lambda m: vals[m.group(1)], path)


known = set()
calls = []
for path, item in doc['paths'].items():
    for method, op in item.items():
        known.add((method, path))
        calls.append((method, path, op))
        names = {p['name'] for p in op.get('parameters', [])
                 if p['in'] == 'path'}
        if names != set(re.findall(r'\{(\w+)\}', path)):
            fail('%s %s: path parameters %s' % (method, path, names))
        for code in op['responses']:
            if not re.match(r'^[1-5]\d\d$', code):
                fail('%s %s: response %s' % (method, path, code))

# Deletes last: they remove what the others need.
calls.sort(key=lambda c: c[0] == 'delete')
for method, path, op in calls:
    url = fill(path)
    body = '{}' if method in ('post', 'put', 'patch') else None
    r, raw = req(method, url, body)
    codes = op['responses']
    print('%d %s %s' % (r.status, method.upper(), url))
    if str(r.status) not in codes:
        fail('%s %s answered %d, documented %s: %s' % (
            method, url, r.status, sorted(codes), raw[:300]))
    resp = codes[str(r.status)]
    if '$ref' in resp:
        resp = comp['responses'][resp['$ref'].split('/')[-1]]
    content = resp.get('content')
    if not content:
        if raw:
            fail('%s %s: a body where none is documented' % (method, url))
        continue
    ctype = r.getheader('Content-Type', '')
    mime = list(content)[0]
    if ctype.split(';')[0] != mime:
        fail('%s %s: Content-Type %s, documented %s' % (
            method, url, ctype, mime))
    if mime == 'text/html':
        continue
    if mime != 'application/json':
        if not r.getheader('Content-Disposition', '').startswith(
                'attachment; filename='):
            fail('%s %s: no Content-Disposition' % (method, url))
        continue
    check(json.loads(raw), content[mime]['schema'], method + ' ' + url)
    if 'page' in [p['name'] for p in op.get('parameters', [])] and \
            r.getheader('Link') is None:
        fail('%s %s: a list without Link' % (method, url))

# Everything the REST spec routes is in the document.
for line in sys.stdin:
    m, p = line.split()
    if (m, p) not in known:
        fail('not documented: %s %s' % (m, p))
print('ok')
