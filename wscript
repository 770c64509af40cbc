#!/usr/bin/python3
# waf build of samba-tool spn http-pool: libspnpool (C), its cmocka suites,
# the Python glue and the samba-tool plugin.  Run through ./waf.

import json
import os
import re
import shutil
import subprocess
import sys

from waflib import Context, Errors, Logs, Options
from waflib.Build import BuildContext

APPNAME = 'spnpool'
VERSION = '0.1.0'
top = '.'
out = 'build'

sys.path.insert(0, os.path.join(Context.run_dir, 'selftest'))
import runner  # noqa: E402  (selftest/runner.py: runs the suites)

# (pkg-config name, uselib name, Debian package that provides it).  Only
# what source/ and python-glue/ include or link: tevent comes with
# libldb-dev (ldb.h includes tevent.h) and is not used directly; no
# other Samba library is (docs/design.md, "Build dependencies").
PKG_DEPS = [
    ('talloc', 'TALLOC', 'libtalloc-dev'),
    ('ldb', 'LDB', 'libldb-dev'),
    ('cmocka', 'CMOCKA', 'libcmocka-dev'),
    ('libxml-2.0', 'XML2', 'libxml2-dev'),
]

WARNINGS = ['-Wall', '-Wextra', '-Werror', '-Wshadow',
            '-Wmissing-prototypes', '-Wstrict-prototypes',
            '-Wpointer-arith', '-Wformat=2']
SANITIZE = ['-fsanitize=address,undefined', '-fno-sanitize-recover=all',
            '-fno-omit-frame-pointer']


def options(opt):
    opt.load('compiler_c')
    grp = opt.add_option_group('spnpool options')
    grp.add_option('--python', default=None,
                   help='configure: the Python interpreter that can import '
                        'Samba\'s modules (default: the first python3 on '
                        'PATH, then in /usr/bin, that can)')
    grp.add_option('--pythondir', default=None,
                   help='configure: where to install the samba_spnpool '
                        'package (default: the interpreter\'s own '
                        'package directory under PREFIX)')
    grp.add_option('--samba-tool', dest='samba_tool', default=None,
                   help='configure: the stock samba-tool the launcher '
                        'runs (default: samba-tool of the Samba whose '
                        'Python modules were found)')
    grp.add_option('--sanitize', action='store_true', default=False,
                   help='configure: build with ASan and UBSan')
    grp.add_option('--valgrind', action='store_true', default=False,
                   help='test: run the C suites under valgrind memcheck')
    grp.add_option('--suite', action='append', default=[],
                   help='test: run only this suite (repeatable): '
                        'unit, integration, kerberos')
    grp.add_option('--all', action='store_true', default=False,
                   help='test: every suite, then the C suites again under '
                        'valgrind and in an ASan/UBSan build (build-asan/)')


def configure(conf):
    conf.load('compiler_c')
    for pkg, store, deb in PKG_DEPS:
        conf.check_cfg(package=pkg, args=['--cflags', '--libs'],
                       uselib_store=store,
                       errmsg='not found: install the Debian package ' + deb)
    check_ldb_interfaces(conf)
    conf.env.append_value('CFLAGS', ['-std=c11', '-D_DEFAULT_SOURCE', '-g',
                                     '-fvisibility=hidden'] + WARNINGS)
    if Options.options.sanitize:
        conf.env.append_value('CFLAGS', ['-O1'] + SANITIZE)
        conf.env.append_value('LINKFLAGS', SANITIZE)
        conf.env.SANITIZE = True
    else:
        conf.env.append_value('CFLAGS', ['-O2'])
    if conf.find_program('clang-format', var='CLANG_FORMAT',
                         mandatory=False):
        conf.env.CLANG_FORMAT_MAJOR = clang_format_major(
            conf.cmd_and_log(conf.env.CLANG_FORMAT + ['--version'],
                             quiet=Context.BOTH))
    conf.define('SPNPOOL_VERSION', VERSION)
    conf.env.SPNPOOL_VERSION = VERSION
    configure_python(conf)


# The C interfaces of ldb the library uses beyond ldb.h's basics (public
# in every libldb the project supports; docs/design.md, "Samba
# interfaces").  One link check, so a libldb without one of them fails
# configure with its name rather than the build with a compiler error.
LDB_FRAGMENT = r'''
#include <talloc.h>
#include <ldb.h>
#include <ldb_module.h>
int main(void)
{
	struct ldb_context *ldb = ldb_init(NULL, NULL);
	struct ldb_request *req = NULL;
	ldb_asprintf_errstring(ldb, "%s", "x");
	ldb_set_errstring(ldb, "x");
	ldb_reset_err_string(ldb);
	ldb_debug(ldb, LDB_DEBUG_TRACE, "%s", "x");
	(void)ldb_build_search_req(&req, ldb, ldb, NULL, LDB_SCOPE_BASE,
				   NULL, NULL, NULL, NULL,
				   ldb_search_default_callback, NULL);
	(void)ldb_request_add_control(req, LDB_CONTROL_PAGED_RESULTS_OID,
				      false, NULL);
	(void)ldb_msg_check_string_attribute(NULL, "a", "b");
	(void)ldb_ldif_message_string(ldb, ldb, LDB_CHANGETYPE_MODIFY, NULL);
	(void)ldb_binary_encode_string(ldb, "x");
	talloc_free(ldb);
	return 0;
}
'''


def check_ldb_interfaces(conf):
    version = conf.check_cfg(modversion='ldb', msg='Checking ldb version')
    conf.check(fragment=LDB_FRAGMENT, uselib='LDB TALLOC', execute=False,
               msg='Checking ldb\'s module-side functions',
               errmsg='missing: libldb-dev must provide ldb_module.h with '
                      'ldb_asprintf_errstring, ldb_debug, '
                      'ldb_build_search_req and ldb_ldif_message_string '
                      '(ldb %s found)' % version)


LIB_SOURCES = [
    'source/status.c',
    'source/spn.c',
    'source/host.c',
    'source/alias.c',
    'source/conflict.c',
    'source/identity.c',
    'source/dir.c',
    'source/ops.c',
    'source/access.c',
    'source/dns.c',
    'source/check.c',
    'source/audit.c',
    'source/webconfig.c',
    'source/iisconfig.c',
    'source/poolsfile.c',
    'source/plan.c',
    'source/journal.c',
    'source/apply.c',
    'source/dcdiff.c',
    'source/ranged.c',
    'source/winerr.c',
    'source/kdcmodel.c',
]

UNIT_TESTS = [
    'test_spn',
    'test_host',
    'test_alias',
    'test_conflict',
    'test_ops',
    'test_dns',
    'test_check',
    'test_audit',
    'test_iisconfig',
    'test_poolsfile',
]

UNIT_TESTS += ['test_plan', 'test_apply', 'test_dcdiff', 'test_winerr']

# Suites that need the AD-shaped tdb:// fixture.
FIXTURE_TESTS = ['test_ops', 'test_check', 'test_audit', 'test_plan',
                 'test_apply', 'test_dcdiff']


def build(bld):
    # One set of objects for the Python extension, the unit tests, the
    # fuzz replay and the benchmark driver.  libspnpool is not a public
    # library: no shared object and no header are built or installed
    # (docs/design.md, "libspnpool is internal").
    bld.objects(source=LIB_SOURCES, target='spnpool_objs',
                includes='source', export_includes='source',
                cflags=['-fPIC'], uselib='TALLOC LDB XML2')
    bld.install_files('${PREFIX}/share/man/man8',
                      ['docs/samba-tool-spn-http-pool.8'])
    build_python(bld)
    _build_checks(bld)

    for name in UNIT_TESTS:
        sources = ['selftest/unit/%s.c' % name]
        if name in FIXTURE_TESTS:
            sources.append('selftest/unit/ad_fixture.c')
        bld.program(source=sources, target=name,
                    includes='source selftest/unit', use='spnpool_objs',
                    defines=['SPNPOOL_FIXTURES="%s"' %
                             bld.path.find_dir('selftest/fixtures')
                             .abspath()],
                    uselib='CMOCKA TALLOC LDB XML2', install_path=None)

    # The fuzz targets, replayed over their corpus as a cmocka suite.
    bld.program(source=['selftest/fuzz/fuzz_parsers.c',
                        'selftest/fuzz/replay.c'],
                target='test_fuzz_replay',
                includes='source selftest/fuzz', use='spnpool_objs',
                defines=['SPNPOOL_FUZZ_CORPUS="%s"' %
                         bld.path.find_dir('selftest/fuzz/corpus').abspath()],
                uselib='CMOCKA TALLOC LDB XML2', install_path=None)

    # The audit benchmark's C driver (selftest/bench/bench_audit.py).
    bld.program(source=['selftest/bench/bench_audit.c'],
                target='bench_audit', includes='source',
                use='spnpool_objs', uselib='TALLOC LDB XML2',
                install_path=None)

    bld.env.UNIT_TESTS = UNIT_TESTS + ['test_fuzz_replay']
    if bld.cmd == 'test':
        bld.add_post_fun(runner.run_from_waf)
    elif bld.cmd == 'demo':
        bld.add_post_fun(runner.run_demo)


# The C files .clang-format governs (the house style: docs/design.md,
# "C layout").
FORMAT_GLOBS = ['source/*.c', 'source/*.h', 'python-glue/*.c']

# The one switch of the layout check.  True: every `./waf build` (so
# every `./waf test`) fails on a file clang-format would change; lay a
# file out with `clang-format -i FILE`.  `./waf format-check` runs the
# check whatever this says.
FORMAT_ENFORCED = True

# clang-format's layout can change between major versions; the build
# enforces the layout only with the reference one (Debian 12's), so that
# Debian 13's clang-format 19 cannot fail a build of a formatted tree.
FORMAT_REFERENCE_MAJOR = 14


def clang_format_major(version_text):
    m = re.search(r'clang-format version (\d+)', version_text)
    return int(m.group(1)) if m else 0


def format_files(path):
    return sorted((n for g in FORMAT_GLOBS for n in path.ant_glob(g)),
                  key=lambda n: n.abspath())


def _build_checks(bld):
    """Checks run by every build: the copies of the file formats agree
    with docs/formats.md; with FORMAT_ENFORCED and clang-format found by
    configure, each C file is laid out as .clang-format says."""
    deps = ['docs/formats.md', 'docs/samba-tool-spn-http-pool.8',
            'plugins/http_pool.py', 'source/poolsfile.c',
            'source/journal.c', 'selftest/formats_check.py']
    bld(rule='${PYTHON} ${SRC[-1].abspath()} --top %s --stamp ${TGT}' %
        bld.path.abspath(), source=deps, target='checks/formats.ok')
    if (not FORMAT_ENFORCED or not bld.env.CLANG_FORMAT or
            bld.env.CLANG_FORMAT_MAJOR != FORMAT_REFERENCE_MAJOR):
        return
    style = bld.path.find_node('.clang-format')
    for node in format_files(bld.path):
        bld(rule='${CLANG_FORMAT} --dry-run --Werror ${SRC[0].abspath()} '
                 '&& touch ${TGT}',
            source=[node, style],
            target='checks/' + node.path_from(bld.path) + '.formatted')


def _format_check(ctx):
    '''checks that the C files are laid out as .clang-format says'''
    tool = shutil.which('clang-format')
    if not tool:
        ctx.fatal('clang-format not found: install the Debian package '
                  'clang-format (selftest/install-deps.sh does)')
    major = clang_format_major(subprocess.run(
        [tool, '--version'], stdout=subprocess.PIPE,
        universal_newlines=True).stdout)
    if major != FORMAT_REFERENCE_MAJOR:
        Logs.warn('format-check: clang-format %d, the reference is %d: '
                  'differences may be the version\'s' %
                  (major, FORMAT_REFERENCE_MAJOR))
    files = [n.abspath() for n in format_files(ctx.path)]
    proc = subprocess.run([tool, '--dry-run', '--Werror'] + files,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True)
    shown = proc.stdout.split('\n')
    sys.stdout.write('\n'.join(shown[:60]) + '\n')
    if len(shown) > 60:
        Logs.warn('(%d more lines)' % (len(shown) - 60))
    bad = sorted(set(re.findall(r'^(\S+?):\d+:\d+: error', proc.stdout,
                                re.M)))
    if proc.returncode != 0:
        ctx.fatal('%d of %d files are not formatted (%s); reformat with: '
                  'clang-format -i %s' %
                  (len(bad), len(files),
                   ', '.join(os.path.relpath(f) for f in bad) or '?',
                   ' '.join(FORMAT_GLOBS)))
    Logs.info('format-check: %d files laid out as .clang-format says' %
              len(files))


class FormatCheckContext(Context.Context):
    '''checks that source/ and python-glue/ C files match .clang-format'''
    cmd = 'format-check'
    fun = '_format_check'


class TestContext(BuildContext):
    '''builds, then runs the test suites (--valgrind, --suite NAME, --all)'''
    cmd = 'test'
    fun = 'build'


class DemoContext(BuildContext):
    '''builds, then walks the admin guide's situations on a scratch domain'''
    cmd = 'demo'
    fun = 'build'


# ------------------------------------------------------------------------
# Python glue (python-glue/) and the samba-tool plugin (plugins/).
#
# Build tree:  build/python/samba_spnpool/{__init__,http_pool}.py and
#              _spnpool<EXT_SUFFIX>; build/bin/samba-tool (the launcher,
#              which finds build/python from its own location).
# Installed:   ${PYTHONARCHDIR}/samba_spnpool/ (package and extension in
#              one directory) and ${BINDIR}/samba-tool (mode 755).
# ------------------------------------------------------------------------

PY_PACKAGE = 'python/samba_spnpool'
PY_FILES = [
    ('python-glue/samba_spnpool/__init__.py', '__init__.py'),
    ('python-glue/samba_spnpool/interfaces.py', 'interfaces.py'),
    ('python-glue/samba_spnpool/render.py', 'render.py'),
    ('python-glue/samba_spnpool/exitcodes.py', 'exitcodes.py'),
    ('plugins/http_pool.py', 'http_pool.py'),
]


# What configure asks the interpreter (sysconfig and sys only: distutils
# is gone from Python 3.12, and waf 2.0.15's python tool still uses it).
PY_QUERY = r'''
import json, os, sys, sysconfig
paths = sysconfig.get_paths()
print(json.dumps({
    "version": "%d.%d.%d" % sys.version_info[:3],
    "include": paths.get("include"),
    "platinclude": paths.get("platinclude"),
    "ext_suffix": sysconfig.get_config_var("EXT_SUFFIX"),
    "path": [p for p in sys.path if p],
}))
'''


def find_samba_python(conf):
    """The interpreter that can import samba: --python, else the first
    python3 on PATH that can, else the system's.  Another python3 may come
    first on PATH (pyenv, a venv) and cannot load Samba's modules."""
    if Options.options.python:
        candidates = [Options.options.python]
    else:
        path = conf.environ.get('PATH', '').split(os.pathsep)
        candidates = [os.path.join(d, 'python3') for d in path if d]
        candidates.append('/usr/bin/python3')
    tried = []
    for cand in candidates:
        if not os.access(cand, os.X_OK) or cand in tried:
            continue
        tried.append(cand)
        try:
            conf.cmd_and_log([cand, '-c', 'import samba'],
                             quiet=Context.BOTH)
        except Errors.WafError:
            continue
        return cand
    conf.fatal('no python3 that can import samba (tried %s): install the '
               'Debian package python3-samba, or give --python' %
               (', '.join(tried) or 'none'))


def configure_python(conf):
    """The interpreter, its headers and extension suffix, the install
    directory, Samba's Python interfaces and the stock samba-tool; each
    derived from the interpreter, none named by hand."""
    python = find_samba_python(conf)
    conf.env.PYTHON = [python]
    info = json.loads(conf.cmd_and_log([python, '-c', PY_QUERY],
                                       quiet=Context.BOTH))
    conf.msg('Python that imports samba', '%s (%s)' %
             (python, info['version']))
    if not info['ext_suffix']:
        conf.fatal('%s reports no EXT_SUFFIX for extensions' % python)
    conf.env.PYEXT_SUFFIX = info['ext_suffix']
    includes = [d for d in (info['include'], info['platinclude']) if d]
    conf.check(header_name='Python.h', includes=includes,
               uselib_store='PYEXT', msg='Checking for Python.h',
               errmsg='not found: install the Debian package python3-dev')
    conf.env.INCLUDES_PYEXT = includes

    # Samba's Python interfaces, and the layout of ldb.Ldb the glue reads.
    script = conf.path.find_node(
        'python-glue/samba_spnpool/interfaces.py').abspath()
    try:
        version = conf.cmd_and_log([python, script],
                                   quiet=Context.BOTH).strip()
    except Errors.WafError as e:
        conf.fatal((getattr(e, 'stdout', '') or str(e)).strip())
    conf.msg('Samba Python interfaces', 'Samba ' + version)

    # Debian's python3 searches ${PREFIX}/lib/python3/dist-packages for
    # PREFIX=/usr and /usr/local/lib/python3.N/dist-packages: take the
    # interpreter's own directory under PREFIX, so the package is found
    # without help (the launcher adds the directory to sys.path anyway).
    pydir = Options.options.pythondir or conf.environ.get('PYTHONDIR')
    if not pydir:
        lib = os.path.join(conf.env.PREFIX, 'lib') + os.sep
        for entry in info['path']:
            if (entry.startswith(lib) and
                    entry.endswith(('dist-packages', 'site-packages'))):
                pydir = entry
                break
    if not pydir:
        conf.fatal('%s has no package directory under %s: give '
                   '--pythondir' % (python, conf.env.PREFIX))
    conf.env.PYTHONARCHDIR = pydir
    conf.msg('Python package directory', pydir)

    # The stock samba-tool the launcher hands every command to.
    tool = Options.options.samba_tool
    if not tool:
        prefix = os.path.dirname(os.path.dirname(python))
        tool = os.path.join(prefix, 'bin', 'samba-tool')
    if not os.path.isfile(tool):
        if not Options.options.samba_tool:
            conf.fatal('stock samba-tool not found at %s: install the '
                       'Debian package samba-common-bin, or give '
                       '--samba-tool' % tool)
        # Given by hand, e.g. the path a package's dpkg-divert moves the
        # stock script to (debian/): it exists only once that is installed.
        Logs.warn('stock samba-tool %s does not exist yet; the launcher '
                  'looks for it at run time' % tool)
    conf.env.SAMBA_TOOL = tool
    conf.msg('Stock samba-tool', tool)


def build_python(bld):
    """The extension, the package and the launcher (see the block comment
    above for the layout)."""
    inst = '${PYTHONARCHDIR}/samba_spnpool'
    # Linked with the library's objects, not libspnpool.so: nothing to
    # find at run time but the system's libldb and libtalloc.  No Samba
    # library of Python's (pyldb-util is private from Samba 4.21 on).
    pyenv = bld.env.derive()
    pyenv.cshlib_PATTERN = '%s' + bld.env.PYEXT_SUFFIX
    bld(features='c cshlib', env=pyenv,
        source=['python-glue/spnpool_module.c'],
        target=PY_PACKAGE + '/_spnpool',
        use='spnpool_objs', uselib='PYEXT TALLOC LDB XML2',
        install_path=inst)
    for src, name in PY_FILES:
        bld(features='subst', is_copy=True, source=src,
            target=PY_PACKAGE + '/' + name, install_path=inst)
    bld(features='subst', source='plugins/samba-tool',
        target='bin/samba-tool', chmod=0o755, install_path='${BINDIR}',
        PYTHON=bld.env.PYTHON[0], PYTHONARCHDIR=bld.env.PYTHONARCHDIR,
        SAMBA_TOOL=bld.env.SAMBA_TOOL)
