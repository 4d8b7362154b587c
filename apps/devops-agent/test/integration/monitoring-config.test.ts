import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeWithComponent } from '@atb/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';

/**
 * The shipped monitoring configuration (deploy/prometheus, deploy/alertmanager) checked by
 * the real Debian tools: `promtool check config|rules`, `promtool test rules`, `amtool check-config`.
 */

const repositoryRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../..');
const deploy = join(repositoryRoot, 'deploy');

interface ToolResult {
  code: number;
  output: string;
}

function runTool(command: string, args: string[]): Promise<ToolResult> {
  return new Promise((resolvePromise) => {
    execFile(command, args, { cwd: repositoryRoot, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolvePromise({ code, output: `${stdout}${stderr}` });
    });
  });
}

async function probeTool(command: string): Promise<string | undefined> {
  const result = await runTool(command, ['--version']);
  return result.code === 0 ? undefined : `${command} --version failed: ${result.output.trim() || 'not found'}`;
}

describeWithComponent(
  'promtool',
  await probeTool('promtool'),
  'install the Debian package "prometheus" (scripts/install-system-deps.sh)',
  () => {
    it('accepts the shipped Prometheus configuration and its rule files', async () => {
      const result = await runTool('promtool', ['check', 'config', join(deploy, 'prometheus/prometheus.yml')]);
      expect(result.output).toContain('SUCCESS');
      expect(result.output).toMatch(/SUCCESS: 5 rules found/);
      expect(result.code, result.output).toBe(0);
    });

    it('accepts the fast profile, which is the shipped configuration re-rendered with shorter timings', async () => {
      const rendered = await runTool(process.execPath, [join(repositoryRoot, 'scripts/render-fast-profile.mjs'), '--check']);
      expect(rendered.code, rendered.output).toBe(0);
      const result = await runTool('promtool', ['check', 'config', join(deploy, 'prometheus/prometheus-fast.yml')]);
      expect(result.output).toMatch(/SUCCESS: 5 rules found/);
      expect(result.code, result.output).toBe(0);
      const fast = await readFile(join(deploy, 'prometheus/rules-fast/market-predictor.yml'), 'utf8');
      expect([...fast.matchAll(/for: (\S+)/g)].map((match) => match[1])).toEqual(['2s', '2s', '5s', '5s', '10s']);
    });

    it('passes the alert rules unit tests (deploy/prometheus/tests)', async () => {
      const result = await runTool('promtool', [
        'test',
        'rules',
        join(deploy, 'prometheus/tests/market-predictor.test.yml'),
      ]);
      expect(result.code, result.output).toBe(0);
      expect(result.output).toContain('SUCCESS');
    });

    let scratch = '';
    beforeAll(async () => {
      scratch = await mkdtemp(join(tmpdir(), 'atb-promtool-'));
    });
    afterAll(async () => {
      if (scratch) await rm(scratch, { recursive: true, force: true });
    });

    it('fails a rules test whose expectation is wrong (the harness can fail)', async () => {
      const tests = await readFile(join(deploy, 'prometheus/tests/market-predictor.test.yml'), 'utf8');
      const wrong = tests
        .replace('../rules/market-predictor.yml', join(deploy, 'prometheus/rules/market-predictor.yml'))
        .replace('severity: critical', 'severity: low');
      const file = join(scratch, 'wrong.test.yml');
      await writeFile(file, wrong);
      const result = await runTool('promtool', ['test', 'rules', file]);
      expect(result.code).not.toBe(0);
      expect(result.output).toContain('FAILED');
    });

    it('rejects a broken rule file', async () => {
      const file = join(scratch, 'broken.yml');
      await writeFile(
        file,
        'groups:\n  - name: broken\n    rules:\n      - alert: Broken\n        expr: up{ == 0\n        for: 10s\n',
      );
      const result = await runTool('promtool', ['check', 'rules', file]);
      expect(result.code).not.toBe(0);
    });
  },
);

describeWithComponent(
  'amtool',
  await probeTool('amtool'),
  'install the Debian package "prometheus-alertmanager" (scripts/install-system-deps.sh)',
  () => {
    it('accepts the shipped Alertmanager configuration', async () => {
      const result = await runTool('amtool', ['check-config', join(deploy, 'alertmanager/alertmanager.yml')]);
      expect(result.code, result.output).toBe(0);
      expect(result.output).toContain('SUCCESS');
    });

    it('accepts the fast profile of the Alertmanager configuration', async () => {
      const result = await runTool('amtool', ['check-config', join(deploy, 'alertmanager/alertmanager-fast.yml')]);
      expect(result.code, result.output).toBe(0);
      expect(result.output).toContain('SUCCESS');
    });

    it('routes a predictor alert to the devops agent receiver', async () => {
      const result = await runTool('amtool', [
        'config',
        'routes',
        'test',
        '--config.file',
        join(deploy, 'alertmanager/alertmanager.yml'),
        '--verify.receivers=devops-agent',
        'alertname=MarketPredictorDown',
        'service=market-predictor',
        'severity=critical',
      ]);
      expect(result.code, result.output).toBe(0);
      expect(result.output.split('\n').map((line) => line.trim())).toContain('devops-agent');
    });
  },
);
