import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { dockerCommandFor } from '../src/execution/docker-command.js';
import { defaultPolicy } from '../src/policy/policy.js';
import { validatePlan } from '../src/policy/validate-plan.js';
import { commandRequest, type GatewayFixture, startGateway } from './support/gateway-fixture.js';

let gateway: GatewayFixture | undefined;
let directory: string | undefined;
afterEach(async () => {
  await gateway?.close();
  if (directory) rmSync(directory, { recursive: true, force: true });
  gateway = undefined;
  directory = undefined;
});

const context = { sourceId: 'devops-agent', requestedTarget: 'market-predictor', maxTimeoutSeconds: 30 };

it('the default policy grants rollback to no source', async () => {
  const policy = defaultPolicy();
  for (const sourceId of Object.keys(policy.sources)) {
    const validation = await validatePlan({ operation: 'rollback', target: 'market-predictor', params: {} }, { ...context, sourceId, policy });
    expect(validation).toMatchObject({ ok: false, rejection: { code: 'operation_not_allowed' } });
  }
});

it('rollback listed as an operation is still refused without a grant for that very target', async () => {
  const policy = defaultPolicy();
  policy.sources['devops-agent'] = { operations: ['restart', 'rollback'], targets: { rollback: ['other-service'] } };
  policy.targets.names.push('other-service');
  const refused = await validatePlan({ operation: 'rollback', target: 'market-predictor', params: {} }, { ...context, policy });
  expect(refused).toEqual({
    ok: false,
    rejection: {
      code: 'operation_not_allowed',
      reason: 'source_id "devops-agent" may not rollback "market-predictor": rollback is granted per target (policy sources.devops-agent.targets.rollback: other-service)',
    },
  });
  const granted = await validatePlan({ operation: 'rollback', target: 'other-service', params: {} }, { ...context, requestedTarget: 'other-service', policy });
  expect(granted).toMatchObject({ ok: true, plan: { operation: 'rollback', target: 'other-service' } });
  if (granted.ok) expect(dockerCommandFor(granted.plan)).toContain('docker stop other-service && docker rename other-service');
});

it('a runtime without images (the process runtime) answers rollback rejected with the reason, even when granted', async () => {
  directory = mkdtempSync(join(tmpdir(), 'gateway-rollback-policy-'));
  const policyFile = join(directory, 'policy.yaml');
  writeFileSync(policyFile, 'sources:\n  devops-agent:\n    operations: [inspect, rollback]\n    targets: { rollback: [market-predictor] }\n');
  gateway = await startGateway({ GATEWAY_POLICY_FILE: policyFile });
  const response = await gateway.execute(commandRequest('roll back to the previous image'));
  expect(response.body).toMatchObject({
    overall_status: 'rejected',
    reason_code: 'rollback_unsupported',
    reason: expect.stringContaining('rollback needs the Docker Engine API'),
  });
  expect(gateway.runtime.calls.filter((call) => call.method !== 'inspect')).toEqual([]);
});
