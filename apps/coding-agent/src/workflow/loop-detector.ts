import { createHash } from 'node:crypto';

/**
 * Notices when the task goes round in circles: the same failing edit, or the same failing test
 * output (after normalisation), seen twice stops the task with a report.
 */
export class LoopDetector {
  private readonly seen = new Set<string>();

  /** Records a failure; answers true when the very same one was recorded before. */
  repeated(kind: 'edit' | 'test' | 'check', signature: string): boolean {
    const key = `${kind}:${createHash('sha256').update(signature).digest('hex')}`;
    if (this.seen.has(key)) return true;
    this.seen.add(key);
    return false;
  }
}
