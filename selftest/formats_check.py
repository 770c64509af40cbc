#!/usr/bin/python3
"""The pools-file and journal formats have one source: docs/formats.md.

Every block of docs/formats.md introduced by
``<!-- checked: NAME (lines|words) -->`` must appear, unchanged, in each
copy listed in COPIES: the help that `plan` and `undo` print (the
``__doc__`` of their classes in plugins/http_pool.py, evaluated from the
source without importing Samba), the man page and the parsers' top
comments.  ``lines`` blocks (examples, grammars, record lists) must
appear line for line, blanks within a line not counting; ``words``
blocks (prose) as the same run of words, however wrapped.

    formats_check.py [--top DIR] [--stamp FILE]

Exits 1 naming each copy that differs; run by `./waf build`.
"""

import ast
import os
import re
import sys

# block -> the copies that must carry it
COPIES = {
    'pools-example': ['help:cmd_spn_http_pool_plan', 'man', 'c:source/poolsfile.c'],
    'pools-grammar': ['help:cmd_spn_http_pool_plan', 'man', 'c:source/poolsfile.c'],
    'pools-rules': ['help:cmd_spn_http_pool_plan', 'man', 'c:source/poolsfile.c'],
    'pools-keys': ['help:cmd_spn_http_pool_plan', 'man'],
    'journal-records': ['help:cmd_spn_http_pool_undo', 'man', 'c:source/journal.c'],
    'journal-encoding': ['help:cmd_spn_http_pool_undo', 'man', 'c:source/journal.c'],
}

DOCS = 'docs/formats.md'
MAN = 'docs/samba-tool-spn-http-pool.8'
PLUGIN = 'plugins/http_pool.py'

MARKER = re.compile(r'^<!-- checked: ([a-z-]+) \((lines|words)\) -->$')


def read(top, path):
    with open(os.path.join(top, path), encoding='utf-8') as f:
        return f.read()


def doc_blocks(text):
    """{name: (mode, [lines])} of the checked blocks of docs/formats.md."""
    blocks = {}
    lines = text.split('\n')
    i = 0
    while i < len(lines):
        m = MARKER.match(lines[i])
        i += 1
        if not m:
            continue
        if i >= len(lines) or lines[i] != '```':
            raise SystemExit('%s: the block %s must follow its marker '
                             'directly' % (DOCS, m.group(1)))
        end = lines.index('```', i + 1)
        blocks[m.group(1)] = (m.group(2), lines[i + 1:end])
        i = end + 1
    return blocks


class StringEvaluator(ast.NodeVisitor):
    """Module-level str constants and class __doc__ strings made of
    literals, names of such constants and '+'."""

    def __init__(self):
        self.names = {}
        self.docs = {}

    def value(self, node):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            return self.names.get(node.id)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self.value(node.left), self.value(node.right)
            if left is not None and right is not None:
                return left + right
        return None

    def run(self, tree):
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and \
                    isinstance(node.targets[0], ast.Name):
                v = self.value(node.value)
                if v is not None:
                    self.names[node.targets[0].id] = v
            elif isinstance(node, ast.ClassDef):
                doc = ast.get_docstring(node, clean=False)
                for item in node.body:
                    if isinstance(item, ast.Assign) and \
                            len(item.targets) == 1 and \
                            isinstance(item.targets[0], ast.Name) and \
                            item.targets[0].id == '__doc__':
                        doc = self.value(item.value)
                if doc is not None:
                    self.docs[node.name] = doc
        return self


GROFF = [(r'\-', '-'), (r'\e', '\\'), (r'\(aq', "'"), (r'\(dq', '"'),
         (r'\fB', ''), (r'\fI', ''), (r'\fR', ''), (r'\fP', ''),
         (r'\&', ''), (r'\ ', ' ')]
FONT_MACROS = ('.B', '.I', '.BR', '.RB', '.IR', '.RI', '.BI', '.IB')


def groff_text(text):
    """The man page as plain lines: escapes resolved, font macros turned
    into their text, other requests and comments dropped."""
    out = []
    for line in text.split('\n'):
        if line.startswith('.\\"'):
            continue
        if line.startswith('.'):
            macro, _, args = line.partition(' ')
            if macro not in FONT_MACROS:
                out.append('')
                continue
            parts = re.findall(r'"[^"]*"|\S+', args)
            parts = [p[1:-1] if p.startswith('"') else p for p in parts]
            line = (' ' if macro in ('.B', '.I') else '').join(parts)
        for esc, plain in GROFF:
            line = line.replace(esc, plain)
        out.append(line)
    return '\n'.join(out)


def c_comment(text):
    """The top comment of a C file, without its ' * ' margin."""
    start = text.index('/*')
    end = text.index('*/', start)
    lines = text[start + 2:end].split('\n')
    return '\n'.join(re.sub(r'^\s*\*?', '', line) for line in lines)


def norm_lines(lines):
    return [' '.join(line.split()) for line in lines]


def contains(haystack, needle):
    n = len(needle)
    return any(haystack[i:i + n] == needle
               for i in range(len(haystack) - n + 1))


def copies(top):
    """{copy name: text}."""
    evaluator = StringEvaluator().run(ast.parse(read(top, PLUGIN)))
    out = {'man': groff_text(read(top, MAN))}
    for names in COPIES.values():
        for name in names:
            kind, _, what = name.partition(':')
            if kind == 'help':
                if what not in evaluator.docs:
                    raise SystemExit('%s: no help text of %s could be read '
                                     '(its __doc__ must be made of string '
                                     'literals and module-level string '
                                     'constants joined with +)' %
                                     (PLUGIN, what))
                out[name] = evaluator.docs[what]
            elif kind == 'c':
                out[name] = c_comment(read(top, what))
    return out


def check(top):
    """The list of differences found (empty: all copies agree)."""
    blocks = doc_blocks(read(top, DOCS))
    texts = copies(top)
    problems = []
    for name, targets in COPIES.items():
        if name not in blocks:
            problems.append('%s: no checked block %s' % (DOCS, name))
            continue
        mode, lines = blocks[name]
        for target in targets:
            text = texts[target]
            if mode == 'lines':
                ok = contains(norm_lines(text.split('\n')), norm_lines(lines))
            else:
                ok = contains(text.split(), ' '.join(lines).split())
            if not ok:
                where = {'man': MAN}.get(target, target)
                problems.append('%s differs from %s, block %s (%s)' %
                                (where, DOCS, name, mode))
    return problems


def main(argv):
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    stamp = None
    args = list(argv)
    while args:
        opt = args.pop(0)
        if opt == '--top':
            top = args.pop(0)
        elif opt == '--stamp':
            stamp = args.pop(0)
        else:
            raise SystemExit(__doc__)
    problems = check(top)
    for p in problems:
        print('formats-check: ' + p, file=sys.stderr)
    if problems:
        print('formats-check: the formats are defined in %s; bring the '
              'copies in step with it' % DOCS, file=sys.stderr)
        return 1
    if stamp:
        with open(stamp, 'w') as f:
            f.write('ok\n')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
