import { ConfigError } from './config.js';
import type { Service } from './server.js';

export interface RunOptions {
  /** Longest wait for in-flight requests and cleanups before exiting anyway. Default 10 s. */
  shutdownTimeoutMs?: number;
}

/**
 * The body of every `main.ts`: builds the service, listens, and shuts down gracefully on
 * SIGTERM/SIGINT (stop accepting, finish in-flight requests, close stores) within a bounded
 * time. A configuration error is printed with the variable's name and exits with status 78.
 */
export async function runService(build: () => Promise<Service>, options: RunOptions = {}): Promise<void> {
  let service: Service;
  try {
    service = await build();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
  const timeoutMs = options.shutdownTimeoutMs ?? 10_000;
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      service.app.log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    service.app.log.info({ signal, timeoutMs }, 'shutting down');
    const timer = setTimeout(() => {
      service.app.log.error({ timeoutMs }, 'shutdown took too long: exiting');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    service.close().then(
      () => process.exit(0),
      (error: unknown) => {
        service.app.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  const url = await service.listen();
  service.app.log.info({ url, version: service.version }, `${service.name} listening`);
}
