import { describeWithComponent } from '@atb/testing';
import { BwrapSandbox } from '../src/sandbox/bwrap-sandbox.js';
import { sandboxContract } from './sandbox.contract.js';

const sandbox = new BwrapSandbox();

describeWithComponent('bubblewrap sandbox', await sandbox.available(), 'install it: scripts/install-system-deps.sh (Debian bubblewrap)', () => {
  sandboxContract(() => sandbox);
});
