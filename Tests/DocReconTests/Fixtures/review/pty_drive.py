#!/usr/bin/env python3
"""Drives an interactive command through a pseudo-terminal, like a person at a terminal.

usage: pty_drive.py KEYS_JSON -- COMMAND [ARGS...]

KEYS_JSON is a JSON list of lines to type (a single control character is typed without Enter). Each is sent (with Enter) only after the command
has printed its prompt ("> " at the end of its output). After the last key the command must
end by itself. Prints the whole transcript on stdout; exits with the command's exit status
(124 when it hung)."""
import json, os, pty, select, sys, time

keys = json.loads(sys.argv[1])
cmd = sys.argv[sys.argv.index("--") + 1:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)

out = b""
def read_until(pred, timeout):
    global out
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                data = os.read(fd, 65536)
            except OSError:
                return pred()
            if not data:
                return pred()
            out += data
    return pred()

hung = False
# Prompts are counted: the n-th key is typed once the n-th prompt ("> " at the end of a line
# start) has been printed, whatever way the output was split into reads.
def prompts():
    text = out.replace(b"\r\n", b"\n")
    return text.count(b"\n> ") + (1 if text.startswith(b"> ") else 0)

for i, k in enumerate(keys):
    if not read_until(lambda: prompts() > i and out.endswith(b"> "), 20):
        hung = True
        break
    # A control character (Ctrl-C, Ctrl-D) is typed alone, as a person would; lines get Enter.
    os.write(fd, (k if len(k) == 1 and ord(k) < 32 else k + "\n").encode())

status = None
end = time.time() + 20
while time.time() < end:
    wpid, st = os.waitpid(pid, os.WNOHANG)
    if wpid == pid:
        status = os.waitstatus_to_exitcode(st)
        break
    r, _, _ = select.select([fd], [], [], 0.05)
    if r:
        try:
            data = os.read(fd, 65536)
            out += data
        except OSError:
            pass
try:
    while True:
        r, _, _ = select.select([fd], [], [], 0.05)
        if not r:
            break
        data = os.read(fd, 65536)
        if not data:
            break
        out += data
except OSError:
    pass
if status is None:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    hung = True
sys.stdout.write(out.decode("utf-8", "replace"))
sys.exit(124 if hung else status)
