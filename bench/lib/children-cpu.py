# Runs a list of commands one after another and prints the CPU time (user + system) their
# processes used, with the wall time, as JSON. Node cannot read a child's rusage; Python can.
import json
import resource
import subprocess
import sys
import time

commands = json.load(sys.stdin)
started = time.time()
failed = []
for command in commands:
    result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if result.returncode != 0:
        failed.append({"command": command, "stderr": result.stderr.decode(errors="replace")[-500:]})
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"cpu": usage.ru_utime + usage.ru_stime, "wall": time.time() - started, "failed": failed}))
