import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Command } from 'commander';
import pc from 'picocolors';
import { type CliConfig, serviceUrls } from '../config.js';
import { repositoryRoot } from '../paths.js';

/** The services that keep per-principal tokens (`POST /tokens`, `GET /tokens`, `DELETE /tokens/:reference`). */
export const TOKEN_SERVICES = ['devops-agent', 'command-gateway', 'coding-agent'] as const;
export type TokenService = (typeof TOKEN_SERVICES)[number];

type TokenConfig = Pick<
  CliConfig,
  | 'AI_COMMAND_GATEWAY_TOKEN'
  | 'AI_COMMAND_GATEWAY_TOKEN_FILE'
  | 'DEVOPS_AGENT_TOKEN'
  | 'DEVOPS_AGENT_TOKEN_FILE'
  | 'CODING_AGENT_TOKEN'
  | 'CODING_AGENT_TOKEN_FILE'
>;

const SOURCES: Record<TokenService, { token: keyof TokenConfig; file: keyof TokenConfig }> = {
  'devops-agent': { token: 'DEVOPS_AGENT_TOKEN', file: 'DEVOPS_AGENT_TOKEN_FILE' },
  'command-gateway': { token: 'AI_COMMAND_GATEWAY_TOKEN', file: 'AI_COMMAND_GATEWAY_TOKEN_FILE' },
  'coding-agent': { token: 'CODING_AGENT_TOKEN', file: 'CODING_AGENT_TOKEN_FILE' },
};

/**
 * The bearer token `atb` presents to a service: its variable (`DEVOPS_AGENT_TOKEN`,
 * `AI_COMMAND_GATEWAY_TOKEN`, `CODING_AGENT_TOKEN`), else the file the service generated (`…_FILE`;
 * a relative path is tried in the working directory, then in the repository root, where `atb up`
 * runs the stack). Throws a message naming both.
 */
export function serviceToken(config: TokenConfig, service: TokenService, directories: string[] = [process.cwd(), repositoryRoot()]): string {
  const source = SOURCES[service];
  const configured = config[source.token];
  if (configured) return configured;
  const file = config[source.file] as string;
  const candidates = isAbsolute(file) ? [file] : directories.map((directory) => resolve(directory, file));
  for (const candidate of candidates) {
    try {
      const token = readFileSync(candidate, 'utf8').trim();
      if (token) return token;
    } catch {
      // try the next place
    }
  }
  throw new Error(`no ${service} token: set ${source.token}, or start the service once (atb up) so that it writes ${candidates.join(' or ')} (${source.file})`);
}

/** `30d`, `12h`, `90m`, `45s` (or plain seconds) as seconds; throws naming `--expires`. */
export function parseDuration(text: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(text.trim());
  const seconds = match ? Number(match[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'] : 0;
  if (!match || seconds < 1) throw new Error(`--expires: expected a duration such as 30d, 12h, 90m or 3600s, received "${text}"`);
  return seconds;
}

interface TokenRecord {
  id: string;
  name: string;
  kind: string;
  role: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
}

async function call<T>(config: CliConfig, service: TokenService, method: string, path: string, body?: unknown): Promise<T> {
  const base = serviceUrls(config)[service];
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${serviceToken(config, service)}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  }).catch((error: unknown) => {
    throw new Error(`the ${service} at ${base} does not answer (${(error as Error).cause ?? (error as Error).message})`);
  });
  const payload = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) {
    throw new Error(`${service}: ${response.status} ${String(payload.message ?? response.statusText)}${payload.field ? ` (field ${String(payload.field)})` : ''}`);
  }
  return payload as T;
}

function serviceOf(value: string): TokenService {
  if (!(TOKEN_SERVICES as readonly string[]).includes(value)) throw new Error(`--service: expected one of ${TOKEN_SERVICES.join(', ')}, received "${value}"`);
  return value as TokenService;
}

function describe(token: TokenRecord): string {
  const state = token.revoked_at ? pc.red(`revoked ${token.revoked_at}`) : token.expires_at && Date.parse(token.expires_at) <= Date.now() ? pc.red('expired') : pc.green('active');
  return `${token.id}  ${pc.bold(token.name)}  ${token.role}  ${token.kind}  ${state}${token.expires_at ? pc.dim(`  expires ${token.expires_at}`) : ''}`;
}

/** `atb token create|list|revoke`: per-person and per-service API tokens (admin; the service's own token). */
export function registerToken(program: Command, config: () => CliConfig): void {
  const token = program.command('token').description('API tokens of people and services: create (shown once), list, revoke');
  const serviceOption = ['-s, --service <name>', `the service that keeps the token (${TOKEN_SERVICES.join(', ')})`, 'devops-agent'] as const;

  token
    .command('create')
    .description('issue a token for a person or a service; it is printed once and stored hashed')
    .requiredOption('-n, --name <name>', 'who it is for (alice, devops-agent)')
    .requiredOption('-r, --role <role>', 'viewer, operator or admin')
    .option('-k, --kind <kind>', 'person or service', 'person')
    .option('-e, --expires <duration>', 'lifetime such as 30d, 12h or 90m (default: until revoked)')
    .option(...serviceOption)
    .option('--json', 'machine-readable output')
    .action(async (options: { name: string; role: string; kind: string; expires?: string; service: string; json?: boolean }) => {
      const service = serviceOf(options.service);
      const created = await call<TokenRecord & { token: string }>(config(), service, 'POST', '/tokens', {
        name: options.name,
        role: options.role,
        kind: options.kind,
        ...(options.expires ? { expires_in_seconds: parseDuration(options.expires) } : {}),
      });
      if (options.json) {
        process.stdout.write(`${JSON.stringify(created)}\n`);
        return;
      }
      process.stdout.write(`${describe(created)}\n${created.token}\n`);
      process.stderr.write(pc.dim(`this is the only time the token is shown: keep it now (revoke with: atb token revoke ${created.id} --service ${service})\n`));
    });

  token
    .command('list')
    .description('list tokens (never their secrets)')
    .option(...serviceOption)
    .option('--json', 'machine-readable output')
    .action(async (options: { service: string; json?: boolean }) => {
      const { tokens } = await call<{ tokens: TokenRecord[] }>(config(), serviceOf(options.service), 'GET', '/tokens');
      if (options.json) process.stdout.write(`${JSON.stringify(tokens)}\n`);
      else process.stdout.write(tokens.length === 0 ? `${pc.dim('no tokens')}\n` : `${tokens.map(describe).join('\n')}\n`);
    });

  token
    .command('revoke <reference>')
    .description('revoke a token by id, or every live token of a principal by name')
    .option(...serviceOption)
    .option('--json', 'machine-readable output')
    .action(async (reference: string, options: { service: string; json?: boolean }) => {
      const { revoked } = await call<{ revoked: TokenRecord[] }>(config(), serviceOf(options.service), 'DELETE', `/tokens/${encodeURIComponent(reference)}`);
      process.stdout.write(options.json ? `${JSON.stringify(revoked)}\n` : `${revoked.map(describe).join('\n')}\n`);
    });
}
