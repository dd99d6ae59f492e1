#!/bin/sh
# Install chatapp for this user: the app folder, a `chatapp` command, and a menu entry with icons.
#
#   ./install.sh               install (or update) into ~/.local/opt/chatapp
#   ./install.sh --uninstall   remove all of that again; conversations, settings and models stay
#
# CHATAPP_DIR (the app's own folder) and CHATAPP_BINDIR change where it goes. Needs no root.
set -eu

here=$(cd "$(dirname "$0")" && pwd -P)
MARKER=.installed-by-chatapp  # written into an installed copy; names the command's folder

# Run from an installed copy, the script removes that copy; from the download, the default one.
if [ -f "$here/$MARKER" ]; then default_dir=$here; else default_dir="$HOME/.local/opt/chatapp"; fi
app_dir=${CHATAPP_DIR:-$default_dir}
case $app_dir in /*) ;; *) app_dir="$PWD/$app_dir" ;; esac
bindir=${CHATAPP_BINDIR:-"$HOME/.local/bin"}
data_home=${XDG_DATA_HOME:-"$HOME/.local/share"}

say() { printf '%s\n' "$*"; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }

is_app() {  # does folder $1 hold a chatapp bundle?
    [ -x "$1/chatapp" ] && [ -d "$1/_internal" ]
}

replaceable() {  # may folder $1 be deleted and written? Only if absent, empty, or a chatapp.
    [ ! -e "$1" ] || is_app "$1" || { [ -d "$1" ] && [ -z "$(ls -A "$1")" ]; }
}

ours() {  # is $1 a link to the chatapp in $app_dir?
    [ -L "$1" ] && [ "$(readlink "$1")" = "$app_dir/chatapp" ]
}

# No menu cache is refreshed: desktops watch ~/.local/share/applications and the icon folders,
# and a cache written here (mimeinfo.cache, icon-theme.cache) would outlive the uninstall.

uninstall() {
    is_app "$app_dir" || die "no chatapp installed in $app_dir (set CHATAPP_DIR to its folder)"
    if [ -f "$app_dir/$MARKER" ]; then
        bindir=$(sed -n 's/^bindir=//p' "$app_dir/$MARKER")
    fi
    "$app_dir/chatapp" --uninstall-desktop-entry >/dev/null 2>&1 || true
    # and by name, in case the app no longer starts
    rm -f "$data_home/applications/chatapp.desktop"
    find "$data_home/icons/hicolor" -path '*/apps/chatapp.*' -type f -delete 2>/dev/null || true
    if ours "$bindir/chatapp"; then rm -f "$bindir/chatapp"; fi
    rm -rf "$app_dir"
    rmdir "$(dirname "$app_dir")" 2>/dev/null || true  # ~/.local/opt, if we left it empty
    say "chatapp is uninstalled."
    say "Your conversations and settings are still in $data_home/chatapp and"
    say "${XDG_CONFIG_HOME:-$HOME/.config}/chatapp, and downloaded models in"
    say "${HF_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/huggingface}."
}

install() {
    is_app "$here" \
        || die "run this script from the unpacked chatapp folder (chatapp and _internal/ beside it)"
    if [ "$(cd "$app_dir" 2>/dev/null && pwd -P)" = "$here" ]; then
        :  # run from the installed copy: only the menu entry and the command are redone
    else
        replaceable "$app_dir" || die "$app_dir exists and is not a chatapp folder: not touching it"
        replaceable "$app_dir.new" || die "$app_dir.new exists and is not a chatapp folder"
        mkdir -p "$(dirname "$app_dir")"
        # Copy next to the old version, then swap, so a failed copy leaves the old one working.
        rm -rf "$app_dir.new"
        cp -a "$here" "$app_dir.new" || die "cannot copy the app to $app_dir.new"
        rm -rf "$app_dir"
        mv "$app_dir.new" "$app_dir"
    fi
    printf 'bindir=%s\n' "$bindir" >"$app_dir/$MARKER"
    version=$("$app_dir/chatapp" --version 2>&1) \
        || die "the app does not start here: $version (see README.txt for the system libraries)"
    "$app_dir/chatapp" --install-desktop-entry >/dev/null 2>&1 \
        || die "cannot write the menu entry in $data_home"
    mkdir -p "$bindir"
    if [ ! -e "$bindir/chatapp" ] || ours "$bindir/chatapp"; then
        ln -sfn "$app_dir/chatapp" "$bindir/chatapp"
        command="chatapp"
    else
        command="$app_dir/chatapp"
        say "(left $bindir/chatapp alone: it is another chatapp install)"
    fi
    say "$version is installed in $app_dir."
    say "Start it from your application menu, or run: $command"
    say "To remove it: $app_dir/install.sh --uninstall"
}

case "${1:-}" in
    "") install ;;
    --uninstall) uninstall ;;
    -h | --help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' ;;
    *) die "unknown option $1 (use --uninstall, or nothing to install)" ;;
esac
