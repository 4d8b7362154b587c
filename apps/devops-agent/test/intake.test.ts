import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alert, eventually, notification, RealGateway, startAgent } from './support/agent-harness.js';

type Started = Awaited<ReturnType<typeof startAgent>>;

describe('POST /webhook/alerts', () => {
  let started: Started;
  let gateway: RealGateway;

  beforeEach(async () => {
    gateway = new RealGateway();
    await gateway.start();
    started = await startAgent({ AI_COMMAND_GATEWAY_URL: gateway.url });
  });
  afterEach(async () => {
    await started.close();
    await gateway.stop();
  });

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    started.agent.app.inject({ method: 'POST', url: '/webhook/alerts', payload: body as object, headers });
  const counts = async () => ({
    incidents: (await started.agent.agent.store.incidents.list({ limit: 500 })).length,
    actions: (await started.agent.agent.store.actions.list({ limit: 1000 })).length,
  });

  it('persists a firing alert, opens an incident, analyses it and proposes a restart (safety mode)', async () => {
    const response = await post(notification([alert({ alertname: 'MarketPredictorDown', service: 'market-predictor', severity: 'critical' })]));
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ status: 'accepted', received: 1, created: 1 });
    const [incidentId] = response.json().incidents as string[];
    const action = await eventually(async () => (await started.agent.agent.store.actions.list({ status: 'pending' }))[0], 5000, 'a pending action');
    expect(action).toMatchObject({ operation: 'restart', target: 'market-predictor', incident_id: incidentId, status: 'pending' });
    const incident = (await started.agent.app.inject({ url: `/incidents/${incidentId}` })).json();
    expect(incident.state).toBe('awaiting_approval');
    expect(incident.analysis.analysis).toMatchObject({ issue_detected: true, severity: 'critical', issue_type: 'service_down' });
    expect(incident.timeline.map((event: { type: string }) => event.type)).toEqual([
      'incident-opened',
      'investigation-started',
      'analysis-completed',
      'action-proposed',
    ]);
    expect(gateway.commandRequests()).toHaveLength(0);
  });

  it('the same webhook delivered five times → one incident, one action', async () => {
    const body = notification([alert({ alertname: 'MarketPredictorDown', service: 'market-predictor' }, { fingerprint: 'same-fp' })]);
    const responses = await Promise.all(Array.from({ length: 5 }, () => post(body)));
    expect(responses.every((response) => response.statusCode === 200)).toBe(true);
    expect(responses.reduce((sum, response) => sum + response.json().created, 0)).toBe(1);
    await eventually(async () => (await started.agent.agent.store.actions.list()).length === 1, 5000, 'one action');
    for (let index = 0; index < 5; index += 1) expect((await post(body)).json()).toMatchObject({ created: 0, unchanged: 1 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await counts()).toEqual({ incidents: 1, actions: 1 });
    expect(await started.agent.agent.store.incidents.alerts((await started.agent.agent.store.incidents.list())[0]!.id)).toHaveLength(1);
  });

  it('the same resolved notification five times resolves once', async () => {
    const firing = alert({ alertname: 'SomethingOdd', service: 'svc' }, { fingerprint: 'fp-resolve' });
    await post(notification([firing]));
    const resolved = { ...firing, status: 'resolved' as const, endsAt: '2026-01-01T00:09:00Z' };
    const results = [];
    for (let index = 0; index < 5; index += 1) results.push((await post(notification([resolved]))).json());
    expect(results.map((result) => result.resolved)).toEqual([1, 0, 0, 0, 0]);
    const [incident] = await started.agent.agent.store.incidents.list();
    await eventually(async () => (await started.agent.agent.store.incidents.get(incident!.id))?.state === 'resolved', 5000, 'resolved');
    const events = await started.agent.agent.store.incidents.events(incident!.id);
    expect(events.filter((event) => event.type === 'incident-resolved')).toHaveLength(1);
  });

  it('resolved notifications for unknown alerts are a no-op', async () => {
    const response = await post(notification([alert({ alertname: 'Ghost', service: 'svc' }, { status: 'resolved' })]));
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ received: 1, created: 0, resolved: 0, ignored: 1, incidents: [] });
    expect(await counts()).toEqual({ incidents: 0, actions: 0 });
    const audit = (await started.agent.app.inject({ url: '/audit' })).json();
    expect(audit.records).toHaveLength(0);
  });

  it('groups by service and alertname while open, and re-opens a resolved incident within the window (flap count)', async () => {
    const first = alert({ alertname: 'HighLatency', service: 'a' }, { fingerprint: 'f1' });
    const second = alert({ alertname: 'HighLatency', service: 'a', instance: 'other' }, { fingerprint: 'f2' });
    const other = alert({ alertname: 'HighLatency', service: 'b' }, { fingerprint: 'f3' });
    const response = await post(notification([first, second, other]));
    expect(response.json().incidents).toHaveLength(2);
    const incidentA = (await started.agent.agent.store.incidents.list({ service: 'a' }))[0]!;
    expect(await started.agent.agent.store.incidents.alerts(incidentA.id)).toHaveLength(2);
    await post(notification([first, second].map((entry) => ({ ...entry, status: 'resolved' as const }))));
    await eventually(async () => (await started.agent.agent.store.incidents.get(incidentA.id))?.state === 'resolved', 5000, 'resolved');
    const again = await post(notification([alert({ alertname: 'HighLatency', service: 'a' }, { fingerprint: 'f1', startsAt: '2026-01-01T01:00:00Z' })]));
    expect(again.json().incidents).toEqual([incidentA.id]);
    const reopened = await started.agent.agent.store.incidents.get(incidentA.id);
    expect(reopened).toMatchObject({ flap_count: 1 });
    const events = await started.agent.agent.store.incidents.events(incidentA.id);
    expect(events.some((event) => event.type === 'incident-reopened')).toBe(true);
  });

  it('an escalated incident keeps collecting its alerts: a storm does not open an incident per notification', async () => {
    const first = await post(notification([alert({ alertname: 'UnknownThing', service: 'svc' })]));
    const id = first.json().incidents[0] as string;
    await eventually(async () => (await started.agent.agent.store.incidents.get(id))?.state === 'escalated', 5000, 'escalation');
    for (let index = 0; index < 5; index += 1) {
      expect((await post(notification([alert({ alertname: 'UnknownThing', service: 'svc', pod: String(index) })]))).json().incidents).toEqual([id]);
    }
    expect(await counts()).toEqual({ incidents: 1, actions: 0 });
    expect(await started.agent.agent.store.incidents.alerts(id)).toHaveLength(6);
  });

  it('takes 5,000 alerts in one payload in one transaction', async () => {
    const alerts = Array.from({ length: 5000 }, (_, index) => alert({ alertname: `Bulk${index % 7}`, service: `svc-${index % 3}`, index: String(index) }));
    const response = await post(notification(alerts));
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ received: 5000, created: 5000 });
    expect((await started.agent.agent.store.incidents.list({ limit: 500 })).length).toBe(21);
    expect((await post(notification(alerts))).json()).toMatchObject({ created: 0, unchanged: 5000 });
  });

  describe('bad input: a clear 4xx (or processed correctly), never a 500, never a partial write', () => {
    const huge = 'x'.repeat(200_000);
    const cases: { name: string; send: () => Promise<{ statusCode: number; json(): Record<string, unknown> }>; status: number; field?: string; created?: number }[] = [
      { name: 'malformed JSON', send: () => started.agent.app.inject({ method: 'POST', url: '/webhook/alerts', payload: '{"alerts": [', headers: { 'content-type': 'application/json' } }), status: 400, field: 'body' },
      { name: 'not JSON at all', send: () => started.agent.app.inject({ method: 'POST', url: '/webhook/alerts', payload: 'hello', headers: { 'content-type': 'text/plain' } }), status: 422, field: 'body' },
      { name: 'empty body', send: () => started.agent.app.inject({ method: 'POST', url: '/webhook/alerts', payload: '', headers: { 'content-type': 'application/json' } }), status: 400 },
      { name: 'no alerts field', send: () => post({ version: '4', status: 'firing' }), status: 422, field: 'body.alerts' },
      { name: 'alerts is not an array', send: () => post({ status: 'firing', alerts: 'many' }), status: 422, field: 'body.alerts' },
      { name: 'wrong status', send: () => post(notification([{ ...alert({ alertname: 'A' }), status: 'burning' as 'firing' }])), status: 422, field: 'body.alerts.0.status' },
      { name: 'label value not a string', send: () => post(notification([{ ...alert({ alertname: 'A' }), labels: { alertname: 5 } as unknown as Record<string, string> }])), status: 422, field: 'body.alerts.0.labels.alertname' },
      { name: 'missing fingerprint (one bad alert in a batch)', send: () => post(notification([alert({ alertname: 'Good' }), { ...alert({ alertname: 'A' }), fingerprint: '' }])), status: 422, field: 'body.alerts.1.fingerprint' },
      { name: 'empty alerts list', send: () => post(notification([])), status: 200, created: 0 },
      { name: 'a 10 MB body', send: () => post(notification([alert({ alertname: 'Big', blob: 'y'.repeat(10 * 1024 * 1024) })])), status: 413, field: 'body' },
      { name: 'Unicode labels', send: () => post(notification([alert({ alertname: 'ÜberAlarm 🚨', service: 'サービス', 'région': 'île-de-France' })])), status: 200, created: 1 },
      { name: 'huge label values', send: () => post(notification([alert({ alertname: 'Huge', service: huge, detail: huge })])), status: 200, created: 1 },
      { name: 'unknown fields are ignored', send: () => post(notification([{ ...alert({ alertname: 'Extra' }), surprise: { nested: true } } as ReturnType<typeof alert>], { futureField: 1 })), status: 200, created: 1 },
    ];
    for (const testCase of cases) {
      it(testCase.name, async () => {
        const response = await testCase.send();
        expect(response.statusCode).toBe(testCase.status);
        if (testCase.field) expect(response.json().field).toBe(testCase.field);
        if (testCase.status >= 400) {
          expect(response.json().error).toBeTypeOf('string');
          expect(await counts()).toEqual({ incidents: 0, actions: 0 });
        } else {
          expect(response.json().created).toBe(testCase.created);
        }
      });
    }
  });
});

describe('webhook authentication', () => {
  let started: Started;
  afterEach(async () => {
    await started.close();
  });

  it('accepts the bearer token and refuses others with 401', async () => {
    started = await startAgent({ WEBHOOK_BEARER_TOKEN: 's3cret-token' });
    const body = notification([alert({ alertname: 'A', service: 's' })]);
    const inject = (authorization?: string) =>
      started.agent.app.inject({ method: 'POST', url: '/webhook/alerts', payload: body, headers: authorization ? { authorization } : {} });
    expect((await inject()).statusCode).toBe(401);
    expect((await inject('Bearer wrong')).json()).toMatchObject({ error: 'unauthenticated', field: 'authorization' });
    expect((await inject('Bearer s3cret-token')).statusCode).toBe(200);
  });

  it('accepts basic auth as Alertmanager sends it', async () => {
    started = await startAgent({ WEBHOOK_USERNAME: 'alertmanager', WEBHOOK_PASSWORD: 'pa:ss' });
    const body = notification([alert({ alertname: 'A', service: 's' })]);
    const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    const inject = (authorization: string) => started.agent.app.inject({ method: 'POST', url: '/webhook/alerts', payload: body, headers: { authorization } });
    expect((await inject(basic('alertmanager', 'wrong'))).statusCode).toBe(401);
    expect((await inject(basic('alertmanager', 'pa:ss'))).statusCode).toBe(200);
  });
});
