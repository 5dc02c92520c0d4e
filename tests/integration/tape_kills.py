"""The fault injection both tape SIGKILL tests run inside their child process.

Pasted into the child's script after it has set ``kill_at`` (the call to die at) and seeded
``random``: every block or index write of a cartridge and every state-file rename counts as
a call; at call ``kill_at`` a write is first cut at a random byte, then the process SIGKILLs
itself. ``calls[0]`` tells the child how many calls it made.
"""

KILL_SWITCH = """
import os, random, signal
import bkctl.tape.blockfile as blockfile
calls = [0]

def maybe_die(before=None):
    calls[0] += 1
    if calls[0] == int(kill_at):
        if before is not None:
            before()
        os.kill(os.getpid(), signal.SIGKILL)

write, replace = blockfile._write_fully, os.replace
def torn_write(descriptor, data, offset):
    view = memoryview(data)
    maybe_die(lambda: write(descriptor, view[:random.randrange(len(view) + 1)], offset))
    write(descriptor, data, offset)
def late_replace(source, destination):
    maybe_die()
    replace(source, destination)
blockfile._write_fully, os.replace = torn_write, late_replace
"""
