# Runs commands and prints the CPU time (user + system) their processes used, with the wall time,
# as JSON. Node cannot read a child's rusage; Python can. Input (stdin, JSON): a list of commands
# run one after another, or {"parallel": [...]} to start them all at once and wait for all.
# A process's rusage includes its own reaped children (pixelmill's pixel processes).
import json
import resource
import subprocess
import sys
import time

spec = json.load(sys.stdin)
parallel = isinstance(spec, dict)
commands = spec["parallel"] if parallel else spec
started = time.time()
failed = []
if parallel:
    running = [(c, subprocess.Popen(c, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)) for c in commands]
    for command, process in running:
        _, err = process.communicate()
        if process.returncode != 0:
            failed.append({"command": command, "stderr": err.decode(errors="replace")[-500:]})
else:
    for command in commands:
        result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if result.returncode != 0:
            failed.append({"command": command, "stderr": result.stderr.decode(errors="replace")[-500:]})
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"cpu": usage.ru_utime + usage.ru_stime, "wall": time.time() - started, "failed": failed}))
