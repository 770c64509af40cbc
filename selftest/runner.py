"""Runs the test suites for `./waf test` and prints one summary line.

Kept out of the wscript so the build description stays short.  Each suite
is a list of commands; a command passes when it exits 0.  Test counts are
read from cmocka's "[  PASSED  ] N test(s)." / "[  FAILED  ] N test(s)"
lines and from unittest's "Ran N tests" so that the closing line counts
tests, not programs.
"""

import os
import re
import subprocess
import sys

from waflib import Errors, Options

SUITES = ('unit', 'integration', 'kerberos')

VALGRIND = ['valgrind', '--quiet', '--error-exitcode=99',
            '--leak-check=full', '--show-leak-kinds=definite,indirect',
            '--errors-for-leak-kinds=definite,indirect',
            '--track-origins=yes']

CMOCKA_PASSED = re.compile(r'^\[  PASSED  \] (\d+) test', re.M)
CMOCKA_FAILED = re.compile(r'^\[  FAILED  \] (\d+) test', re.M)
UNITTEST_RAN = re.compile(r'^Ran (\d+) tests?', re.M)
UNITTEST_SUMMARY = re.compile(r'^(?:FAILED|OK) \((.*)\)$', re.M)
UNITTEST_COUNT = re.compile(r'([a-z ]+)=(\d+)')


def count(output):
    """(passed, failed) test counts found in a suite's output."""
    passed = sum(int(n) for n in CMOCKA_PASSED.findall(output))
    failed = sum(int(n) for n in CMOCKA_FAILED.findall(output))
    ran = sum(int(n) for n in UNITTEST_RAN.findall(output))
    if ran:
        counts = {}
        for summary in UNITTEST_SUMMARY.findall(output):
            for key, n in UNITTEST_COUNT.findall(summary):
                key = key.strip()
                counts[key] = counts.get(key, 0) + int(n)
        bad = (counts.get('failures', 0) + counts.get('errors', 0) +
               counts.get('unexpected successes', 0))
        skipped = counts.get('skipped', 0)
        passed += ran - bad - skipped
        failed += bad
    return passed, failed


def run_command(argv, env=None):
    """Run one test command, echo its output, return (ok, output)."""
    print('==> ' + ' '.join(argv), flush=True)
    proc = subprocess.run(argv, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, env=env,
                          universal_newlines=True, errors='replace')
    sys.stdout.write(proc.stdout)
    if proc.returncode != 0:
        print('==> FAILED (exit %d): %s' % (proc.returncode, argv[0]))
    return proc.returncode == 0, proc.stdout


def unit_commands(bld):
    """The cmocka programs of the build, optionally under valgrind."""
    wrap = VALGRIND if Options.options.valgrind else []
    names = bld.env.UNIT_TESTS or []
    return [wrap + [bld.bldnode.find_node(name).abspath()]
            for name in names]


def python_suite_commands(bld, name):
    """A unittest discovery of selftest/<name>, inside the private
    network namespace (selftest/netns-run), against the build tree."""
    top = bld.path.abspath()
    return [[os.path.join(top, 'selftest', 'netns-run'),
             bld.env.PYTHON[0], '-m', 'unittest', 'discover', '-v',
             '-s', os.path.join(top, 'selftest', name),
             '-t', os.path.join(top, 'selftest', name)]]


def run_from_waf(bld):
    """Post-build function of `./waf test`."""
    wanted = Options.options.suite or list(SUITES)
    for name in wanted:
        if name not in SUITES:
            raise Errors.WafError('unknown suite %r (known: %s)' %
                                  (name, ', '.join(SUITES)))
    env = dict(os.environ)
    if bld.env.SANITIZE:
        env['ASAN_OPTIONS'] = 'detect_leaks=1:abort_on_error=0'
        env['UBSAN_OPTIONS'] = 'print_stacktrace=1:halt_on_error=1'
        # ldb dlopen()s its backends with RTLD_DEEPBIND, which ASan
        # refuses; ldb honours this switch for exactly that case.
        env['LDB_MODULES_DISABLE_DEEPBIND'] = '1'

    commands = []
    if 'unit' in wanted:
        commands += unit_commands(bld)
    if 'integration' in wanted:
        commands += python_suite_commands(bld, 'integration')
    if 'kerberos' in wanted:
        commands += python_suite_commands(bld, 'kerberos')
    passed = failed = 0
    broken = []
    for argv in commands:
        ok, output = run_command(argv, env)
        p, f = count(output)
        passed += p
        failed += f
        if not ok:
            broken.append(os.path.basename(argv[-1]))
            if f == 0:
                failed += 1
    if Options.options.all and not bld.env.SANITIZE:
        for argv, extra_env in extra_passes(bld):
            ok, output = run_command(argv, dict(env, **extra_env))
            p, f = count(output)
            passed += p
            failed += f
            if not ok:
                broken.append(' '.join(argv[-3:]))
                if f == 0:
                    failed += 1
    print('tests: %d passed, %d failed' % (passed, failed))
    if broken:
        raise Errors.WafError('failing: ' + ', '.join(broken))


# The names Samba's selftest gives its ad_dc environment (setup_ad_dc and
# provision_ad_dc in Samba's selftest/target/Samba4.pm; the same in 4.17
# and 4.22).  With --all the domain suites run once more on a throwaway DC
# provisioned with them, as the suites would see that environment.
SAMBA_AD_DC = {
    'REALM': 'ADDOM.SAMBA.EXAMPLE.COM', 'DNSNAME': 'addom.samba.example.com',
    'DOMAIN': 'ADDOMAIN', 'SERVER': 'addc', 'DC_SERVER': 'addc',
    'NETBIOSNAME': 'ADDC', 'USERNAME': 'Administrator',
    'DC_USERNAME': 'Administrator', 'PASSWORD': 'locDCpass1',
    'DC_PASSWORD': 'locDCpass1',
}


def extra_passes(bld):
    """--all: the C suites under valgrind, then in an ASan/UBSan build of
    their own (build-asan/, own lock file), then the integration and
    kerberos suites in a domain named as Samba's ad_dc; each a separate
    waf run."""
    waf = [bld.env.PYTHON[0], os.path.join(bld.path.abspath(), 'waf')]
    asan = {'WAFLOCK': '.lock-waf-asan'}
    return [
        (waf + ['test', '--suite', 'unit', '--valgrind'], {}),
        (waf + ['configure', '--out=build-asan', '--sanitize', 'build',
                'test', '--suite', 'unit'], asan),
        (waf + ['test', '--suite', 'integration', '--suite', 'kerberos'],
         dict(SAMBA_AD_DC, SPNPOOL_SKIP_DC_PAIR='1')),
    ]


def run_demo(bld):
    """Post-build function of `./waf demo`."""
    demo = os.path.join(bld.path.abspath(), 'selftest', 'demo.py')
    proc = subprocess.run([bld.env.PYTHON[0], demo])
    if proc.returncode != 0:
        raise Errors.WafError('demo failed (exit %d)' % proc.returncode)
