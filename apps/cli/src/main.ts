import pc from 'picocolors';
import { createProgram } from './program.js';

try {
  await createProgram().parseAsync(process.argv);
} catch (error) {
  process.stderr.write(`${pc.red('atb:')} ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
