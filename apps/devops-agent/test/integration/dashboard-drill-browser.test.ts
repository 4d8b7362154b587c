import { type DrillStage, runDrill } from '@atb/cli';
import { describeWithComponent, type PodmanEngine, probePodman, startPodman } from '@atb/testing';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type DashboardBrowser, openDashboardBrowser, probeChromium, signIn } from '../support/chromium.js';
import {
  buildPredictor,
  E2E_AGENT_TOKEN,
  formatRecovery,
  http,
  type PredictorContainer,
  type RunningGateway,
  type RunningService,
  startAgent,
  startGateway,
  startPredictorContainer,
} from './e2e-stack.js';

/**
 * A drill on the running stack, watched in Chromium: the predictor in a Podman container, the
 * gateway on Podman's Docker API, the agent polling the predictor in safety mode. The overview
 * is opened before the fault and never reloaded; each stage `atb drill` narrates (runDrill)
 * must show on it through the live stream, and the restart is approved on the incident page in
 * a second tab, under the signed-in operator's name.
 */

/** The timeline entry the page lists for each stage of the drill. */
const SHOWN_AS: Partial<Record<DrillStage['name'], string>> = {
  'incident-opened': 'incident-opened',
  'analysis-completed': 'analysis-completed',
  'approval-requested': 'action-proposed',
  'action-approved': 'action-approved',
  'action-started': 'action-started',
  'action-finished': 'action-finished',
  'action-verified': 'action-verified',
  'incident-resolved': 'incident-resolved',
};

/** The states an incident row passes through on the way to resolved, in order. */
const LIFECYCLE = ['open', 'investigating', 'awaiting_approval', 'remediating', 'verifying', 'resolved'];

const unavailable = (await probePodman()) ?? (await probeChromium());

describeWithComponent('Podman and Chromium', unavailable, 'install them: bash scripts/install-system-deps.sh', () => {
  let engine: PodmanEngine;
  let predictor: PredictorContainer | undefined;
  let gateway: RunningGateway | undefined;
  let agent: RunningService | undefined;
  let browser: DashboardBrowser;

  beforeAll(async () => {
    await buildPredictor();
    engine = await startPodman();
    predictor = await startPredictorContainer(engine);
    gateway = await startGateway(engine, predictor.name);
    agent = await startAgent({
      MARKET_PREDICTOR_URL: predictor.url,
      MONITORED_SERVICE: predictor.name,
      MONITORING_INTERVAL: '0.5',
      HEALTH_CHECK_TIMEOUT: '1',
      GATEWAY_EVENTS: 'false',
      SLOW_RESPONSE_THRESHOLD_MS: '10000',
      AI_COMMAND_GATEWAY_URL: gateway.url,
      AI_COMMAND_GATEWAY_TOKEN: gateway.token,
      SAFETY_MODE: 'true',
      ACTION_COOLDOWN: '0',
      VERIFICATION_INTERVAL: '0.5',
      VERIFICATION_WINDOW: '60',
      // Panels refresh only once an hour: whatever changes on the page came through the live stream.
      DASHBOARD_REFRESH_SECONDS: '3600',
    });
    const started = await http<{ status: string }>(`${agent.url}/control/start-monitoring`, { method: 'POST', token: E2E_AGENT_TOKEN });
    expect(started.body.status).toBe('started');
    browser = await openDashboardBrowser('dashboard-drill');
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await agent?.close();
    await gateway?.close();
    await predictor?.remove();
  });

  const liveTypes = (page: Page) => page.locator('#live-feed li').evaluateAll((items) => items.map((item) => item.getAttribute('data-type')));
  /**
   * Records, in the page itself, every state the incident rows show (a MutationObserver; the
   * test has no DOM types, so it is page source), and marks the document: both gone on a reload.
   */
  const watchStates = (page: Page) =>
    page.evaluate(`(() => {
      const seen = [];
      const record = () => {
        for (const row of document.querySelectorAll('#incidents tr[data-incident-id]')) {
          const state = row.getAttribute('data-incident-id') + ' ' + (row.querySelector('td')?.textContent ?? '').trim();
          if (!seen.includes(state)) seen.push(state);
        }
      };
      new MutationObserver(record).observe(document.body, { childList: true, subtree: true });
      Object.assign(globalThis, { __states: seen, __mark: 'overview' });
    })()`);
  const watched = (page: Page) =>
    page.evaluate(() => {
      const recorded = globalThis as unknown as { __states?: string[]; __mark?: string };
      return { states: recorded.__states ?? [], mark: recorded.__mark };
    });

  it('shows a crash drill stage by stage without a reload, and approving on the incident page restarts the container', async () => {
    if (!predictor || !gateway || !agent) throw new Error('the stack did not start');
    const baseUrl = agent.url;
    const issued = await http<{ token: string }>(`${baseUrl}/tokens`, { method: 'POST', token: E2E_AGENT_TOKEN, body: { name: 'olga', role: 'operator' } });
    expect(issued.status).toBe(201);
    const overview = await browser.newPage();
    await signIn(overview.page, baseUrl, issued.body.token);
    await expect.poll(() => overview.page.locator('#connection').textContent()).toBe('live');
    await watchStates(overview.page);
    const incidentTab = await browser.newPage();

    const shown: DrillStage['name'][] = [];
    const onStage = async (stage: DrillStage) => {
      const type = SHOWN_AS[stage.name];
      if (!type) return;
      await expect.poll(() => liveTypes(overview.page), { timeout: 15_000, message: `the overview to list ${type}` }).toContain(type);
      shown.push(stage.name);
      if (stage.name === 'incident-opened') await expect.poll(() => overview.page.locator(`#incidents tr[data-incident-id="${stage.incident_id}"]`).count()).toBe(1);
      if (stage.name !== 'approval-requested') return;
      await expect.poll(() => overview.page.locator(`#pending-actions tr[data-action-id="${stage.action_id}"]`).count()).toBe(1);
      // Approve on the incident page, in the second tab: the drill then follows the restart.
      await incidentTab.page.goto(`${baseUrl}/dashboard/incidents/${stage.incident_id}`);
      const row = incidentTab.page.locator(`#incident table.actions tr[data-action-id="${stage.action_id}"]`);
      await row.locator('input[name="reason"]').fill('drill: restart it');
      await row.getByRole('button', { name: 'Approve' }).click();
      await incidentTab.page.waitForURL(/\?decided=/);
    };
    const result = await runDrill({ fault: 'crash', predictorUrl: predictor.url, agentUrl: baseUrl, service: predictor.name, timeoutMs: 90_000, pollIntervalMs: 200, onStage });
    expect(result.outcome, formatRecovery('crash drill in the browser', result)).toBe('resolved');
    expect(shown).toEqual(result.stages.map((stage) => stage.name).filter((name) => SHOWN_AS[name]));
    expect(shown).toEqual(expect.arrayContaining(['incident-opened', 'approval-requested', 'action-approved', 'action-started', 'action-verified', 'incident-resolved']));

    // The overview was never reloaded, and its incident row went through the states in order.
    const incidentId = result.incident_ids[0]!;
    const page = await watched(overview.page);
    expect(page.mark).toBe('overview');
    const states = page.states.filter((entry) => entry.startsWith(`${incidentId} `)).map((entry) => entry.slice(incidentId.length + 1));
    expect(states, states.join(' → ')).toEqual(expect.arrayContaining(['awaiting_approval', 'resolved']));
    expect(states.map((state) => LIFECYCLE.indexOf(state)), states.join(' → ')).toEqual([...states.map((state) => LIFECYCLE.indexOf(state))].sort((a, b) => a - b));
    expect(states.filter((state) => !LIFECYCLE.includes(state))).toEqual([]);
    expect(states.at(-1)).toBe('resolved');
    // The live feed (newest first) lists the stages' entries in the order the drill saw them.
    const feed = (await liveTypes(overview.page)).reverse();
    const positions = shown.map((stage) => feed.indexOf(SHOWN_AS[stage]!));
    expect(positions, feed.join(' → ')).toEqual([...positions].sort((a, b) => a - b));
    expect(await overview.page.locator('#pending-actions').textContent()).toContain('Nothing waits for approval.');

    // The restart ran once, approved by olga, and the incident page shows it succeeded.
    const detail = await http<{ actions: { operation: string; status: string; approved_by: string | null }[] }>(`${baseUrl}/incidents/${incidentId}`);
    const remediations = detail.body.actions.filter((action) => ['restart', 'start'].includes(action.operation));
    expect(remediations).toEqual([expect.objectContaining({ status: 'succeeded', approved_by: 'olga' })]);
    await expect.poll(() => incidentTab.page.locator('#incident table.actions').textContent(), { timeout: 10_000 }).toContain('succeeded');
    expect(overview.problems).toEqual([]);
    expect(incidentTab.problems).toEqual([]);
  }, 120_000);
});
