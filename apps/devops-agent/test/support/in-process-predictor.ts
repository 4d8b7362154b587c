import { buildMarketPredictor, type MarketPredictor, readConfig as readPredictorConfig } from '@atb/market-predictor';

/**
 * The real market-predictor app in this process with its chaos routes on, restartable on the
 * same port: a crash drill (`/chaos/crash`) closes it instead of exiting the test process, and
 * `restart()` is what a container restart would do.
 */
export class InProcessPredictor {
  private predictor: MarketPredictor | undefined;
  private port = 0;

  /** Starts it (on the port it had, if it ran before); answers its base URL. */
  async start(): Promise<string> {
    const instance: MarketPredictor = await buildMarketPredictor(
      readPredictorConfig({ API_PORT: String(this.port), CHAOS_ENABLED: 'true', LOG_LEVEL: 'silent' }),
      {
        logger: false,
        faults: {
          exit: () => {
            instance.app.server.closeAllConnections();
            void instance.close();
          },
        },
      },
    );
    const url = await instance.listen();
    this.port = Number(new URL(url).port);
    this.predictor = instance;
    return url;
  }

  /** Stops it, dropping held connections (a hung predictor never answers them). */
  async stop(): Promise<void> {
    const current = this.predictor;
    this.predictor = undefined;
    if (!current) return;
    current.app.server.closeAllConnections();
    await current.close().catch(() => {});
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }
}
