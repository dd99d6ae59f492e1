#!/bin/sh
# Install chatapp for this user: the app folder, a `chatapp` command, and a menu entry with icons.
#
#   ./install.sh               install (or update) into ~/.local/opt/chatapp
#   ./install.sh --uninstall   remove all of that again; conversations, settings and models stay
#
# CHATAPP_PREFIX and CHATAPP_BINDIR change where the app and the command go. Needs no root.
set -eu

here=$(cd "$(dirname "$0")" && pwd -P)
prefix=${CHATAPP_PREFIX:-"$HOME/.local/opt/chatapp"}
bindir=${CHATAPP_BINDIR:-"$HOME/.local/bin"}
data_home=${XDG_DATA_HOME:-"$HOME/.local/share"}

say() { printf '%s\n' "$*"; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }

# No menu cache is refreshed: desktops watch ~/.local/share/applications and the icon folders,
# and a cache written here (mimeinfo.cache, icon-theme.cache) would outlive the uninstall.
ours() {  # is $1 a link to the chatapp in $prefix?
    [ -L "$1" ] && [ "$(readlink "$1")" = "$prefix/chatapp" ]
}

uninstall() {
    if [ -x "$prefix/chatapp" ]; then
        "$prefix/chatapp" --uninstall-desktop-entry >/dev/null 2>&1 || true
    else  # the app folder is already gone: remove the entry and icons by name
        rm -f "$data_home/applications/chatapp.desktop"
        find "$data_home/icons/hicolor" -path '*/apps/chatapp.*' -type f -delete 2>/dev/null || true
    fi
    if ours "$bindir/chatapp"; then rm -f "$bindir/chatapp"; fi
    rm -rf "$prefix"
    rmdir "$(dirname "$prefix")" 2>/dev/null || true  # ~/.local/opt, if we left it empty
    say "chatapp is uninstalled."
    say "Your conversations and settings are still in ${data_home}/chatapp and"
    say "${XDG_CONFIG_HOME:-$HOME/.config}/chatapp, and downloaded models in ~/.cache/huggingface."
}

install() {
    [ -x "$here/chatapp" ] && [ -d "$here/_internal" ] \
        || die "run this script from the unpacked chatapp folder (chatapp and _internal/ beside it)"
    if [ -d "$prefix" ] && [ "$(cd "$prefix" && pwd -P)" = "$here" ]; then
        :  # run from the installed copy: only the menu entry and the command are redone
    else
        mkdir -p "$(dirname "$prefix")"
        # Copy next to the old version, then swap, so a failed copy leaves the old one working.
        rm -rf "$prefix.new"
        cp -a "$here" "$prefix.new" || die "cannot copy the app to $prefix.new"
        rm -rf "$prefix"
        mv "$prefix.new" "$prefix"
    fi
    version=$("$prefix/chatapp" --version 2>&1) \
        || die "the app does not start here: $version (see README.txt for the system libraries)"
    "$prefix/chatapp" --install-desktop-entry >/dev/null 2>&1 \
        || die "cannot write the menu entry in $data_home"
    mkdir -p "$bindir"
    if [ ! -e "$bindir/chatapp" ] || ours "$bindir/chatapp"; then
        ln -sfn "$prefix/chatapp" "$bindir/chatapp"
        command="chatapp"
    else
        command="$prefix/chatapp"
        say "(left $bindir/chatapp alone: it is another chatapp install)"
    fi
    say "$version is installed in $prefix."
    say "Start it from your application menu, or run: $command"
    say "To remove it: $prefix/install.sh --uninstall"
}

case "${1:-}" in
    "") install ;;
    --uninstall) uninstall ;;
    -h | --help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' ;;
    *) die "unknown option $1 (use --uninstall, or nothing to install)" ;;
esac
