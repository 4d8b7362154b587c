import { randomBytes } from 'node:crypto';
import { chmodSync, createReadStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureOutput, describeWithComponent, freePort, type NodeContainer, type PodmanEngine, runNodeContainer, startPodman, waitFor } from '@atb/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createProgram } from '../../src/program.js';
import { generateStackSecrets, type StackSecrets, writeStackSecrets } from '../../src/commands/secrets.js';
import {
  type BaseImages,
  buildBaseImages,
  buildInfraImages,
  buildServiceImages,
  compose,
  driveHealthchecks,
  http,
  probeComposeTools,
  REPOSITORY,
  runCommand,
  SCALED_COMPOSE_FILE,
  SERVICES,
  STACK_SERVICES,
  serviceContainer,
  serviceReplicas,
  waitForStackHealthy,
} from './compose-stack.js';

// The images built from the repository's Dockerfile on bases made from Debian
// packages, the whole stack brought up by Debian's docker-compose 1.29 against Podman's Docker
// API, and the recovery loop through it. One describe, run in order: the image build is the
// expensive part and happens once per suite run.

interface IncidentDetail {
  id: string;
  state: string;
  alertname: string;
  service: string;
  actions: Array<{ id: string; operation: string; status: string; target: string; effective: boolean | null }>;
}

/** Runs one `atb` command line through the real command tree; answers what it printed and its exit code. */
const runAtb = (...args: string[]) => captureOutput(() => createProgram().exitOverride().parseAsync(['node', 'atb', ...args]));

const suffix = randomBytes(3).toString('hex');
const project = `atb-deploy-test-${suffix}`;

describeWithComponent('Podman and docker-compose', await probeComposeTools(), 'install them: bash scripts/install-system-deps.sh', () => {
  let engine: PodmanEngine;
  let health: { stop(): void } | undefined;
  let secrets: StackSecrets;
  let secretsDirectory: string;
  let variables: Record<string, string>;
  let ports: Record<string, number>;
  let imageList: string[];
  let bases: BaseImages;
  let scaledVariables: Record<string, string> | undefined;
  let canary: string;
  const canaryDirectory = join(REPOSITORY, 'deploy/compose/secrets');
  const canaryFile = join(canaryDirectory, `.atb-deploy-test-canary-${suffix}`);
  const outsiders: NodeContainer[] = [];
  const scratch = mkdtempSync(join(tmpdir(), 'atb-deploy-test-'));
  const timings: Record<string, number> = {};
  const agentUrl = () => `http://127.0.0.1:${ports.agent}`;
  const gatewayUrl = () => `http://127.0.0.1:${ports.gateway}`;

  beforeAll(async () => {
    engine = await startPodman({ idleTimeoutSeconds: 1800 });
    // The gateway runs as uid 1000 with the socket's group (ENGINE_SOCKET_GID=0): the group needs
    // read-write on the socket, as a Docker socket's `docker` group has it.
    chmodSync(engine.socketPath, 0o660);
    const started = Date.now();
    bases = await buildBaseImages(engine);
    timings.baseImagesMs = Date.now() - started;
    // A secret lying in the build context, where `atb secrets init` puts it by default: the
    // .dockerignore must keep it out of every layer.
    canary = `atb-canary-${randomBytes(16).toString('hex')}`;
    mkdirSync(canaryDirectory, { recursive: true, mode: 0o700 });
    writeFileSync(canaryFile, `AI_COMMAND_GATEWAY_TOKEN=${canary}\n`);
    let built: Awaited<ReturnType<typeof buildServiceImages>>;
    try {
      // Tagged for this run only: another checkout's run on the same engine cannot swap them.
      built = await buildServiceImages(engine, bases, 'localhost/atb-deploy-test', suffix);
    } finally {
      rmSync(canaryFile, { force: true });
    }
    timings.serviceImagesMs = built.durationMs;
    imageList = [...Object.values(built.images), bases.PROMETHEUS_IMAGE, bases.ALERTMANAGER_IMAGE];

    secretsDirectory = join(scratch, 'secrets');
    secrets = generateStackSecrets();
    writeStackSecrets(secretsDirectory, secrets);
    ports = {
      predictor: await freePort(),
      agent: await freePort(),
      coding: await freePort(),
      gateway: await freePort(),
      prometheus: await freePort(),
      alertmanager: await freePort(),
    };
    variables = {
      COMPOSE_PROJECT_NAME: project,
      ATB_IMAGE_PREFIX: 'localhost/atb-deploy-test',
      ATB_IMAGE_TAG: suffix,
      ATB_SECRETS_DIR: secretsDirectory,
      PROMETHEUS_IMAGE: bases.PROMETHEUS_IMAGE,
      ALERTMANAGER_IMAGE: bases.ALERTMANAGER_IMAGE,
      ENGINE_SOCKET: engine.socketPath,
      ENGINE_SOCKET_GID: '0',
      SAFETY_MODE: 'false',
      CHAOS_ENABLED: 'true',
      VERIFICATION_INTERVAL: '2',
      MARKET_PREDICTOR_PORT: String(ports.predictor),
      DEVOPS_AGENT_PORT: String(ports.agent),
      CODING_AGENT_PORT: String(ports.coding),
      COMMAND_GATEWAY_PORT: String(ports.gateway),
      PROMETHEUS_PORT: String(ports.prometheus),
      ALERTMANAGER_PORT: String(ports.alertmanager),
    };
    health = driveHealthchecks(engine, project);
    const up = Date.now();
    await compose(engine, variables, ['up', '-d', '--no-build']);
    await waitForStackHealthy(engine, project);
    timings.upToHealthyMs = Date.now() - up;
  }, 1_800_000);

  afterAll(async () => {
    health?.stop();
    for (const outsider of outsiders) await outsider.remove().catch(() => undefined);
    if (engine && variables) await compose(engine, variables, ['down', '-v', '--remove-orphans', '-t', '5']).catch(() => undefined);
    if (engine && scaledVariables) await compose(engine, scaledVariables, ['down', '-v', '--remove-orphans', '-t', '5'], 300_000, SCALED_COMPOSE_FILE).catch(() => undefined);
    // Only this run's tags go; the layers stay in the build cache for the next run.
    for (const service of SERVICES) await engine?.docker.getImage(`localhost/atb-deploy-test-${service}:${suffix}`).remove({ noprune: true }).catch(() => undefined);
    rmSync(scratch, { recursive: true, force: true });
    rmSync(canaryFile, { force: true });
    process.stderr.write(`composed-stack timings (ms): ${JSON.stringify(timings)}\n`);
  }, 300_000);

  it('runs every service as a non-root user, healthy', async () => {
    for (const service of STACK_SERVICES) {
      const details = await serviceContainer(engine, project, service);
      expect(details.State.Health?.Status, service).toBe('healthy');
      const user = details.Config.User || '';
      expect(user, `${service} runs as`).not.toMatch(/^(|0|root)(:|$)/);
    }
    // The service process itself (PID 1 in the container, as the engine sees it): uid 1000.
    for (const service of SERVICES) {
      const details = await serviceContainer(engine, project, service);
      const status = await runCommand('podman', ['exec', details.Id, 'node', '-e', "process.stdout.write(require('fs').readFileSync('/proc/1/status','utf8'))"], {
        env: { ...process.env, CONTAINERS_CONF: engine.containersConf },
      });
      expect(/^Uid:\s+(\d+)/m.exec(status.stdout)?.[1], `${service} PID 1 uid`).toBe('1000');
      expect(/^Name:\s+(\S+)/m.exec(status.stdout)?.[1], `${service} PID 1`).toBe('node');
    }
  });

  it('keeps secrets out of the images and out of the environment of services that do not need them', async () => {
    const allowed: Record<string, string[]> = {
      'command-gateway': [secrets.gatewayToken, secrets.gatewayAuditKey],
      'devops-agent': [secrets.gatewayToken, secrets.agentToken, secrets.webhookPassword, secrets.codingToken, secrets.agentAuditKey],
      'coding-agent': [secrets.codingToken, secrets.codingAuditKey],
    };
    const every = [secrets.gatewayToken, secrets.agentToken, secrets.webhookPassword, secrets.codingToken, secrets.gatewayAuditKey, secrets.agentAuditKey, secrets.codingAuditKey];
    for (const service of STACK_SERVICES) {
      const details = await serviceContainer(engine, project, service);
      const env = (details.Config.Env ?? []).join('\n');
      for (const secret of every) {
        if ((allowed[service] ?? []).includes(secret)) continue;
        expect(env.includes(secret), `a secret in ${service}'s environment`).toBe(false);
      }
    }
    // Every layer of every image, saved as the engine stores them.
    const archive = join(scratch, 'images.tar');
    await runCommand('podman', ['save', '--format', 'docker-archive', '-m', '-o', archive, ...imageList], {
      env: { ...process.env, CONTAINERS_CONF: engine.containersConf },
    });
    const needles = [canary, ...every].map((value) => Buffer.from(value));
    let tail = Buffer.alloc(0);
    let found: string | undefined;
    let bytes = 0;
    for await (const chunk of createReadStream(archive) as AsyncIterable<Buffer>) {
      const window = Buffer.concat([tail, chunk]);
      bytes += chunk.length;
      const hit = needles.find((needle) => window.includes(needle));
      if (hit) found = hit.toString();
      tail = window.subarray(Math.max(0, window.length - 128));
    }
    rmSync(archive, { force: true });
    expect(bytes).toBeGreaterThan(50_000_000);
    expect(found, 'a secret in an image layer').toBeUndefined();
  }, 300_000);

  it('recovers a crashed predictor: Prometheus fires, Alertmanager delivers, the agent restarts it through the gateway and resolves', async () => {
    const before = await serviceContainer(engine, project, 'market-predictor');
    expect(before.State.Running).toBe(true);
    const crashed = Date.now();
    const crash = await http(`http://127.0.0.1:${ports.predictor}/chaos/crash`, { method: 'POST', body: { delay_ms: 100 } });
    expect(crash.status).toBe(202);
    await waitFor(async () => !(await serviceContainer(engine, project, 'market-predictor')).State.Running, {
      timeoutMs: 10_000,
      description: 'the predictor container to exit',
    });

    const token = secrets.agentToken;
    const resolved = await waitFor(
      async () => {
        const list = await http<{ incidents: Array<{ id: string; state: string; alertname: string }> }>(`${agentUrl()}/incidents?limit=20`, { token });
        const incident = list.body.incidents.find((candidate) => candidate.alertname === 'MarketPredictorDown');
        return incident?.state === 'resolved' ? incident : undefined;
      },
      { timeoutMs: 240_000, intervalMs: 2000, description: 'the MarketPredictorDown incident resolved' },
    );
    timings.crashToResolvedMs = Date.now() - crashed;
    const detail = await http<IncidentDetail>(`${agentUrl()}/incidents/${resolved.id}`, { token });
    expect(detail.body.service).toBe('market-predictor');
    const restart = detail.body.actions.find((action) => action.operation === 'restart');
    expect(restart, JSON.stringify(detail.body.actions)).toBeDefined();
    expect(restart?.status).toBe('succeeded');
    expect(restart?.target).toBe('market-predictor');
    expect(restart?.effective).toBe(true);

    const after = await serviceContainer(engine, project, 'market-predictor');
    expect(after.Id).toBe(before.Id);
    expect(after.State.Running).toBe(true);
    expect(after.State.StartedAt).not.toBe(before.State.StartedAt);
    // …and the gateway's audit names that restart, done through the engine socket.
    const audit = await http<{ records: unknown[] }>(`${gatewayUrl()}/audit?limit=200`, { token: secrets.gatewayToken });
    expect(JSON.stringify(audit.body.records)).toContain('restart');
  }, 300_000);

  it('refuses to act on a container outside the compose project, and on the project’s own agents', async () => {
    const directory = join(scratch, 'outsider');
    mkdirSync(directory, { recursive: true });
    writeFileSync(join(directory, 'idle.mjs'), "process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1000);");
    const name = `atb-deploy-test-outsider-${suffix}`;
    // Started by hand next to the stack, even carrying the predictor's service label.
    const outsider = await runNodeContainer(engine, {
      name,
      appDirectory: directory,
      script: 'idle.mjs',
      labels: { 'com.docker.compose.service': 'market-predictor' },
      stopTimeoutSeconds: 2,
    });
    outsiders.push(outsider);
    const startedAt = (await engine.docker.getContainer(name).inspect()).State.StartedAt;
    for (const target of [name, 'devops-agent', 'command-gateway']) {
      const answer = await http<{ overall_status: string; execution_details: { execution_result: unknown } }>(
        `${gatewayUrl()}/execute-docker-command`,
        {
          method: 'POST',
          token: secrets.gatewayToken,
          body: {
            source_id: 'devops-agent',
            target_resource: { name: target },
            action_request: { intent: 'restart the container', context: 'deploy test', priority: 'HIGH' },
          },
        },
      );
      expect(answer.body.overall_status, `${target}: ${JSON.stringify(answer.body)}`).toBe('rejected');
    }
    expect((await engine.docker.getContainer(name).inspect()).State.StartedAt).toBe(startedAt);
    const listed = await http<{ overall_status: string; execution_details: { execution_result: unknown } }>(`${gatewayUrl()}/execute-docker-command`, {
      method: 'POST',
      token: secrets.gatewayToken,
      body: {
        source_id: 'devops-agent',
        target_resource: { name: 'market-predictor' },
        action_request: { intent: 'list containers', context: 'deploy test', priority: 'LOW' },
      },
    });
    expect(JSON.stringify(listed.body)).not.toContain(name);
  });

  it('keeps incidents and audit across down and up, and `atb audit verify` passes against the containerised agent', async () => {
    const token = secrets.agentToken;
    const before = await http<{ incidents: Array<{ id: string }> }>(`${agentUrl()}/incidents?limit=50`, { token });
    expect(before.body.incidents.length).toBeGreaterThan(0);
    const auditBefore = await http<{ valid: boolean; count: number }>(`${agentUrl()}/audit/verify`, { token });
    expect(auditBefore.body.valid).toBe(true);
    expect(auditBefore.body.count).toBeGreaterThan(0);
    await compose(engine, variables, ['down', '-t', '5']);
    const up = Date.now();
    await compose(engine, variables, ['up', '-d', '--no-build']);
    await waitForStackHealthy(engine, project);
    timings.restartToHealthyMs = Date.now() - up;
    const after = await http<{ incidents: Array<{ id: string }> }>(`${agentUrl()}/incidents?limit=50`, { token });
    expect(after.body.incidents.map((incident) => incident.id)).toEqual(before.body.incidents.map((incident) => incident.id));

    const names = ['DEVOPS_AGENT_URL', 'DEVOPS_AGENT_TOKEN', 'AI_COMMAND_GATEWAY_URL', 'AI_COMMAND_GATEWAY_TOKEN', 'CODING_AGENT_URL', 'CODING_AGENT_TOKEN'];
    const environment = Object.fromEntries(names.map((name) => [name, process.env[name]]));
    process.env.DEVOPS_AGENT_URL = agentUrl();
    process.env.DEVOPS_AGENT_TOKEN = token;
    process.env.AI_COMMAND_GATEWAY_URL = gatewayUrl();
    process.env.AI_COMMAND_GATEWAY_TOKEN = secrets.gatewayToken;
    process.env.CODING_AGENT_URL = `http://127.0.0.1:${ports.coding}`;
    process.env.CODING_AGENT_TOKEN = secrets.codingToken;
    let output: Awaited<ReturnType<typeof runAtb>>;
    try {
      output = await runAtb('audit', 'verify', '--json');
    } finally {
      for (const [key, value] of Object.entries(environment)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
    expect(output.exitCode, output.stderr).toBe(0);
    // Both chains, each HMAC-keyed and checked against the head anchored outside the database.
    const verdicts = JSON.parse(output.stdout) as Record<string, { valid: boolean; count: number; keyed?: boolean }>;
    expect(verdicts['devops-agent']?.valid, output.stdout).toBe(true);
    expect(verdicts['devops-agent']?.keyed, output.stdout).toBe(true);
    expect(verdicts['devops-agent']?.count).toBeGreaterThanOrEqual(auditBefore.body.count);
    expect(verdicts['command-gateway']?.valid, output.stdout).toBe(true);
    expect(verdicts['coding-agent'], output.stdout).toMatchObject({ valid: true, keyed: true });
  }, 400_000);

  // Last: the single-instance stack goes down and the scaled profile runs on the same service
  // images, with PostgreSQL, Redis and HAProxy built from Debian packages.
  it('runs the scaled profile: every replica healthy on PostgreSQL and Redis, HAProxy spreads requests over the agents and routes around a killed one', async () => {
    await compose(engine, variables, ['down', '-v', '--remove-orphans', '-t', '5']);
    const infra = await buildInfraImages(engine);
    const scaledProject = `${project}-scaled`;
    scaledVariables = { ...variables, ...infra, COMPOSE_PROJECT_NAME: scaledProject };
    const scaledHealth = driveHealthchecks(engine, scaledProject);
    try {
      const up = Date.now();
      await compose(engine, scaledVariables, ['up', '-d', '--no-build'], 400_000, SCALED_COMPOSE_FILE);
      const replicas = { postgres: 1, redis: 1, 'market-predictor': 1, 'command-gateway': 2, 'coding-agent': 2, 'devops-agent': 3 };
      await waitFor(
        async () => {
          const states = await Promise.all(
            Object.keys(replicas).map(async (service) => `${service} ${(await serviceReplicas(engine, scaledProject, service)).map((c) => c.State.Health?.Status).join('/')}`),
          );
          const healthy = Object.entries(replicas).map(([service, count]) => `${service} ${Array(count).fill('healthy').join('/')}`);
          if (states.join(', ') === healthy.join(', ')) return true;
          throw new Error(states.join(', '));
        },
        { timeoutMs: 240_000, intervalMs: 1000, description: `every replica of ${scaledProject} healthy` },
      );
      timings.scaledUpToHealthyMs = Date.now() - up;
      const agents = await serviceReplicas(engine, scaledProject, 'devops-agent');
      const hosts = new Set(agents.map((agent) => agent.Config.Hostname));
      const answered = async (count: number) => {
        const seen: string[] = [];
        for (let index = 0; index < count; index += 1) {
          const status = await http<{ replica?: string; queue_backend?: string; database?: { dialect: string } }>(`${agentUrl()}/status`, { token: secrets.agentToken });
          expect(status.status).toBe(200);
          expect(status.body.database?.dialect).toBe('postgres');
          expect(status.body.queue_backend).toBe('bullmq');
          seen.push(String(status.body.replica).split(':')[0] ?? '');
        }
        return new Set(seen);
      };
      // HAProxy takes a replica into rotation after its own health checks pass (a few seconds
      // after the engine calls it healthy); then round robin: nine requests reach all three.
      await waitFor(
        async () => {
          const seen = await answered(9).catch((error: unknown) => new Set([String(error)]));
          if (seen.size === hosts.size) return true;
          throw new Error(`reached ${[...seen].join(', ')}`);
        },
        { timeoutMs: 60_000, intervalMs: 1000, description: 'HAProxy routing to every devops-agent replica' },
      );
      expect([...(await answered(9))].sort()).toEqual([...hosts].sort());
      for (const url of [`http://127.0.0.1:${ports.coding}/health`, `${gatewayUrl()}/health`]) expect((await http(url)).status, url).toBe(200);

      const victim = agents[0]!;
      await engine.docker.getContainer(victim.Id).kill({ signal: 'SIGKILL' });
      const after = await answered(12);
      expect(after.has(victim.Config.Hostname)).toBe(false);
      expect(after.size).toBe(2);
    } finally {
      scaledHealth.stop();
    }
  }, 900_000);
});
