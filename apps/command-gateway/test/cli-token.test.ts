import { createProgram } from '@atb/cli';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { commandRequest, type GatewayFixture, startGateway } from './support/gateway-fixture.js';

/** `atb token …` through the real command tree against a gateway listening on a socket. */
describe('atb token (the CLI against a running gateway)', () => {
  let gateway: GatewayFixture;
  let url: string;
  beforeAll(async () => {
    gateway = await startGateway();
    url = await gateway.service.listen();
  });
  afterAll(async () => gateway.close());

  /** Runs one `atb` command line as the gateway's bootstrap admin; answers its standard output. */
  async function atb(...words: string[]): Promise<string> {
    const previous = { ...process.env };
    process.env.AI_COMMAND_GATEWAY_URL = url;
    process.env.AI_COMMAND_GATEWAY_TOKEN = gateway.token;
    const written: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    const quiet = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await createProgram().parseAsync(['node', 'atb', ...words]);
      return written.join('');
    } finally {
      write.mockRestore();
      quiet.mockRestore();
      process.env = previous;
    }
  }

  it('creates a token once (with an expiry), lists it without its secret, and revokes it by name', async () => {
    const created = JSON.parse(await atb('token', 'create', '--service', 'command-gateway', '--name', 'alice', '--role', 'operator', '--expires', '30d', '--json')) as {
      id: string;
      token: string;
      expires_at: string;
    };
    expect(Date.parse(created.expires_at) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    const asAlice = { authorization: `Bearer ${created.token}` };
    expect((await gateway.execute(commandRequest('stop it', { source_id: 'atb-cli' }), asAlice)).body).toMatchObject({ overall_status: 'success' });

    const listed = await atb('token', 'list', '--service', 'command-gateway');
    expect(listed).toContain(created.id);
    expect(listed).toContain('alice');
    expect(listed).not.toContain(created.token);

    const revoked = JSON.parse(await atb('token', 'revoke', 'alice', '--service', 'command-gateway', '--json')) as { id: string }[];
    expect(revoked.map((token) => token.id)).toEqual([created.id]);
    expect((await gateway.execute(commandRequest('inspect', { source_id: 'atb-cli' }), asAlice)).statusCode).toBe(401);
  });

  it('refuses a bad --expires, naming the option', async () => {
    await expect(atb('token', 'create', '--service', 'command-gateway', '--name', 'bob', '--role', 'viewer', '--expires', 'soon')).rejects.toThrow(/--expires/);
  });
});
