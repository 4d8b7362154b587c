// Prints vitest's JSON report as one closing line, "tests: N passed, N failed, N skipped",
// the plain form that any CI log reader understands, followed by one line per failed test
// (its file and full name) and per file that failed to run (counted as one failure), so a
// log's tail names them.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

const file = process.argv[2];
let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (error) {
  console.error(`no test report at ${file}: ${error.message}`);
  process.exit(1);
}
const passed = report.numPassedTests ?? 0;
const lines = failureLines(report.testResults ?? []);
// A file whose setup failed (a hook, an import) fails without a failed test: it counts as one.
const failedFiles = lines.filter((line) => line.failedToRun).length;
const failed = (report.numFailedTests ?? 0) + (report.numRuntimeErrorTests ?? 0) + failedFiles;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
for (const line of lines) console.log(`  failed: ${line.text}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);

/** One line per failed test, and one per file that failed without a failed test (a hook or load error). */
function failureLines(files) {
  const lines = [];
  for (const result of files) {
    const name = relative(process.cwd(), result.name ?? '?');
    const failedTests = (result.assertionResults ?? []).filter((test) => test.status === 'failed');
    for (const test of failedTests) {
      const reason = firstLine(test.failureMessages?.[0]);
      lines.push({ text: `${name} > ${test.fullName ?? test.title}${reason ? ` — ${reason}` : ''}`, failedToRun: false });
    }
    if (failedTests.length === 0 && result.status === 'failed') {
      const reason = firstLine(result.message) || 'its setup (a hook or an import) failed: the log above says why';
      lines.push({ text: `${name} (the file failed to run) — ${reason}`, failedToRun: true });
    }
  }
  return lines;
}

function firstLine(text) {
  return (text ?? '').split('\n')[0].slice(0, 200);
}
