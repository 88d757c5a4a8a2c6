"""Prints bench/auth.sh's rows (database|endpoint|auth|p50|p99|req/s|writes, wrk's units) as a
table, with each signed-in row's extra p50 and throughput change against guest mode."""
import sys


def ms(value):
    for unit, factor in (("us", 0.001), ("ms", 1), ("s", 1000)):
        if value.endswith(unit):
            return float(value[: -len(unit)]) * factor
    raise ValueError(value)


rows = [line.rstrip("\n").split("|") for line in sys.stdin if line.strip()]
guest = {(r[0], r[1]): r for r in rows if r[2] == "guest"}
line = "{:<9} {:<31} {:<8} {:>7} {:>7} {:>7} {:>9} {:>9} {:>6}"
print(line.format("database", "endpoint", "auth", "p50 ms", "p99 ms", "req/s", "p50 vs", "req/s vs", "writes"))
print(line.format("", "", "", "", "", "", "guest", "guest", ""))
for db, endpoint, auth, p50, p99, rps, writes in rows:
    base = guest.get((db, endpoint))
    extra = change = ""
    if base and auth != "guest":
        extra = f"{ms(p50) - ms(base[3]):+.2f} ms"
        change = f"{(int(rps) / int(base[5]) - 1) * 100:+.0f}%"
    print(line.format(db, endpoint, auth, f"{ms(p50):.2f}", f"{ms(p99):.2f}", rps, extra, change, writes))
