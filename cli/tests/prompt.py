#!/usr/bin/env python3
"""The no-echo prompt (`make test-cli`): with standard input on a terminal and no password in the
profile, `tokenwell token` asks for it on the terminal without echoing it, prints only the token,
and the server receives that password. Runs the binaries given (tokenwell, tokenwell-authserver)
under a pseudo-terminal; every wait is bounded."""

import json
import os
import pty
import select
import subprocess
import sys
import tempfile
import termios
import time
import urllib.request

tokenwell, server_bin = sys.argv[1], sys.argv[2]
server = subprocess.Popen([server_bin, "--max-seconds", "60"], stdout=subprocess.PIPE, text=True)
try:
    ns = server.stdout.readline().strip() + "/t/cli-prompt"
    urllib.request.urlopen(urllib.request.Request(ns + "/_reset", method="POST"), timeout=10).read()
    home = tempfile.mkdtemp()
    os.makedirs(home + "/config/tokenwell")
    with open(home + "/config/tokenwell/config.toml", "w") as f:
        f.write(f'[profiles.me]\ntoken_url = "{ns}/token"\ngrant = "password"\n'
                f'client_id = "public-app"\nusername = "alice"\n')
    env = {"HOME": home, "XDG_CONFIG_HOME": home + "/config", "XDG_CACHE_HOME": home + "/cache"}

    pid, fd = pty.fork()
    if pid == 0:
        os.execve(tokenwell, [tokenwell, "token"], env)
    seen, sent, deadline = b"", False, time.time() + 20
    while time.time() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                data = os.read(fd, 4096)
            except OSError:
                break
            if not data:
                break
            seen += data
        # Type only once echo is off, as a person would: the prompt is written just before.
        try:
            echo_off = not termios.tcgetattr(fd)[3] & termios.ECHO
        except termios.error:
            echo_off = False
        if not sent and b"Password for alice: " in seen and echo_off:
            os.write(fd, b"wonderland\r")
            sent = True
    _, status = os.waitpid(pid, 0)
    requests = json.load(urllib.request.urlopen(ns + "/_requests", timeout=10))
    checks = {
        "prompted": sent,
        "exit status 0": os.waitstatus_to_exitcode(status) == 0,
        "password not echoed": b"wonderland" not in seen,
        "a token printed": seen.split(b"Password for alice: ")[-1].strip().count(b".") == 2,
        "the server got the password": [r["form"].get("password") for r in requests] == ["wonderland"],
    }
    failed = [name for name, ok in checks.items() if not ok]
    for name in failed:
        print(f"FAIL {name}: {seen!r}")
    print(f"prompt: {len(checks) - len(failed)} passed, {len(failed)} failed")
    sys.exit(1 if failed else 0)
finally:
    server.terminate()
    server.wait(timeout=10)
