#!/usr/bin/env python3
"""Conformance against the reference's own database (t/2013-reference.t).

The sample dump of Django Patchwork 3.1.3 (../shared/reference) holds every
patch, cover letter and comment the reference made from its test mails:
headers, content, diff, name, date, hash, pull URL and submitter.  The mails
themselves are not there, but each object can be rebuilt into a mail (the
stored header block, then content and diff as the body); parsing that mail
must give back what the reference stored.

  reference.py extract SQL DIR   write DIR/KIND-ID.{mbox,args,expect,...}
  reference.py compare DIR       check DIR/*.dump (pw-test parse-mail output)
"""
import datetime
import glob
import os
import re
import sys
from zoneinfo import ZoneInfo

ESC = {'n': '\n', 't': '\t', 'r': '\r', 'b': '\b', 'f': '\f', 'v': '\v',
       '\\': '\\'}


def copy_field(f):
    if f == r'\N':
        return None
    return re.sub(r'\\(.)', lambda m: ESC.get(m.group(1), m.group(1)), f)


def read_tables(sql):
    tables, cur = {}, None
    with open(sql, encoding='utf-8') as fh:
        for line in fh:
            line = line.rstrip('\n')
            if cur is None:
                m = re.match(r'COPY public\.(\w+) \((.*)\) FROM stdin;', line)
                if m:
                    cur = m.group(1)
                    tables[cur] = ([c.strip() for c in m.group(2).split(',')],
                                   [])
                continue
            if line == '\\.':
                cur = None
                continue
            cols, rows = tables[cur]
            rows.append(dict(zip(cols, [copy_field(x)
                                        for x in line.split('\t')])))
    return {k: v[1] for k, v in tables.items()}


def write(path, text):
    with open(path, 'w', encoding='utf-8', newline='') as fh:
        fh.write(text)


def extract(sql, out):
    t = read_tables(sql)
    proj = {r['id']: r for r in t['patchwork_project']}
    person = {r['id']: r for r in t['patchwork_person']}
    patch_proj = {r['id']: r['project_id'] for r in t['patchwork_patch']}
    cover_proj = {r['id']: r['project_id'] for r in t['patchwork_cover']}
    os.makedirs(out, exist_ok=True)
    canberra = ZoneInfo('Australia/Canberra')

    def emit(kind, r, pid):
        p = proj[pid]
        # the body is rebuilt as decoded UTF-8 text
        hdr = [h for h in re.split(r'\n(?=\S)', r['headers'])
               if not re.match(r'(?i)content-(type|transfer-encoding):', h)]
        body = r['content'] or ''
        if r.get('diff') is not None:
            body += '\n' + r['diff']
        name = '%s-%s' % (kind, r['id'])
        base = os.path.join(out, name)
        write(base + '.mbox', '\n'.join(hdr) +
              '\nContent-Type: text/plain; charset=utf-8\n'
              'Content-Transfer-Encoding: 8bit\n\n' + body)
        write(base + '.args', '--linkname %s --listemail %s\n' %
              (p['linkname'], p['listemail']))
        write(base + '.content', r['content'] or '')
        if r.get('diff') is not None:
            write(base + '.diff', r['diff'])
        # Django wrote naive UTC into timestamptz columns from a
        # Canberra session: the instant read in Canberra is what it wrote
        d = datetime.datetime.fromisoformat(r['date'] + ':00')
        exp = ['msgid: ' + r['msgid']]
        if 'name' in r:
            exp.append('name: "%s"' % r['name'])
        exp.append('date: ' + d.astimezone(canberra).strftime('%Y-%m-%d %H:%M:%S'))
        exp.append('author-email: ' + person[r['submitter_id']]['email'].lower())
        if kind == 'patch':
            exp.append('pull-url: ' + (r['pull_url'] or '-'))
            exp.append('hash: ' + (r['hash'] or '-'))
            exp.append('class: ' + ('pull' if r['pull_url'] else 'patch'))
        elif kind == 'cover':
            exp.append('class: cover')
        else:
            exp.append('class: comment')
        write(base + '.expect', '\n'.join(exp) + '\n')

    for r in t['patchwork_patch']:
        emit('patch', r, r['project_id'])
    for r in t['patchwork_cover']:
        emit('cover', r, r['project_id'])
    for r in t['patchwork_patchcomment']:
        emit('patchcomment', r, patch_proj[r['patch_id']])
    for r in t['patchwork_covercomment']:
        emit('covercomment', r, cover_proj[r['cover_id']])


def unescape(s):
    return re.sub(r'\\(\\|r|x[0-9a-f]{2})',
                  lambda m: {'\\': '\\', 'r': '\r'}.get(m.group(1)) or
                  chr(int(m.group(1)[1:], 16)), s)


def block(lines, key):
    for i, line in enumerate(lines):
        if not line.startswith(key + ': '):
            continue
        if line == key + ': none':
            return None
        m = re.match(re.escape(key) + r': \d+ bytes(, no final newline)?$', line)
        out = []
        for line2 in lines[i + 1:]:
            if not line2.startswith('| '):
                break
            out.append(unescape(line2[2:]))
        return '\n'.join(out) + ('' if m.group(1) else '\n')
    return None


def field(lines, key):
    for line in lines:
        if line.startswith(key + ': '):
            return line
    return key + ': ?'


def compare(d):
    bad = n = 0
    for dump in sorted(glob.glob(os.path.join(d, '*.dump'))):
        base = dump[:-5]
        n += 1
        with open(dump, encoding='utf-8') as fh:
            lines = fh.read().split('\n')
        with open(base + '.expect', encoding='utf-8') as fh:
            want = fh.read().split('\n')[:-1]
        problems = []
        for w in want:
            key = w.split(': ', 1)[0]
            got = field(lines, key)
            if key == 'author-email':
                got = got.lower()
            # a 0/N mail with refs is a comment when the project already
            # has a cover of that name: the storing half decides (§7, D1)
            if w == 'class: comment' and got == 'class: cover-or-comment':
                got = w
            if got != w:
                problems.append('want %r, got %r' % (w, got))
        with open(base + '.content', encoding='utf-8', newline='') as fh:
            if block(lines, 'content') != fh.read():
                problems.append('content differs')
        sd = None
        if os.path.exists(base + '.diff'):
            with open(base + '.diff', encoding='utf-8', newline='') as fh:
                sd = fh.read()
        gd = block(lines, 'diff')
        # rebuilding a binary patch into a mail adds the final empty line
        # once more: the splitter's binary state keeps every line
        if sd is not None and 'GIT binary patch' in sd and gd == sd + '\n':
            gd = sd
        if gd != sd:
            problems.append('diff differs')
        if problems:
            bad += 1
            print('%s: %s' % (os.path.basename(base), '; '.join(problems)))
    print('objects: %d, differing: %d' % (n, bad))
    return 1 if bad or n == 0 else 0


if __name__ == '__main__':
    if len(sys.argv) == 4 and sys.argv[1] == 'extract':
        extract(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 3 and sys.argv[1] == 'compare':
        sys.exit(compare(sys.argv[2]))
    else:
        sys.exit(__doc__)
