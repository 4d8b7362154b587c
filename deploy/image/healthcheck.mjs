// The image's HEALTHCHECK: GET http://127.0.0.1:$API_PORT/health within 2 s; exit 0 when it answers 2xx.
// Plain Node (the runtime image has no shell, curl or wget).
const port = process.env.API_PORT ?? '8000';
try {
  const response = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) });
  process.exit(response.ok ? 0 : 1);
} catch (error) {
  process.stderr.write(`health check failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
