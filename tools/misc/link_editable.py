"""Make ``mim`` find an editable (PEP 660) install of mmccrop.

``mim`` locates a package's ``.mim/{configs,tools}`` at
``<distribution location>/<package>``.  An editable install made by pip
>= 21.3 keeps its metadata in site-packages but the code in the source tree,
so that path does not exist and ``mim train mmccrop ...`` cannot find the
configs or ``tools/train.py``.  This script links
``site-packages/mmccrop`` to the source package.  Imports resolve to the same
files either way, so the install stays editable.  Wheel installs need nothing.

Usage: python tools/misc/link_editable.py [--check]
"""
import argparse
import os
import os.path as osp
import sys
import sysconfig


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--check', action='store_true', help='only report, change nothing')
    args = parser.parse_args()

    src = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'mmccrop')
    purelib = sysconfig.get_paths()['purelib']
    dst = osp.join(purelib, 'mmccrop')
    if not osp.isfile(osp.join(src, '__init__.py')):
        print(f'error: no mmccrop package at {src}', file=sys.stderr)
        return 1
    if osp.islink(dst):
        if osp.realpath(dst) == osp.realpath(src):
            print(f'ok: {dst} -> {src}')
            return 0
        if args.check:
            print(f'stale link: {dst} -> {os.readlink(dst)}', file=sys.stderr)
            return 1
        os.remove(dst)  # a link left by another checkout
    elif osp.exists(dst):
        print(f'ok: {dst} is a regular (wheel) install; nothing to link')
        return 0
    if args.check:
        print(f'missing: {dst}', file=sys.stderr)
        return 1
    tmp = dst + '.tmp-link'
    if osp.lexists(tmp):
        os.remove(tmp)
    os.symlink(src, tmp)
    os.replace(tmp, dst)  # atomic: never a half-made link
    print(f'linked {dst} -> {src}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
