import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProgram } from '../src/program.js';

/**
 * `atb drill`'s command line: arguments are checked before anything is injected, and a drill
 * against an agent that does not answer stops with the URL it tried. (The narration itself
 * is tested against the real agent and predictor in apps/devops-agent/test/integration.)
 */
describe('atb drill (command line)', () => {
  let deadServer: Server;
  let deadUrl = '';
  const injected: string[] = [];
  let predictor: Server;

  beforeAll(async () => {
    // A port that refuses: listen, read the port, close.
    deadServer = createServer();
    await new Promise<void>((resolve) => deadServer.listen(0, '127.0.0.1', resolve));
    const address = deadServer.address();
    deadUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    await new Promise((resolve) => deadServer.close(resolve));
    // A predictor stand-in that records chaos requests: nothing may reach it on bad input.
    predictor = createServer((request, response) => {
      injected.push(`${request.method} ${request.url}`);
      response.writeHead(202, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((resolve) => predictor.listen(0, '127.0.0.1', resolve));
    const predictorAddress = predictor.address();
    process.env.MARKET_PREDICTOR_URL = `http://127.0.0.1:${typeof predictorAddress === 'object' && predictorAddress ? predictorAddress.port : 0}`;
    process.env.DEVOPS_AGENT_URL = deadUrl;
  });

  afterAll(async () => {
    await new Promise((resolve) => predictor.close(resolve));
  });

  const run = (...args: string[]) => {
    const program = createProgram().exitOverride();
    program.configureOutput({ writeErr: () => {}, writeOut: () => {} });
    return program.parseAsync(['node', 'atb', 'drill', ...args]);
  };

  it('rejects an unknown fault, naming the known ones', async () => {
    await expect(run('meteor')).rejects.toThrow(/unknown fault "meteor": expected one of crash, hang, memory-leak, errors, latency/);
  });

  it('rejects bad option values, naming the option', async () => {
    await expect(run('errors', '--error-rate', '2')).rejects.toThrow(/--error-rate: expected a share between 0 and 1/);
    await expect(run('latency', '--latency-ms', 'soon')).rejects.toThrow(/--latency-ms: expected a positive number, found "soon"/);
    await expect(run('crash', '--timeout', '-5')).rejects.toThrow(/--timeout/);
  });

  it('stops before injecting anything when the agent does not answer', async () => {
    await expect(run('crash', '--timeout', '5')).rejects.toThrow(`the devops agent does not answer at ${deadUrl}/status`);
    expect(injected).toEqual([]);
  });
});
