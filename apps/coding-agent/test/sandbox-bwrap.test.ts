import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithComponent } from '@atb/testing';
import { expect, it } from 'vitest';
import { BwrapSandbox } from '../src/sandbox/bwrap-sandbox.js';
import { sandboxContract } from './sandbox.contract.js';

const sandbox = new BwrapSandbox();
const unavailable = await sandbox.available();
const scope = await sandbox.memoryScope();
const limitsProcesses = await sandbox.limitsProcesses();
const howToGet = 'install it: scripts/install-system-deps.sh (Debian bubblewrap)';

describeWithComponent(`bubblewrap sandbox (memory limit per ${scope})`, unavailable, howToGet, () => {
  sandboxContract(() => sandbox, { treeMemoryLimit: scope === 'tree', limitsProcesses });

  it.runIf(scope === 'tree')('reports out of memory from the cgroup when only children were killed', async () => {
    const workspace = await mkdtemp(join(tmpdir(), 'atb-bwrap-oom-'));
    try {
      // Three children growing together reach the tree's limit before any reaches its own RLIMIT_DATA.
      const script =
        "for (let i = 0; i < 3; i++) require('child_process').spawn(process.execPath, ['-e', 'const b = []; for (;;) b.push(Buffer.alloc(1 << 20, 1))'], { stdio: 'ignore' }).on('exit', (code, signal) => console.log(signal ?? code));";
      const result = await sandbox.run({ workspace, command: ['node', '-e', script], timeoutMs: 30_000, memoryBytes: 1024 ** 3, env: {} });
      expect(result.exitCode).toBe(0);
      expect(result.outOfMemory).toBe(true);
    } finally {
      await rm(workspace, { recursive: true, force: true });
    }
  });
});

// Where no cgroup can be made (not root, nothing delegated), RLIMIT_DATA alone must still hold.
describeWithComponent('bubblewrap sandbox without a memory cgroup', unavailable, howToGet, () => {
  sandboxContract(() => new BwrapSandbox({ memoryCgroup: false }), { treeMemoryLimit: false, limitsProcesses: false });
});
