#!/usr/bin/python3
# waf build of samba-tool spn http-pool: libspnpool (C), its cmocka suites,
# the Python glue and the samba-tool plugin.  Run through ./waf.

import os
import sys

from waflib import Context, Errors, Options
from waflib.Build import BuildContext

APPNAME = 'spnpool'
VERSION = '0.1.0'
top = '.'
out = 'build'

sys.path.insert(0, os.path.join(Context.run_dir, 'selftest'))
import runner  # noqa: E402  (selftest/runner.py: runs the suites)

# (pkg-config name, uselib name, Debian package that provides it)
PKG_DEPS = [
    ('talloc', 'TALLOC', 'libtalloc-dev'),
    ('tevent', 'TEVENT', 'libtevent-dev'),
    ('ldb', 'LDB', 'libldb-dev'),
    ('cmocka', 'CMOCKA', 'libcmocka-dev'),
    ('libxml-2.0', 'XML2', 'libxml2-dev'),
]
PYLDB_PKG = 'pyldb-util.cpython-311-x86_64-linux-gnu'
SAMBA_PYTHON = '/usr/bin/python3'

WARNINGS = ['-Wall', '-Wextra', '-Werror', '-Wshadow',
            '-Wmissing-prototypes', '-Wstrict-prototypes',
            '-Wpointer-arith', '-Wformat=2']
SANITIZE = ['-fsanitize=address,undefined', '-fno-sanitize-recover=all',
            '-fno-omit-frame-pointer']


def options(opt):
    opt.load('compiler_c python')
    grp = opt.add_option_group('spnpool options')
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
    conf.check_cfg(package=PYLDB_PKG, args=['--cflags', '--libs'],
                   uselib_store='PYLDB', msg='Checking for pyldb-util',
                   errmsg='not found: install the Debian package '
                          'python3-ldb-dev')

    if not conf.env.PYTHON:
        conf.env.PYTHON = [SAMBA_PYTHON]
    conf.load('python')
    conf.check_python_version((3, 9))
    try:
        conf.check_python_headers(features='pyext')
    except Errors.ConfigurationError:
        conf.fatal('Python headers not found: install the Debian package '
                   'python3-dev')
    conf.check_python_module('samba', condition=None)

    conf.env.append_value('CFLAGS', ['-std=c11', '-D_DEFAULT_SOURCE', '-g',
                                     '-fvisibility=hidden'] + WARNINGS)
    if Options.options.sanitize:
        conf.env.append_value('CFLAGS', ['-O1'] + SANITIZE)
        conf.env.append_value('LINKFLAGS', SANITIZE)
        conf.env.SANITIZE = True
    else:
        conf.env.append_value('CFLAGS', ['-O2'])
    conf.define('SPNPOOL_VERSION', VERSION)
    conf.env.SPNPOOL_VERSION = VERSION
    configure_python(conf)


LIB_SOURCES = [
    'source/status.c',
    'source/spn.c',
    'source/host.c',
    'source/alias.c',
    'source/conflict.c',
    'source/identity.c',
    'source/dir.c',
    'source/ops.c',
    'source/dns.c',
    'source/check.c',
    'source/audit.c',
    'source/webconfig.c',
    'source/iisconfig.c',
    'source/poolsfile.c',
    'source/plan.c',
    'source/journal.c',
    'source/apply.c',
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

UNIT_TESTS += ['test_plan', 'test_apply']

# Suites that need the AD-shaped tdb:// fixture.
FIXTURE_TESTS = ['test_ops', 'test_check', 'test_audit', 'test_plan',
                 'test_apply']


def build(bld):
    # One set of objects for the shared library and the unit tests, so the
    # tests can reach static-free internals without exporting them.
    bld.objects(source=LIB_SOURCES, target='spnpool_objs',
                includes='source', export_includes='source',
                cflags=['-fPIC'], uselib='TALLOC LDB XML2')
    bld.shlib(source=[], target='spnpool', vnum=VERSION, features='c cshlib',
              use='spnpool_objs', uselib='TALLOC LDB XML2')
    bld.install_files('${PREFIX}/include', ['source/spnpool.h'])
    bld.install_files('${PREFIX}/share/man/man8',
                      ['docs/samba-tool-spn-http-pool.8'])
    build_python(bld)

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


class TestContext(BuildContext):
    '''builds, then runs the test suites (--valgrind, --suite NAME, --all)'''
    cmd = 'test'
    fun = 'build'


class DemoContext(BuildContext):
    '''builds, then walks the seed's situations on a throwaway domain'''
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
    ('plugins/http_pool.py', 'http_pool.py'),
]


def configure_python(conf):
    """Fix two guesses of waf 2.0.15's python tool for Debian's Python."""
    # The extension suffix comes from sysconfig 'SO', which Python 3.11
    # no longer has: the module would be built as a bare "_spnpool".
    if conf.env.pyext_PATTERN == '%s':
        (suffix,) = conf.get_python_variables(
            ["get_config_var('EXT_SUFFIX') or ''"])
        if not suffix:
            conf.fatal('Python reports no EXT_SUFFIX for extensions')
        conf.env.pyext_PATTERN = '%s' + suffix

    # Debian's distutils answers ${PREFIX}/lib/python3/dist-packages,
    # which /usr/bin/python3 searches only for PREFIX=/usr.  Unless the
    # directory was chosen (--pythonarchdir, $PYTHONARCHDIR), take the
    # interpreter's own directory under PREFIX when there is one.  The
    # launcher adds the directory to sys.path anyway, so any prefix works.
    chosen = (getattr(Options.options, 'pythonarchdir', None) or
              'PYTHONARCHDIR' in conf.environ)
    if not chosen:
        show = 'import sys; print("\\n".join(sys.path))'
        out = conf.cmd_and_log(conf.env.PYTHON + ['-c', show],
                               quiet=Context.BOTH)
        path = out.splitlines()
        if conf.env.PYTHONARCHDIR not in path:
            lib = os.path.join(conf.env.PREFIX, 'lib') + os.sep
            for entry in path:
                if (entry.startswith(lib) and
                        entry.endswith(('dist-packages', 'site-packages'))):
                    conf.env.PYTHONARCHDIR = entry
                    break
    conf.msg('Python package directory', conf.env.PYTHONARCHDIR)


def build_python(bld):
    """The extension, the package and the launcher (see the block comment
    above for the layout)."""
    inst = '${PYTHONARCHDIR}/samba_spnpool'
    # Linked with the library's objects, not libspnpool.so: nothing to
    # find at run time but the system's libldb, libtalloc, pyldb-util.
    bld(features='c cshlib pyext',
        source=['python-glue/spnpool_module.c'],
        target=PY_PACKAGE + '/_spnpool',
        use='spnpool_objs', uselib='PYEXT PYLDB TALLOC LDB XML2',
        install_path=inst)
    for src, name in PY_FILES:
        bld(features='subst', is_copy=True, source=src,
            target=PY_PACKAGE + '/' + name, install_path=inst)
    bld(features='subst', source='plugins/samba-tool',
        target='bin/samba-tool', chmod=0o755, install_path='${BINDIR}',
        PYTHON=bld.env.PYTHON[0], PYTHONARCHDIR=bld.env.PYTHONARCHDIR)
