import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { deferFunctionModule } from '../src/dockerode.js';

const run = promisify(execFile);
const directory = mkdtempSync(join(tmpdir(), 'atb-defer-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('deferFunctionModule', () => {
  it('loads the real module on the first call, once, and hands every call on', () => {
    const real = join(directory, 'real.cjs');
    const user = join(directory, 'user.cjs');
    writeFileSync(real, 'globalThis.atbDeferLoads = (globalThis.atbDeferLoads ?? 0) + 1;\nmodule.exports = function (x) { return { doubled: x * 2, self: this }; };\n');
    writeFileSync(user, "module.exports = require('./real.cjs');\n");
    const require = createRequire(user);
    const counter = globalThis as { atbDeferLoads?: number };

    deferFunctionModule(real, require);
    const deferred = require(user) as (this: unknown, x: number) => { doubled: number; self: unknown };
    expect(counter.atbDeferLoads).toBeUndefined();

    const receiver = { name: 'receiver' };
    expect(deferred.call(receiver, 21)).toEqual({ doubled: 42, self: receiver });
    expect(deferred(5).doubled).toBe(10);
    expect(counter.atbDeferLoads).toBe(1);
  });

  it('leaves a module that is missing or already loaded alone', () => {
    const loaded = join(directory, 'loaded.cjs');
    writeFileSync(loaded, 'module.exports = function () { return "real"; };\n');
    const require = createRequire(loaded);
    const original = require(loaded) as () => string;

    deferFunctionModule(loaded, require);
    expect(require(loaded)).toBe(original);

    const missing = join(directory, 'missing.cjs');
    deferFunctionModule(missing, require);
    expect(require.cache[missing]).toBeUndefined();
  });
});

describe('Docker', () => {
  it('loads dockerode without its BuildKit and ssh dependencies, which still work when first used', async () => {
    // A fresh process: the test runner's own module cache may already hold dockerode.
    const source = fileURLToPath(new URL('../src/dockerode.ts', import.meta.url));
    const script = `
      import { createRequire } from 'node:module';
      import { dirname, join } from 'node:path';
      const { Docker } = await import(${JSON.stringify(source)});
      const require = createRequire(${JSON.stringify(source)});
      const loaded = (part) => Object.keys(require.cache).some((file) => file.includes(part));
      const before = { dockerode: loaded('/dockerode/'), grpc: loaded('/@grpc/grpc-js/'), ssh2: loaded('/ssh2/') };
      const client = new Docker({ socketPath: '/nonexistent.sock' });
      const fromDockerode = createRequire(require.resolve('dockerode/package.json'));
      const ssh = fromDockerode(join(dirname(fromDockerode.resolve('docker-modem/package.json')), 'lib', 'ssh.js'));
      const agent = ssh({ host: '127.0.0.1', port: 1 });
      process.stdout.write(JSON.stringify({ before, client: typeof client.listContainers, agent: agent.constructor.name, ssh2After: loaded('/ssh2/') }));
    `;
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 60_000 });
    expect(JSON.parse(stdout)).toEqual({
      before: { dockerode: true, grpc: false, ssh2: false },
      client: 'function',
      agent: 'Agent',
      ssh2After: true,
    });
  });
});
