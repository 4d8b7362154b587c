/**
 * The SWE-bench-shaped bug-fix benchmark of the coding agent.
 *
 *   npx tsx --conditions=@atb/source bench/coder/swe/run.ts [--model scripted|llm] [--limit N] [--instances file.jsonl] [--write-base-commits]
 *
 * `--model scripted` (default) proves the harness with the scripted model answering each
 * instance's gold edit; `--model llm` uses the LLM_* settings from the environment (e.g.
 * LLM_PROVIDER=openai OPENAI_API_KEY=…) and reports resolve rate, cost and time per instance.
 * `--write-base-commits` fills in `base_commit` after a fixture changed.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type InstanceResult, loadInstances, materializeRepository, runHarness, SWE_DIRECTORY, scriptedModel, startScriptedModel } from './harness.js';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: 'scripted' },
    limit: { type: 'string' },
    instances: { type: 'string', default: join(SWE_DIRECTORY, 'instances.jsonl') },
    'write-base-commits': { type: 'boolean', default: false },
  },
});

const instances = await loadInstances(args.instances);
if (args['write-base-commits']) {
  const { mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  for (const instance of instances) {
    const directory = await mkdtemp(join(tmpdir(), 'atb-swe-base-'));
    instance.base_commit = await materializeRepository(instance.repo, join(directory, 'repository'));
    await rm(directory, { recursive: true, force: true });
  }
  await writeFile(args.instances, instances.map((instance) => `${JSON.stringify(instance)}\n`).join(''));
  console.log(`wrote base_commit of ${instances.length} instances to ${args.instances}`);
  process.exit(0);
}

const selected = args.limit ? instances.slice(0, Number(args.limit)) : instances;
const server = args.model === 'scripted' ? await startScriptedModel(selected) : undefined;
const started = performance.now();
const print = (result: InstanceResult) =>
  console.log(
    `${result.instance_id.padEnd(28)} ${result.resolved ? 'RESOLVED  ' : 'unresolved'} ${result.status.padEnd(16)} F2P ${result.fail_to_pass.passed}/${result.fail_to_pass.total} P2P ${result.pass_to_pass.passed}/${result.pass_to_pass.total}  ${result.seconds.toFixed(1)} s  ${result.tokens} tokens  $${result.cost_usd.toFixed(4)}  ${result.iterations} it${result.reason ? `  (${result.reason.slice(0, 80)})` : ''}`,
  );
try {
  const { results, invalid } = await runHarness({
    instances: selected,
    ...(server ? { model: scriptedModel(server) } : {}),
    environment: { ...process.env, TESTING_TIMEOUT: process.env.TESTING_TIMEOUT ?? '60' },
    onResult: print,
  });
  for (const [id, problem] of Object.entries(invalid)) console.log(`${id.padEnd(28)} INVALID    ${problem}`);
  const resolved = results.filter((result) => result.resolved).length;
  const seconds = results.map((result) => result.seconds).sort((left, right) => left - right);
  const cost = results.reduce((sum, result) => sum + result.cost_usd, 0);
  const tokens = results.reduce((sum, result) => sum + result.tokens, 0);
  console.log(
    `\nmodel ${args.model}: resolved ${resolved}/${results.length} (${((100 * resolved) / Math.max(1, results.length)).toFixed(0)}%), ` +
      `median ${(seconds[Math.floor(seconds.length / 2)] ?? 0).toFixed(1)} s per instance, ${tokens} tokens, $${cost.toFixed(4)} in total, ` +
      `wall ${((performance.now() - started) / 1000).toFixed(1)} s; invalid instances: ${Object.keys(invalid).length}`,
  );
  if (Object.keys(invalid).length > 0) process.exitCode = 1;
} finally {
  await server?.close();
}
