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


LIB_SOURCES = [
    'source/status.c',
    'source/spn.c',
    'source/host.c',
    'source/alias.c',
    'source/conflict.c',
]

UNIT_TESTS = [
    'test_spn',
    'test_host',
    'test_alias',
    'test_conflict',
]


def build(bld):
    # One set of objects for the shared library and the unit tests, so the
    # tests can reach static-free internals without exporting them.
    bld.objects(source=LIB_SOURCES, target='spnpool_objs',
                includes='source', export_includes='source',
                cflags=['-fPIC'], uselib='TALLOC LDB')
    bld.shlib(source=[], target='spnpool', vnum=VERSION, features='c cshlib',
              use='spnpool_objs', uselib='TALLOC LDB')
    bld.install_files('${PREFIX}/include', ['source/spnpool.h'])

    for name in UNIT_TESTS:
        bld.program(source=['selftest/unit/%s.c' % name], target=name,
                    includes='source selftest/unit', use='spnpool_objs',
                    uselib='CMOCKA TALLOC LDB', install_path=None)

    bld.env.UNIT_TESTS = UNIT_TESTS
    if bld.cmd == 'test':
        bld.add_post_fun(runner.run_from_waf)


class TestContext(BuildContext):
    '''builds, then runs the test suites (--valgrind, --suite NAME)'''
    cmd = 'test'
    fun = 'build'
