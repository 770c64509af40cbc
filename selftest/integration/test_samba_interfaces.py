"""The Samba interfaces the project relies on, on the Samba installed here.

- The glue borrows the ldb context of an ldb.Ldb by reading pyldb's
  object layout (no public API does it from Samba 4.21 on); anything that
  is not really an ldb.Ldb of that layout is refused with a Python
  exception, never a crash.
- The launcher runs the stock samba-tool: every command but
  `spn http-pool` prints and exits exactly as /usr/bin/samba-tool does.
- samba_spnpool.interfaces names a missing interface in one line.

Each refusal that could crash the interpreter runs in a child process,
so a crash fails the test instead of killing the suite.
"""

import os
import subprocess
import sys
import textwrap
import unittest

from common import REPO, SAMBA_TOOL, DCTestCase

BUILD_PYTHON = os.path.join(REPO, 'build', 'python')
PYTHON = sys.executable


def run_python(code, env=None):
    """(exit code, stdout, stderr) of CODE in a fresh interpreter that
    finds the build tree's samba_spnpool."""
    full_env = dict(os.environ, PYTHONPATH=BUILD_PYTHON)
    full_env.update(env or {})
    proc = subprocess.run([PYTHON, '-c', textwrap.dedent(code)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, env=full_env,
                          timeout=120)
    return proc.returncode, proc.stdout, proc.stderr


class GlueRefusesWhatIsNotAnLdb(unittest.TestCase):

    def assertRefused(self, code, exc_name, needle):
        rc, out, err = run_python(code)
        self.assertEqual(rc, 0, 'child failed (exit %d; a negative exit '
                         'is a signal, i.e. a crash):\n%s%s' % (rc, out, err))
        self.assertIn('refused %s: ' % exc_name, out)
        self.assertIn(needle, out)

    def test_foreign_objects_are_refused_with_type_error(self):
        self.assertRefused('''
            from samba_spnpool import _spnpool
            for obj in (object(), {}, None, 42, "ldap://x", b"\\0" * 64):
                try:
                    _spnpool.list(obj, "Administrator")
                except TypeError as e:
                    print("refused TypeError:", e)
                else:
                    print("ACCEPTED", type(obj))
        ''', 'TypeError', 'samdb must be an ldb.Ldb (a SamDB), not object')
        rc, out, _ = run_python('''
            from samba_spnpool import _spnpool
            for obj in (object(), {}, None, 42, "ldap://x", b"\\0" * 64):
                try:
                    _spnpool.list(obj, "Administrator")
                except TypeError as e:
                    print("refused TypeError:", e)
        ''')
        self.assertEqual(out.count('refused TypeError'), 6, out)

    def test_a_lookalike_type_named_ldb_Ldb_is_refused(self):
        # Same module and class name, and a bigger instance layout whose
        # pointer-sized fields a blind cast would read as pointers.
        self.assertRefused('''
            import ctypes
            from samba_spnpool import _spnpool
            class Ldb(ctypes.Structure):
                _fields_ = [("mem_ctx", ctypes.c_void_p),
                            ("ldb_ctx", ctypes.c_void_p)]
            Ldb.__module__ = "ldb"
            fake = Ldb(0xdeadbeef, 0xdeadbeef)
            try:
                _spnpool.list(fake, "Administrator")
            except TypeError as e:
                print("refused TypeError:", e)
        ''', 'TypeError', 'not Ldb')

    def test_a_subclass_of_another_type_is_refused(self):
        self.assertRefused('''
            import ldb
            from samba_spnpool import _spnpool
            class NotAnLdb(ldb.LdbError):
                pass
            try:
                _spnpool.list(NotAnLdb(0, "x"), "Administrator")
            except TypeError as e:
                print("refused TypeError:", e)
        ''', 'TypeError', 'not NotAnLdb')

    def test_a_real_subclass_of_ldb_Ldb_is_accepted(self):
        # SamDB itself is one; a subclass with slots extends the layout
        # and keeps the part the glue reads.
        rc, out, err = run_python('''
            import os, tempfile, ldb
            from samba_spnpool import _spnpool, SpnPoolError
            class Sub(ldb.Ldb):
                __slots__ = ("a", "b")
            d = tempfile.mkdtemp()
            db = Sub(os.path.join(d, "x.ldb"))
            try:
                _spnpool.list(db, "Administrator")
            except SpnPoolError as e:
                print("reached the directory:", e.exit_code)
            except TypeError as e:
                print("refused TypeError:", e)
        ''')
        self.assertEqual(rc, 0, err)
        self.assertIn('reached the directory', out)

    def test_a_wrong_layout_ldb_module_refuses_the_import(self):
        # An ldb module whose Ldb has another layout, as a future Samba
        # might ship: the package must not load, and say why in one line.
        fake = os.path.join(self.tmpdir(), 'ldb.py')
        with open(fake, 'w') as f:
            f.write('class Ldb(object):\n    pass\n'
                    'class LdbError(Exception):\n    pass\n')
        rc, out, err = run_python('''
            import sys
            sys.path.insert(0, %r)
            import ldb
            assert ldb.__file__ == %r, ldb.__file__
            try:
                import samba_spnpool
            except ImportError as e:
                print("refused ImportError:", e)
            # The extension alone, loaded by path past the package.
            import glob, importlib.util
            so, = glob.glob(%r)
            spec = importlib.util.spec_from_file_location(
                "samba_spnpool._spnpool", so)
            try:
                importlib.util.module_from_spec(spec)
            except ImportError as e:
                print("refused ImportError (extension):", e)
        ''' % (os.path.dirname(fake), fake,
               os.path.join(BUILD_PYTHON, 'samba_spnpool', '_spnpool*.so')))
        self.assertEqual(rc, 0, err)
        self.assertIn('refused ImportError: ', out)
        self.assertIn('ldb.Ldb has an unexpected object layout', out)
        # The extension checks for itself too, not only the package.
        self.assertRegex(out, r'refused ImportError \(extension\): ldb.Ldb '
                         r'has an unexpected object layout \(size \d+, '
                         r'expected \d+\): .* with this Samba')

    def tmpdir(self):
        import tempfile
        import shutil
        d = tempfile.mkdtemp(prefix='spnpool-iface-')
        self.addCleanup(shutil.rmtree, d, ignore_errors=True)
        return d


class InterfacesCheck(unittest.TestCase):

    def test_this_samba_has_every_interface(self):
        script = os.path.join(REPO, 'python-glue', 'samba_spnpool',
                              'interfaces.py')
        proc = subprocess.run([PYTHON, script], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE,
                              universal_newlines=True, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        import samba
        self.assertEqual(proc.stdout.strip(), samba.version)

    def test_a_missing_interface_is_named_in_one_line(self):
        # Loaded by path: importing the package would refuse at once.
        rc, out, err = run_python('''
            import runpy
            import samba.netcmd.spn as spn
            spn.cmd_spn.subcommands = None
            problems = runpy.run_path(%r)["problems"]
            for line in problems():
                print(line)
        ''' % os.path.join(BUILD_PYTHON, 'samba_spnpool', 'interfaces.py'))
        self.assertEqual(rc, 0, err)
        lines = out.splitlines()
        self.assertEqual(len(lines), 1, out)
        self.assertIn('samba.netcmd.spn.cmd_spn.subcommands', lines[0])
        self.assertIn('Samba 4.', lines[0])


class LauncherBehavesAsStock(DCTestCase):
    """Commands other than `spn http-pool` through our launcher and
    through the stock samba-tool: same stdout, stderr and exit code."""

    transport = 'embedded'
    STOCK = os.environ.get('SPNPOOL_STOCK_SAMBA_TOOL', '/usr/bin/samba-tool')

    def both(self, *args):
        env = dict(self.env)
        results = []
        for tool in (SAMBA_TOOL, self.STOCK):
            proc = subprocess.run([tool] + list(args), env=env,
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE,
                                  universal_newlines=True, timeout=120)
            results.append((proc.returncode, proc.stdout, proc.stderr))
        return results

    def assertSame(self, *args):
        ours, stock = self.both(*args)
        self.assertEqual(ours, stock, 'samba-tool %s differs' %
                         ' '.join(args))
        return ours

    def test_help_version_and_errors_are_the_stock_ones(self):
        self.assertSame('--version')
        self.assertSame('user', '--help')
        self.assertSame('computer', 'create', '--help')
        self.assertSame('spn', 'add', '--help')
        rc, _, _ = self.assertSame('no-such-command')
        self.assertNotEqual(rc, 0)
        rc, _, _ = self.assertSame('user', 'no-such-subcommand')
        self.assertNotEqual(rc, 0)

    def test_directory_commands_give_the_stock_output(self):
        sam = ['-H', self.env['SPNPOOL_SAM_LDB'],
               '-s', self.env['SMB_CONF_PATH']]
        rc, out, _ = self.assertSame('user', 'list', *sam)
        self.assertEqual(rc, 0)
        self.assertIn('Administrator', out.split())
        rc, out, _ = self.assertSame('spn', 'list', 'Administrator', *sam)
        self.assertEqual(rc, 0)
        rc, _, _ = self.assertSame('spn', 'list', 'no-such-account', *sam)
        self.assertNotEqual(rc, 0)
        self.assertSame('domain', 'level', 'show', *sam)

    def test_spn_help_differs_only_by_our_subcommand(self):
        # The column of descriptions widens for the longer name.
        ours, stock = self.both('spn', '--help')
        self.assertEqual(ours[0], stock[0])
        self.assertEqual(ours[2], stock[2])

        def lines(text):
            return [' '.join(line.split()) for line in text.splitlines()]
        extra = [line for line in lines(ours[1])
                 if line not in lines(stock[1])]
        self.assertEqual(len(extra), 1, extra)
        self.assertIn('http-pool', extra[0])


if __name__ == '__main__':
    unittest.main()
