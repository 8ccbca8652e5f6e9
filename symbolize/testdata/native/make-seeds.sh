#!/bin/sh
# make-seeds.sh: rebuild the small ELF files FuzzNativeTable starts from
# (gcc, binutils and xz-utils). Run in this directory.
set -eu
L="-Wl,-z,noseparate-code -Wl,-z,norelro -Wl,--build-id=sha1"
gcc -Os -g -gz=zlib $L -o seed-g.elf prog.c
gcc -Os -g -gdwarf-4 -no-pie -fno-pie $L -o seed-dwarf4.elf prog.c
gcc -Os -shared -fPIC $L -o seed-lib.so lib.c nosize.S
strip --strip-all seed-lib.so
# MiniDebugInfo, as Fedora's find-debuginfo makes it.
gcc -Os $L -o seed-mini.elf prog.c
tmp=$(mktemp -d)
nm -D seed-mini.elf --format=posix --defined-only | awk '{print $1}' | sort >"$tmp/dyn"
nm seed-mini.elf --format=posix --defined-only | awk '$2 ~ /[tT]/ {print $1}' | sort | comm -23 - "$tmp/dyn" >"$tmp/keep"
objcopy --only-keep-debug seed-mini.elf "$tmp/dbg"
objcopy -S --keep-symbols="$tmp/keep" "$tmp/dbg" "$tmp/mini"
xz "$tmp/mini"
strip --remove-section=.symtab --remove-section=.strtab seed-mini.elf
objcopy --add-section .gnu_debugdata="$tmp/mini.xz" seed-mini.elf
rm -r "$tmp"
