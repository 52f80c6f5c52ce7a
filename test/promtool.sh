#!/bin/sh
# The alert rule tests run Prometheus' promtool (test/components/alert-rules.test.ts). npm has none:
# where it is missing, install Debian's prometheus package when this machine can (root or sudo,
# apt-get); otherwise say how, and let the tests report it.
command -v "${PROMTOOL:-promtool}" >/dev/null 2>&1 && exit 0
if command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo"; else sudo="none"; fi
    if [ "$sudo" != "none" ]; then
        echo "installing promtool (Debian's prometheus package) for the alert rule tests" >&2
        $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends prometheus >/dev/null && exit 0
    fi
fi
echo "promtool not found: install it (apt-get install prometheus, brew install prometheus) or set PROMTOOL; the alert rule tests need it" >&2
exit 0
