import { createServer, type IncomingMessage, type Server } from 'node:http';
import { type AlertmanagerWebhook, alertmanagerWebhookSchema, ZERO_TIME } from '@atb/contracts';
import { describeWithComponent, probeAlertmanager, type RunningAlertmanager, startAlertmanager } from '@atb/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';

/**
 * The real Debian Alertmanager, started by @atb/testing, delivers version-4 webhooks that
 * parse with the shared contract schema: the firing notification and the resolved one.
 */

interface Delivery {
  headers: IncomingMessage['headers'];
  body: unknown;
}

function startReceiver(): Promise<{ server: Server; url: string; deliveries: Delivery[] }> {
  const deliveries: Delivery[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      deliveries.push({ headers: request.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      resolve({ server, url: `http://127.0.0.1:${port}/webhook/alerts`, deliveries });
    });
  });
}

async function waitFor<T>(what: string, check: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describeWithComponent(
  'Alertmanager',
  await probeAlertmanager(),
  'install the Debian package "prometheus-alertmanager" (scripts/install-system-deps.sh)',
  () => {
    let receiver: Awaited<ReturnType<typeof startReceiver>>;
    let alertmanager: RunningAlertmanager;

    beforeAll(async () => {
      receiver = await startReceiver();
      alertmanager = await startAlertmanager({
        configYaml: [
          'route:',
          '  receiver: agent',
          '  group_by: [alertname, service]',
          '  group_wait: 100ms',
          '  group_interval: 500ms',
          '  repeat_interval: 1h',
          'receivers:',
          '  - name: agent',
          '    webhook_configs:',
          `      - url: ${receiver.url}`,
          '        send_resolved: true',
          '        http_config:',
          '          authorization:',
          '            type: Bearer',
          '            credentials: harness-secret',
          '',
        ].join('\n'),
      });
    });

    afterAll(async () => {
      await alertmanager?.close();
      await new Promise((resolve) => receiver?.server.close(resolve));
    });

    it('delivers a firing alert as a version-4 webhook, then its resolution', async () => {
      const startsAt = new Date(Date.now() - 5000).toISOString();
      await alertmanager.postAlerts([
        {
          labels: { alertname: 'MarketPredictorDown', service: 'market-predictor', severity: 'critical' },
          annotations: { summary: 'market-predictor is down — ünïcode' },
          startsAt,
          generatorURL: 'http://127.0.0.1:9090/graph',
        },
      ]);
      expect(await alertmanager.alerts()).toHaveLength(1);

      const firing = await waitFor('the firing notification', () => receiver.deliveries[0]);
      expect(firing.headers.authorization).toBe('Bearer harness-secret');
      const payload: AlertmanagerWebhook = alertmanagerWebhookSchema.parse(firing.body);
      expect(payload.version).toBe('4');
      expect(payload.status).toBe('firing');
      expect(payload.receiver).toBe('agent');
      expect(payload.groupLabels).toEqual({ alertname: 'MarketPredictorDown', service: 'market-predictor' });
      expect(payload.alerts).toHaveLength(1);
      const [alert] = payload.alerts;
      expect(alert?.status).toBe('firing');
      expect(alert?.labels.severity).toBe('critical');
      expect(alert?.annotations.summary).toBe('market-predictor is down — ünïcode');
      expect(alert?.endsAt).toBe(ZERO_TIME);
      expect(alert?.fingerprint).toMatch(/^[0-9a-f]{16}$/);
      expect(new Date(alert?.startsAt ?? '').toISOString()).toBe(startsAt);

      await alertmanager.postAlerts([
        {
          labels: { alertname: 'MarketPredictorDown', service: 'market-predictor', severity: 'critical' },
          startsAt,
          endsAt: new Date().toISOString(),
        },
      ]);
      const resolved = await waitFor('the resolved notification', () =>
        receiver.deliveries.map((delivery) => alertmanagerWebhookSchema.parse(delivery.body)).find((body) => body.status === 'resolved'),
      );
      expect(resolved.alerts[0]?.status).toBe('resolved');
      expect(resolved.alerts[0]?.fingerprint).toBe(alert?.fingerprint);
      expect(resolved.alerts[0]?.endsAt).not.toBe(ZERO_TIME);
    });

    it('refuses a malformed alert at its API', async () => {
      await expect(alertmanager.postAlerts([{ labels: {} }])).rejects.toThrow(/refused/);
    });
  },
);
