import { describeWithComponent, probePrometheus, type RunningPrometheus, startPrometheus, waitFor } from '@atb/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildMarketPredictor, type MarketPredictor, readConfig } from '../../src/index.js';

describeWithComponent(
  'Prometheus',
  await probePrometheus(),
  'install it: apt-get install prometheus (scripts/install-system-deps.sh)',
  () => {
    let predictor: MarketPredictor;
    let prometheus: RunningPrometheus;

    beforeAll(async () => {
      predictor = await buildMarketPredictor({ ...readConfig({}), API_HOST: '127.0.0.1', API_PORT: 0 }, { logger: false });
      const target = new URL(await predictor.listen()).host;
      prometheus = await startPrometheus({
        configYaml: [
          'global:',
          '  scrape_interval: 1s',
          '  scrape_timeout: 1s',
          'scrape_configs:',
          '  - job_name: market-predictor',
          '    static_configs:',
          `      - targets: ['${target}']`,
        ].join('\n'),
      });
    });
    afterAll(async () => {
      await prometheus?.close();
      await predictor?.close();
    });

    it('scrapes the predictor, and PromQL returns its request counter', async () => {
      const post = (prices: unknown) =>
        predictor.app.inject({ method: 'POST', url: '/predict', payload: { symbol: 'AAPL', prices } });
      for (let index = 0; index < 5; index += 1) expect((await post([10, 11, 12 + index])).statusCode).toBe(200);
      expect((await post([1])).statusCode).toBe(422);

      const counter = 'http_requests_total{job="market-predictor", route="/predict", status_code="200"}';
      const samples = await waitFor(
        async () => {
          const result = await prometheus.query(counter);
          return result[0]?.value === 5 ? result : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 250, description: `${counter} == 5 in Prometheus (logs: ${prometheus.logs().slice(-500)})` },
      );
      expect(samples).toHaveLength(1);
      expect(samples[0]?.labels).toMatchObject({ service: 'market-predictor', method: 'POST', instance: expect.any(String) });

      const rejected = await prometheus.query('http_requests_total{job="market-predictor", route="/predict", status_code="422"}');
      expect(rejected[0]?.value).toBe(1);
      const predictions = await prometheus.query('sum(predictor_predictions_total{job="market-predictor"})');
      expect(predictions[0]?.value).toBe(5);
      const [up] = await prometheus.query('up{job="market-predictor"}');
      expect(up?.value).toBe(1);
      const targets = await prometheus.targets();
      expect(targets.map((entry) => entry.health)).toEqual(['up']);
    });
  },
);
