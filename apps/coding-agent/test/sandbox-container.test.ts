import { ensureNodeBaseImage, type PodmanEngine, probePodman, startPodman } from '@atb/testing';
import { afterAll } from 'vitest';
import { describeWithComponent } from '@atb/testing';
import { ContainerSandbox } from '../src/sandbox/container-sandbox.js';
import { sandboxContract } from './sandbox.contract.js';

let engine: PodmanEngine | undefined;

describeWithComponent('Podman (Docker Engine API) container sandbox', await probePodman(), 'install podman and runc: scripts/install-system-deps.sh', () => {
  afterAll(async () => {
    await engine?.close();
  });
  sandboxContract(async () => {
    engine = await startPodman();
    const image = await ensureNodeBaseImage(engine);
    return new ContainerSandbox({ docker: engine.docker, image, mountHostUsr: true });
  }, { treeMemoryLimit: true, limitsProcesses: true });
});
