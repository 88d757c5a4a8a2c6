"""Prints bench/auth.sh's rows (database|endpoint|auth|p50|p99|req/s|cpu µs|writes, latencies in
wrk's units) as a table, with each signed-in row's extra p50, throughput change and extra server
CPU per request against guest mode."""
import sys


def ms(value):
    for unit, factor in (("us", 0.001), ("ms", 1), ("s", 1000)):
        if value.endswith(unit):
            return float(value[: -len(unit)]) * factor
    raise ValueError(value)


rows = [line.rstrip("\n").split("|") for line in sys.stdin if line.strip()]
guest = {(r[0], r[1]): r for r in rows if r[2] == "guest"}
line = "{:<9} {:<30} {:<8} {:>7} {:>7} {:>6} {:>9} {:>8} {:>7} {:>8} {:>6}"
print(line.format("database", "endpoint", "auth", "p50 ms", "p99 ms", "req/s", "p50 vs", "req/s vs", "CPU", "CPU vs", "writes"))
print(line.format("", "", "", "", "", "", "guest", "guest", "µs/req", "guest", ""))
for db, endpoint, auth, p50, p99, rps, cpu, writes in rows:
    base = guest.get((db, endpoint))
    extra = change = extra_cpu = ""
    if base and auth != "guest":
        extra = f"{ms(p50) - ms(base[3]):+.2f} ms"
        change = f"{(int(rps) / int(base[5]) - 1) * 100:+.0f}%"
        extra_cpu = f"{int(cpu) - int(base[6]):+d}"
    print(line.format(db, endpoint, auth, f"{ms(p50):.2f}", f"{ms(p99):.2f}", rps, extra, change, cpu, extra_cpu, writes))
