"""The Samba interfaces samba-tool spn http-pool relies on, checked.

Samba promises no stable API to code outside its tree, so every interface
this project uses is listed here (and in docs/design.md, "Samba
interfaces"), with a check that fails with one actionable line naming the
interface and the Samba version instead of a traceback later.

Run as a script (``python3 interfaces.py``) it prints each problem and
exits 1, or prints the Samba version and exits 0: ``./waf configure``
does that.  ``samba_spnpool`` calls ``require()`` when it is imported, so
the launcher reports the same line before any command runs.

This module imports nothing of its own package: configure runs it before
the C extension exists.
"""

import importlib
import struct
import sys

SUPPORTED = "4.17 to 4.25"


def samba_version():
    """Samba's version string, or 'unknown' if even that is missing."""
    try:
        import samba
        return samba.version
    except Exception:  # a broken Samba may raise anything on import
        return "unknown"


def pyldb_layout_size():
    """Size of pyldb's ldb.Ldb object layout that the C glue reads:
    PyObject_HEAD, then TALLOC_CTX *mem_ctx, then struct ldb_context *."""
    return object.__basicsize__ + 2 * struct.calcsize("P")


def _attr(module, path):
    """Look a dotted attribute path up in an imported module name."""
    obj = importlib.import_module(module)
    for name in path.split(".") if path else []:
        obj = getattr(obj, name)
    return obj


# (module, attribute path, what we use it for).  An empty path checks the
# module alone.
PYTHON_INTERFACES = [
    ("ldb", "Ldb", "the connection the C library borrows"),
    ("ldb", "LdbError", "base class of SpnPoolError"),
    ("samba", "get_debug_level", "routing ldb's debug messages"),
    ("samba.samdb", "SamDB", "opening the directory"),
    ("samba.auth", "system_session", "opening a local sam.ldb"),
    ("samba.getopt", "SambaOptions", "samba-tool's -s/--option"),
    ("samba.getopt", "CredentialsOptions", "samba-tool's -U/-k options"),
    ("samba.getopt", "VersionOptions", "samba-tool's --version"),
    ("samba.netcmd", "Command", "the command classes"),
    ("samba.netcmd", "SuperCommand", "the http-pool command group"),
    ("samba.netcmd", "Option", "command options"),
    ("samba.netcmd", "CommandError", "command failures"),
    ("samba.netcmd.spn", "cmd_spn.subcommands",
     "the table 'spn http-pool' is added to"),
]


def problems():
    """One line for each interface that is missing or not as expected."""
    version = samba_version()
    found = []
    for module, path, use in PYTHON_INTERFACES:
        name = module + ("." + path if path else "")
        try:
            obj = _attr(module, path)
        except Exception as e:  # a broken Samba may raise anything
            found.append("Samba %s lacks %s (used for %s): %s; "
                         "supported: Samba %s" %
                         (version, name, use, e, SUPPORTED))
            continue
        if name == "samba.netcmd.spn.cmd_spn.subcommands" and \
                not isinstance(obj, dict):
            found.append("Samba %s: %s is a %s, not a dict; cannot add "
                         "'spn http-pool' (supported: Samba %s)" %
                         (version, name, type(obj).__name__, SUPPORTED))
        if name == "ldb.Ldb":
            want = pyldb_layout_size()
            got = getattr(obj, "__basicsize__", None)
            if not isinstance(obj, type) or got != want:
                found.append("Samba %s: ldb.Ldb has an unexpected object "
                             "layout (size %s, expected %d), so its ldb "
                             "context cannot be borrowed safely "
                             "(supported: Samba %s)" %
                             (version, got, want, SUPPORTED))
    return found


def require():
    """Raise ImportError with one line per problem, if there are any."""
    found = problems()
    if found:
        raise ImportError("; ".join(found))


if __name__ == "__main__":
    lines = problems()
    for line in lines:
        print(line)
    if lines:
        sys.exit(1)
    print(samba_version())
