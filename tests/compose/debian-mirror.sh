# Sourced by tests/compose/setup.sh (and its test, tests/unit/test_debian_mirror.py): the
# Debian mirror the stand-ins are built from is this machine's own, read from its apt
# sources, so that nothing here names a package host. DEBIAN_MIRROR (the archive) and
# DEBIAN_SECURITY_MIRROR override what is read.

APT_SOURCES_DIR=${APT_SOURCES_DIR:-/etc/apt}   # a test points this at a folder of its own

# apt_source_uris: one line "URI SUITE COMPONENT..." per suite of every enabled `deb`
# source of this machine: deb822 files (sources.list.d/*.sources: Types, URIs, Suites,
# Components, Enabled) and one-line ones (sources.list, sources.list.d/*.list).
apt_source_uris() {
    local f
    for f in "$APT_SOURCES_DIR"/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk '
            function flush(   n, u, s, i, j, us, ss) {
                if (types ~ /(^| )deb( |$)/ && tolower(enabled) != "no") {
                    n = split(uris, us, " "); split(suites, ss, " ")
                    for (i = 1; i <= n; i++) for (j in ss) print us[i], ss[j], comps
                }
                types = uris = suites = comps = ""; enabled = "yes"
            }
            BEGIN { enabled = "yes" }
            /^[ \t]*#/ { next }
            /^[ \t]*$/ { flush(); next }
            {
                key = tolower($1); sub(/:$/, "", key)
                val = $0; sub(/^[^:]*:[ \t]*/, "", val)
                if (key == "types") types = val
                else if (key == "uris") uris = val
                else if (key == "suites") suites = val
                else if (key == "components") comps = val
                else if (key == "enabled") enabled = val
            }
            END { flush() }
        ' "$f"
    done
    for f in "$APT_SOURCES_DIR"/sources.list "$APT_SOURCES_DIR"/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        # deb [options] URI SUITE COMPONENT...
        sed -E -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" | awk '$1 == "deb" && NF >= 4 { $1 = ""; sub(/^ /, ""); print }'
    done
}

# host_debian_mirror CODENAME [security]: the URI of this machine's Debian archive (the
# source of suite CODENAME, component main), or with "security" of its security archive
# (suite CODENAME-security). Nothing printed, and status 1, when there is none.
host_debian_mirror() {
    local suite=$1
    [ "${2:-}" = security ] && suite="$1-security"
    apt_source_uris | awk -v suite="$suite" '
        $2 == suite { for (i = 3; i <= NF; i++) if ($i == "main") { sub(/\/+$/, "", $1); print $1; found = 1; exit } }
        END { exit !found }
    '
}

# debian_mirrors CODENAME: set MIRROR and SECURITY_MIRROR (the environment's overrides
# first, then this machine's sources; the security archive defaults to the archive's
# "-security" sibling, as Debian's own mirrors name it), or fail saying what to set.
debian_mirrors() {
    MIRROR=${DEBIAN_MIRROR:-$(host_debian_mirror "$1" || true)}
    MIRROR=${MIRROR%/}
    if [ -z "$MIRROR" ]; then
        echo "no Debian $1 archive in $APT_SOURCES_DIR's sources: set DEBIAN_MIRROR (e.g. the URI of your Debian mirror)" >&2
        return 1
    fi
    SECURITY_MIRROR=${DEBIAN_SECURITY_MIRROR:-}
    if [ -z "$SECURITY_MIRROR" ] && [ -z "${DEBIAN_MIRROR:-}" ]; then
        SECURITY_MIRROR=$(host_debian_mirror "$1" security || true)
    fi
    SECURITY_MIRROR=${SECURITY_MIRROR:-$MIRROR-security}
    SECURITY_MIRROR=${SECURITY_MIRROR%/}
}

# render_sources TEMPLATE OUT: the stand-ins' apt sources, TEMPLATE with @MIRROR@ and
# @SECURITY_MIRROR@ filled in.
render_sources() {
    sed -e "s|@MIRROR@|$MIRROR|g" -e "s|@SECURITY_MIRROR@|$SECURITY_MIRROR|g" "$1" >"$2.new"
    mv -f "$2.new" "$2"
}
