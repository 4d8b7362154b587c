import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import pc from 'picocolors';

/** The files `atb secrets init` writes, and who reads each (deploy/compose/compose.yaml and compose.scaled.yaml). */
export const SECRET_FILES = {
  /** env_file of the command gateway: its bearer token and its audit key. */
  gateway: 'command-gateway.env',
  /** env_file of the devops agent: its API token, its audit key, the gateway's and the coding agent's tokens, the webhook credentials. */
  agent: 'devops-agent.env',
  /** env_file of the coding agent: its API token and its audit key. */
  coding: 'coding-agent.env',
  /** The compose secret Alertmanager reads (`password_file`) to authenticate to the agent's webhook. */
  webhookPassword: 'webhook-password',
  /** The scaled profile's compose secret PostgreSQL reads (`POSTGRES_PASSWORD_FILE`). */
  postgresPassword: 'postgres-password',
  /** The scaled profile's env_file of every replica: `DATABASE_URL` of the shared PostgreSQL. */
  postgres: 'postgres.env',
  /** The agent's API token alone, for the CLI: `DEVOPS_AGENT_TOKEN_FILE=<dir>/devops-agent-token`. */
  agentToken: 'devops-agent-token',
  /** The gateway's token alone, for the CLI: `AI_COMMAND_GATEWAY_TOKEN_FILE=<dir>/command-gateway-token`. */
  gatewayToken: 'command-gateway-token',
} as const;

/** The webhook user Alertmanager authenticates as (deploy/compose/alertmanager.yml). */
export const WEBHOOK_USERNAME = 'alertmanager';

export interface StackSecrets {
  gatewayToken: string;
  agentToken: string;
  codingToken: string;
  webhookPassword: string;
  /** The password of PostgreSQL's `atb` user in the scaled profile. */
  postgresPassword: string;
  /** HMAC keys of the audit chains, one per service that keeps one. */
  gatewayAuditKey: string;
  agentAuditKey: string;
  codingAuditKey: string;
}

/** Fresh random secrets: 32 bytes each, base64url (no characters an env file would need to quote). */
export function generateStackSecrets(): StackSecrets {
  const secret = () => randomBytes(32).toString('base64url');
  return {
    gatewayToken: secret(),
    agentToken: secret(),
    codingToken: secret(),
    webhookPassword: secret(),
    postgresPassword: secret(),
    gatewayAuditKey: secret(),
    agentAuditKey: secret(),
    codingAuditKey: secret(),
  };
}

/** The URL every replica of the scaled profile reaches the shared PostgreSQL at (one database, a schema per service). */
export const postgresUrl = (password: string): string => `postgres://atb:${encodeURIComponent(password)}@postgres:5432/atb`;

/**
 * Writes the composed stack's secrets into `directory` (created 0700): one env file per service
 * that needs secrets (0600; compose reads them on the host), and the webhook password and
 * PostgreSQL's password as files for Alertmanager's `password_file` and PostgreSQL's
 * `POSTGRES_PASSWORD_FILE` (0644 inside the 0700 directory, so the container's user
 * can read its bind mount while other host users cannot reach it). Refuses to overwrite
 * existing files unless `force`: new tokens would lock the running stack's clients out.
 */
export function writeStackSecrets(directory: string, secrets: StackSecrets, options: { force?: boolean } = {}): string[] {
  const target = resolve(directory);
  const files: [string, string, number][] = [
    [SECRET_FILES.gateway, `ENVIRONMENT=production\nAI_COMMAND_GATEWAY_TOKEN=${secrets.gatewayToken}\nAUDIT_HMAC_KEY=${secrets.gatewayAuditKey}\n`, 0o600],
    [SECRET_FILES.coding, `ENVIRONMENT=production\nCODING_AGENT_API_TOKEN=${secrets.codingToken}\nAUDIT_HMAC_KEY=${secrets.codingAuditKey}\n`, 0o600],
    [
      SECRET_FILES.agent,
      [
        'ENVIRONMENT=production',
        `AGENT_API_TOKEN=${secrets.agentToken}`,
        `AUDIT_HMAC_KEY=${secrets.agentAuditKey}`,
        `AI_COMMAND_GATEWAY_TOKEN=${secrets.gatewayToken}`,
        `CODING_AGENT_TOKEN=${secrets.codingToken}`,
        `WEBHOOK_USERNAME=${WEBHOOK_USERNAME}`,
        `WEBHOOK_PASSWORD=${secrets.webhookPassword}`,
        '',
      ].join('\n'),
      0o600,
    ],
    [SECRET_FILES.webhookPassword, secrets.webhookPassword, 0o644],
    [SECRET_FILES.postgresPassword, secrets.postgresPassword, 0o644],
    [SECRET_FILES.postgres, `DATABASE_URL=${postgresUrl(secrets.postgresPassword)}\n`, 0o600],
    [SECRET_FILES.agentToken, `${secrets.agentToken}\n`, 0o600],
    [SECRET_FILES.gatewayToken, `${secrets.gatewayToken}\n`, 0o600],
  ];
  if (!options.force) {
    const present = files.map(([name]) => name).filter((name) => existsSync(join(target, name)));
    if (present.length > 0) {
      throw new Error(`${target} already holds ${present.join(', ')}; pass --force to replace them (running clients then need the new tokens)`);
    }
  }
  mkdirSync(target, { recursive: true, mode: 0o700 });
  chmodSync(target, 0o700);
  for (const [name, content, mode] of files) {
    const path = join(target, name);
    writeFileSync(path, content, { mode });
    chmodSync(path, mode);
  }
  return files.map(([name]) => join(target, name));
}

/** `atb secrets init`: the tokens and webhook credentials of the composed stack (docs/deploy.md). */
export function registerSecrets(program: Command): void {
  const secrets = program.command('secrets').description('secrets of the composed stack (deploy/compose)');
  secrets
    .command('init')
    .description('generate the gateway token, the agent token, the webhook credentials and the PostgreSQL password (scaled profile) as env files and compose secrets')
    .option('--dir <directory>', 'where to write them', 'deploy/compose/secrets')
    .option('--force', 'replace existing secrets')
    .action((options: { dir: string; force?: boolean }) => {
      try {
        const written = writeStackSecrets(options.dir, generateStackSecrets(), { force: options.force === true });
        for (const file of written) process.stdout.write(`${pc.green('wrote')} ${file}\n`);
        process.stdout.write(
          pc.dim(
            `compose reads them from ATB_SECRETS_DIR (default ./secrets beside compose.yaml); the CLI: DEVOPS_AGENT_TOKEN_FILE=${join(resolve(options.dir), SECRET_FILES.agentToken)}\n`,
          ),
        );
      } catch (error) {
        process.stderr.write(`${pc.red('atb secrets init:')} ${error instanceof Error ? error.message : String(error)}\n`);
        process.exitCode = 1;
      }
    });
}
