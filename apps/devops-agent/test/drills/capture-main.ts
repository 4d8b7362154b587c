/**
 * Captures the drill scenarios of the offline evaluation: runs every drill of drills.ts on
 * Podman (a private Podman API service), gathers the evidence as the agent does, and writes
 * one scenario per alert to apps/devops-agent/evals/scenarios/2xx-drill-*.json.
 *
 *   npx tsx --conditions=@atb/source apps/devops-agent/test/drills/capture-main.ts
 */
import { writeFileSync } from 'node:fs';
import { startPodman } from '@atb/testing';
import { defaultScenarioDirectory } from '../../src/evaluation/scenario.js';
import { runDrill, startDrillBench, drillScenario } from './capture-drills.js';
import { DRILLS } from './drills.js';

const engine = await startPodman();
// One target per drill: each has its own image history at the gateway.
const nameOf = (id: string) => `atb-drill-${id}`;
const bench = await startDrillBench(engine, DRILLS.map((drill) => nameOf(drill.id)));
let number = 200;
try {
  for (const drill of DRILLS) {
    const evidence = await runDrill(bench, drill, nameOf(drill.id));
    process.stdout.write(`${drill.id}: ${evidence.facts.join(', ')}\n`);
    drill.alerts.forEach((alert, index) => {
      const scenario = drillScenario(drill, alert, evidence, index);
      writeFileSync(`${defaultScenarioDirectory()}/${number++}-${scenario.id}.json`, `${JSON.stringify(scenario, null, 2)}\n`);
    });
  }
} finally {
  for (const drill of DRILLS) await engine.docker.getContainer(nameOf(drill.id)).remove({ force: true }).catch(() => {});
  await bench.close();
  await engine.close();
}
