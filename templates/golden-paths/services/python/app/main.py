"""The HTTP application: its routes, and how the process serves them."""

import os
import time

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse

STARTED = time.time()

# The description is written as JSON writes strings, which ruff's quote style may not prefer.
DESCRIPTION = ${{ values.description | dump }}  # fmt: skip

app = FastAPI(title="${{ values.name }}", description=DESCRIPTION)


@app.get("/health")
def health() -> dict[str, str]:
    """Liveness and readiness: the process answers."""
    return {"status": "ok"}


@app.get("/metrics", response_class=PlainTextResponse)
def metrics() -> str:
    """Prometheus' text format; the chart's pod annotations tell Prometheus to scrape it."""
    return (
        "# HELP process_start_time_seconds Start time of the process since the Unix epoch.\n"
        "# TYPE process_start_time_seconds gauge\n"
        f"process_start_time_seconds {STARTED}\n"
    )


def main() -> None:
    """Serves the application on PORT (default ${{ values.port }})."""
    import uvicorn

    port = int(os.environ.get("PORT", "${{ values.port }}"))
    uvicorn.run(app, host="0.0.0.0", port=port, proxy_headers=True)


if __name__ == "__main__":
    main()
