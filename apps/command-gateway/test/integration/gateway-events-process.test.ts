import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlServer, Supervisor } from '@atb/cli/control';
import { describe } from 'vitest';
import { ProcessRuntime } from '../../src/runtime/process-runtime.js';
import { gatewayEventsSuite } from '../gateway-events.cases.js';
import { startGateway } from '../support/gateway-fixture.js';

describe('process runtime (atb up’s supervisor) events', () => {
  gatewayEventsSuite(async () => {
    const directory = mkdtempSync(join(tmpdir(), 'atb-events-test-process-'));
    const script = join(directory, 'idle.mjs');
    writeFileSync(script, "process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1000);");
    const supervisor = new Supervisor(() => {});
    const suffix = randomBytes(3).toString('hex');
    const target = `atb-events-test-${suffix}`;
    const other = `atb-events-test-other-${suffix}`;
    for (const name of [target, other]) supervisor.start({ name, script, cwd: directory, env: process.env });
    const controlFile = join(directory, 'atb', 'control.json');
    let control = await startControlServer(supervisor, { controlFile });
    const gateway = await startGateway(
      { GATEWAY_ALLOWED_TARGETS: target },
      { runtime: new ProcessRuntime({ controlFile }), events: { heartbeatMs: 200 } },
    );
    const baseUrl = await gateway.service.listen();
    return {
      gateway,
      baseUrl,
      engine: new ProcessRuntime({ controlFile, actor: 'a person' }),
      target,
      other,
      async restartEngine(whileDown) {
        // The control API goes away and comes back on a new port and token (same control file).
        await control.close();
        try {
          await whileDown();
        } finally {
          control = await startControlServer(supervisor, { controlFile });
        }
      },
      async close() {
        await gateway.close();
        await control.close();
        await supervisor.stopAll(5000);
        rmSync(directory, { recursive: true, force: true });
      },
    };
  });
});
