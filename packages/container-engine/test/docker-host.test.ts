import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DockerHostError,
  dockerodeOptions,
  engineAnswers,
  firstAnsweringDockerHost,
  parseDockerHost,
  safeParseDockerHost,
} from '../src/docker-host.js';

describe('parseDockerHost', () => {
  it.each([
    ['unix:///var/run/docker.sock', { kind: 'unix', socketPath: '/var/run/docker.sock' }],
    ['unix:///tmp/atb-podman/x.sock', { kind: 'unix', socketPath: '/tmp/atb-podman/x.sock' }],
    ['tcp://127.0.0.1:2375', { kind: 'tcp', protocol: 'http', host: '127.0.0.1', port: 2375 }],
    ['tcp://docker.internal', { kind: 'tcp', protocol: 'http', host: 'docker.internal', port: 2375 }],
    ['tcp://engine-1.example.com:12375/', { kind: 'tcp', protocol: 'http', host: 'engine-1.example.com', port: 12375 }],
    ['tcp://[::1]:2375', { kind: 'tcp', protocol: 'http', host: '::1', port: 2375 }],
    ['http://localhost:8080', { kind: 'tcp', protocol: 'http', host: 'localhost', port: 8080 }],
    ['https://engine.example.com', { kind: 'tcp', protocol: 'https', host: 'engine.example.com', port: 2376 }],
    ['https://10.0.0.5:443', { kind: 'tcp', protocol: 'https', host: '10.0.0.5', port: 443 }],
  ])('accepts %s', (value, expected) => {
    expect(parseDockerHost(value)).toEqual({ ...expected, value });
  });

  it.each([
    ['', 'is empty'],
    ['/var/run/docker.sock', 'has no scheme'],
    ['docker.sock', 'has no scheme'],
    ['unix://', 'absolute socket path'],
    ['unix://var/run/docker.sock', 'absolute socket path'],
    ['unix:///', 'absolute socket path'],
    ['unix:///var/run/docker sock', 'contains whitespace'],
    [' tcp://127.0.0.1:2375', 'contains whitespace'],
    ['ssh://user@host', 'ssh:// is not supported'],
    ['npipe:////./pipe/docker_engine', 'npipe:// is not supported'],
    ['tcp://', 'needs a host name'],
    ['tcp://:2375', 'needs a host name'],
    ['tcp://host:port', 'needs a host name'],
    ['tcp://host:', 'needs a host name'],
    ['tcp://host:0', 'outside 1..65535'],
    ['tcp://host:65536', 'outside 1..65535'],
    ['tcp://-host:2375', 'needs a host name'],
    ['tcp://host_name:2375', 'needs a host name'],
    ['tcp://user:secret@host:2375', 'credentials'],
    ['tcp://host:2375/v1.41', 'path, query or fragment'],
    ['tcp://host:2375?tls=1', 'path, query or fragment'],
    ['http://host:2375#x', 'path, query or fragment'],
  ])('refuses %j (%s), naming the variable and what it expects', (value, problem) => {
    const result = safeParseDockerHost(value);
    expect(result).toMatchObject({ ok: false, error: expect.stringContaining(problem) });
    let thrown: unknown;
    try {
      parseDockerHost(value, 'SANDBOX_DOCKER_HOST');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DockerHostError);
    expect(thrown).toMatchObject({ code: 'invalid_docker_host', variable: 'SANDBOX_DOCKER_HOST', received: value });
    const message = (thrown as Error).message;
    expect(message.startsWith('SANDBOX_DOCKER_HOST: ')).toBe(true);
    expect(message).toContain('expected unix:///path/to.sock, tcp://host:port or http(s)://host:port');
    expect(message).toContain(`received ${JSON.stringify(value)}`);
  });

  it('names DOCKER_HOST when no variable is given', () => {
    expect(() => parseDockerHost('tcp://')).toThrow(/^DOCKER_HOST: /);
  });

  it('turns a value into dockerode options', () => {
    expect(dockerodeOptions('unix:///run/podman/podman.sock')).toEqual({ socketPath: '/run/podman/podman.sock' });
    expect(dockerodeOptions('tcp://127.0.0.1')).toEqual({ host: '127.0.0.1', port: 2375, protocol: 'http' });
    expect(dockerodeOptions('https://engine:2376')).toEqual({ host: 'engine', port: 2376, protocol: 'https' });
    expect(() => dockerodeOptions('tcp:/x')).toThrow(DockerHostError);
  });
});

describe('firstAnsweringDockerHost', () => {
  // An HTTP server answering the Engine API's `GET /_ping` (200 OK) and nothing else; a second
  // one that accepts the connection but never answers.
  let engine: Server;
  let silent: Server;
  let engineHost = '';
  let silentHost = '';
  beforeAll(async () => {
    engine = createServer((request, response) => {
      if (request.url === '/_ping') response.writeHead(200, { 'content-type': 'text/plain' }).end('OK');
      else response.writeHead(404).end();
    });
    silent = createServer(() => {});
    for (const server of [engine, silent]) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    engineHost = `tcp://127.0.0.1:${(engine.address() as AddressInfo).port}`;
    silentHost = `tcp://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const server of [engine, silent]) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('answers the first candidate whose engine answers, skipping missing, silent and malformed ones', async () => {
    const missing = 'unix:///nonexistent/atb-test/docker.sock';
    expect(await engineAnswers(engineHost)).toBe(true);
    expect(await engineAnswers(missing)).toBe(false);
    expect(await engineAnswers('tcp:/malformed')).toBe(false);
    expect(await firstAnsweringDockerHost([missing, 'tcp:/malformed', silentHost, engineHost], { timeoutMs: 300 })).toBe(engineHost);
    expect(await firstAnsweringDockerHost([missing, silentHost], { timeoutMs: 300 })).toBeUndefined();
  });
});
