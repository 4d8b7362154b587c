import { describe, expect, it } from 'vitest';
import type { DrillStage } from './incident-watcher.js';
import { recoveryLines } from './run-drill.js';

const stage = (name: DrillStage['name'], elapsed_ms: number): DrillStage => ({ name, at: 1_000 + elapsed_ms, elapsed_ms, detail: '' });
// Colours off: picocolors reads NO_COLOR at import, so compare without ANSI codes.
const plain = (lines: string[]) => lines.map((line) => line.replace(/\u001b\[\d+m/g, ''));

describe('drill recovery summary', () => {
  it('prints each recovery stage since the fault, verified from the action, and the total', () => {
    const stages = [
      stage('fault-injected', 0),
      stage('incident-opened', 210),
      stage('analysis-completed', 260),
      stage('action-started', 300),
      stage('action-finished', 900),
      stage('service-answering', 2_300),
      stage('action-verified', 2_400),
      stage('incident-resolved', 3_100),
    ];
    expect(plain(recoveryLines({ stages, total_ms: 3_150 }))).toEqual([
      '',
      'recovery time (since the fault):',
      '  detected               0.2 s',
      '  analysed               0.3 s',
      '  action executed        0.9 s',
      '  service answering      2.3 s',
      '  verified               2.4 s',
      '  total                  3.1 s',
    ]);
  });

  it('says — for a stage never reached, and takes the resolution as verified when no action ran', () => {
    const lines = plain(recoveryLines({ stages: [stage('incident-opened', 500), stage('incident-resolved', 4_000)], total_ms: 4_000 }));
    expect(lines).toContain('  action executed            —');
    expect(lines).toContain('  verified               4.0 s');
  });
});
