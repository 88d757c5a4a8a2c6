// ${{ values.name }}: ${{ values.description }}
import { createApp } from "./server.js";

const port = Number(process.env.PORT ?? ${{ values.port }});
const server = createApp();

server.listen(port, () => {
  console.log(`${{ values.name }} listening on :${port}`);
});

// Kubernetes sends SIGTERM before stopping a pod: finish the requests in flight, then exit.
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
  });
}
